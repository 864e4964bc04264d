// Prints Go's sort.Sort order for the inputs gosort.rs's test builds (same generator). Regenerate with
// `go run gosort_go119.go > gosort_go119.txt` on Go 1.19 (Debian bookworm's golang-go, as etcd 3.4.23 there).
package main

import (
	"fmt"
	"sort"
	"strings"
)

type elem struct{ class, idx uint64 }
type byClass []elem

func (s byClass) Len() int           { return len(s) }
func (s byClass) Less(i, j int) bool { return s[i].class < s[j].class }
func (s byClass) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

func lcg(seed *uint64) uint64 {
	*seed = *seed*6364136223846793005 + 1442695040888963407
	return *seed >> 33
}

func input(n int, shape string, seed *uint64) []elem {
	v := make([]elem, n)
	for i := range v {
		var c uint64
		switch {
		case shape == "sorted":
			c = uint64(i / 3)
		case shape == "reversed":
			c = uint64((n - i) / 3)
		case shape == "pipe":
			m := i
			if n-i < m {
				m = n - i
			}
			c = uint64(m / 2)
		default:
			var k uint64
			fmt.Sscanf(shape, "mod%d", &k)
			c = lcg(seed) % k
		}
		v[i] = elem{c, uint64(i)}
	}
	return v
}

func main() {
	seed := uint64(7)
	for _, n := range []int{2, 12, 13, 20, 49, 50, 51, 64, 100, 300} {
		for _, shape := range []string{"mod1", "mod2", "mod3", "mod5", "mod11", "mod1000", "sorted", "reversed", "pipe"} {
			for _, order := range []string{"asc", "desc"} {
				v := input(n, shape, &seed)
				if order == "asc" {
					sort.Sort(byClass(v))
				} else {
					sort.Sort(sort.Reverse(byClass(v)))
				}
				idx := make([]string, n)
				for i, e := range v {
					idx[i] = fmt.Sprint(e.idx)
				}
				fmt.Printf("%d %s %s %s\n", n, shape, order, strings.Join(idx, ","))
			}
		}
	}
}
