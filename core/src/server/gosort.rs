//! Go's `sort.Sort`, step for step, because etcd sorts range results with it and the order of keys that
//! tie on the sort target is whatever Go's algorithm leaves them in.
//!
//! etcd 3.4.23 as Debian builds it (Go 1.19) sorts with pattern-defeating quicksort: insertion sort up
//! to 12 elements (so short ranges keep key order among ties), then median-of-three or Tukey-ninther
//! pivots, a partial insertion sort for nearly sorted input, a three-way split when many elements
//! equal the pivot, pattern breaking by a xorshift seeded with the length, and heapsort after too many
//! unbalanced partitions. None of it is random, so the same input always ends in the same order, but it
//! is not stable: above 12 elements tied keys leave key order. `Descend` is Go's `sort.Reverse`, the same
//! algorithm with the comparison turned around (not a reversed ascending sort).
//!
//! Every step below compares and swaps exactly as Go's `zsortinterface.go` does; a different but
//! equally correct choice (a stable sort, another pivot) would order ties differently from etcd.

/// Sorts `v` as Go's `sort.Sort` sorts a `sort.Interface` whose `Less(i, j)` is `less(&v[i], &v[j])`.
pub fn sort_by<T>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let mut s = Sorter { v, less };
    s.pdqsort(0, n, bit_len(n));
}

/// Slices this short are insertion-sorted (Go's `maxInsertion`).
const MAX_INSERTION: usize = 12;
/// From this length the pivot is Tukey's ninther, and partial insertion sort may shift elements.
const SHORTEST_NINTHER: usize = 50;
/// Adjacent out-of-order pairs a partial insertion sort fixes before giving up.
const MAX_PARTIAL_STEPS: usize = 5;

/// What the pivot choice saw of the order (Go's `sortedHint`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hint {
    Unknown,
    Increasing,
    Decreasing,
}

/// The number of bits needed to represent `n` (Go's `bits.Len`).
fn bit_len(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize
}

struct Sorter<'a, T, F> {
    v: &'a mut [T],
    less: F,
}

impl<T, F: Fn(&T, &T) -> bool> Sorter<'_, T, F> {
    fn less(&self, i: usize, j: usize) -> bool {
        (self.less)(&self.v[i], &self.v[j])
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.v.swap(i, j);
    }

    /// Sorts `[a, b)`; `limit` is how many unbalanced partitions are allowed before heapsort.
    fn pdqsort(&mut self, mut a: usize, mut b: usize, mut limit: usize) {
        let (mut was_balanced, mut was_partitioned) = (true, true);
        loop {
            let length = b - a;
            if length <= MAX_INSERTION {
                self.insertion_sort(a, b);
                return;
            }
            if limit == 0 {
                self.heap_sort(a, b);
                return;
            }
            if !was_balanced {
                self.break_patterns(a, b);
                limit -= 1;
            }
            let (mut pivot, mut hint) = self.choose_pivot(a, b);
            if hint == Hint::Decreasing {
                self.reverse_range(a, b);
                pivot = (b - 1) - (pivot - a);
                hint = Hint::Increasing;
            }
            if was_balanced && was_partitioned && hint == Hint::Increasing && self.partial_insertion_sort(a, b) {
                return;
            }
            // Nothing in [a, b) is less than the element before it: split off the run equal to the pivot.
            if a > 0 && !self.less(a - 1, pivot) {
                a = self.partition_equal(a, b, pivot);
                continue;
            }
            let (mid, already_partitioned) = self.partition(a, b, pivot);
            was_partitioned = already_partitioned;
            let (left, right) = (mid - a, b - mid);
            let balance_threshold = length / 8;
            if left < right {
                was_balanced = left >= balance_threshold;
                self.pdqsort(a, mid, limit);
                a = mid + 1;
            } else {
                was_balanced = right >= balance_threshold;
                self.pdqsort(mid + 1, b, limit);
                b = mid;
            }
        }
    }

    fn insertion_sort(&mut self, a: usize, b: usize) {
        for i in a + 1..b {
            let mut j = i;
            while j > a && self.less(j, j - 1) {
                self.swap(j, j - 1);
                j -= 1;
            }
        }
    }

    /// Restores the max-heap property of the heap rooted at `first` below `root`, within `[lo, hi)`.
    fn sift_down(&mut self, lo: usize, hi: usize, first: usize) {
        let mut root = lo;
        loop {
            let mut child = 2 * root + 1;
            if child >= hi {
                return;
            }
            if child + 1 < hi && self.less(first + child, first + child + 1) {
                child += 1;
            }
            if !self.less(first + root, first + child) {
                return;
            }
            self.swap(first + root, first + child);
            root = child;
        }
    }

    fn heap_sort(&mut self, a: usize, b: usize) {
        let (first, hi) = (a, b - a);
        for i in (0..=(hi - 1) / 2).rev() {
            self.sift_down(i, hi, first);
        }
        for i in (0..hi).rev() {
            self.swap(first, first + i);
            self.sift_down(0, i, first);
        }
    }

    /// One quicksort partition around `pivot`: returns its new place and whether nothing had to move.
    fn partition(&mut self, a: usize, b: usize, pivot: usize) -> (usize, bool) {
        self.swap(a, pivot);
        // Inclusive bounds of what is left to partition; `j` may step just below `a + 1`.
        let (mut i, mut j) = (a + 1, b as isize - 1);
        let mut first_pass = true;
        loop {
            while i as isize <= j && self.less(i, a) {
                i += 1;
            }
            while i as isize <= j && !self.less(j as usize, a) {
                j -= 1;
            }
            if i as isize > j {
                self.swap(j as usize, a);
                return (j as usize, first_pass);
            }
            self.swap(i, j as usize);
            i += 1;
            j -= 1;
            first_pass = false;
        }
    }

    /// Splits `[a, b)`, where nothing is less than the pivot, into the elements equal to it and those
    /// greater; returns where the greater ones start.
    fn partition_equal(&mut self, a: usize, b: usize, pivot: usize) -> usize {
        self.swap(a, pivot);
        let (mut i, mut j) = (a + 1, b as isize - 1);
        loop {
            while i as isize <= j && !self.less(a, i) {
                i += 1;
            }
            while i as isize <= j && self.less(a, j as usize) {
                j -= 1;
            }
            if i as isize > j {
                return i;
            }
            self.swap(i, j as usize);
            i += 1;
            j -= 1;
        }
    }

    /// Fixes a few out-of-order neighbours; true when `[a, b)` ends up sorted.
    fn partial_insertion_sort(&mut self, a: usize, b: usize) -> bool {
        let mut i = a + 1;
        for _ in 0..MAX_PARTIAL_STEPS {
            while i < b && !self.less(i, i - 1) {
                i += 1;
            }
            if i == b {
                return true;
            }
            if b - a < SHORTEST_NINTHER {
                return false;
            }
            self.swap(i, i - 1);
            // Go shifts the smaller one left down to index 1 of the whole slice, not of [a, b).
            if i - a >= 2 {
                let mut j = i - 1;
                while j >= 1 && self.less(j, j - 1) {
                    self.swap(j, j - 1);
                    j -= 1;
                }
            }
            if b - i >= 2 {
                let mut j = i + 1;
                while j < b && self.less(j, j - 1) {
                    self.swap(j, j - 1);
                    j += 1;
                }
            }
        }
        false
    }

    /// Swaps three middle elements with pseudo-random ones (xorshift seeded by the length).
    fn break_patterns(&mut self, a: usize, b: usize) {
        let length = b - a;
        if length < 8 {
            return;
        }
        let mut random = length as u64;
        let modulus = 1usize << bit_len(length);
        let middle = a + (length / 4) * 2;
        for idx in middle - 1..=middle + 1 {
            random ^= random << 13;
            random ^= random >> 17;
            random ^= random << 5;
            let mut other = (random as usize) & (modulus - 1);
            if other >= length {
                other -= length;
            }
            self.swap(idx, a + other);
        }
    }

    /// The pivot: the middle element below 8, the median of three below 50, else Tukey's ninther; the
    /// hint says whether the samples looked sorted (no swaps) or reversed (every comparison swapped).
    fn choose_pivot(&mut self, a: usize, b: usize) -> (usize, Hint) {
        const MAX_SWAPS: usize = 4 * 3;
        let l = b - a;
        let mut swaps = 0;
        let (mut i, mut j, mut k) = (a + l / 4, a + l / 4 * 2, a + l / 4 * 3);
        if l >= 8 {
            if l >= SHORTEST_NINTHER {
                i = self.median(i - 1, i, i + 1, &mut swaps);
                j = self.median(j - 1, j, j + 1, &mut swaps);
                k = self.median(k - 1, k, k + 1, &mut swaps);
            }
            j = self.median(i, j, k, &mut swaps);
        }
        let hint = match swaps {
            0 => Hint::Increasing,
            MAX_SWAPS => Hint::Decreasing,
            _ => Hint::Unknown,
        };
        (j, hint)
    }

    /// `(a, b)` ordered so the first is not greater, counting a swap when they were not.
    fn order2(&self, a: usize, b: usize, swaps: &mut usize) -> (usize, usize) {
        if self.less(b, a) {
            *swaps += 1;
            (b, a)
        } else {
            (a, b)
        }
    }

    fn median(&self, a: usize, b: usize, c: usize, swaps: &mut usize) -> usize {
        let (a, b) = self.order2(a, b, swaps);
        let (b, _) = self.order2(b, c, swaps);
        let (_, b) = self.order2(a, b, swaps);
        b
    }

    fn reverse_range(&mut self, a: usize, b: usize) {
        let (mut i, mut j) = (a, b - 1);
        while i < j {
            self.swap(i, j);
            i += 1;
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator `testdata/gosort_go119.go` uses too.
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *seed >> 33
    }

    /// The classes of the test input `shape` of length `n`, as the Go program builds them.
    fn input(n: usize, shape: &str, seed: &mut u64) -> Vec<u64> {
        (0..n)
            .map(|i| match shape {
                "sorted" => (i / 3) as u64,
                "reversed" => ((n - i) / 3) as u64,
                "pipe" => (i.min(n - i) / 2) as u64,
                _ => lcg(seed) % shape.trim_start_matches("mod").parse::<u64>().expect("modK"),
            })
            .collect()
    }

    /// Every input the Go 1.19 program sorted, ascending and through `sort.Reverse`, ends in Go's order
    /// (the permutation of the input's indexes), ties included.
    #[test]
    fn orders_ties_exactly_as_go_1_19() {
        let vectors = include_str!("testdata/gosort_go119.txt");
        let mut seed = 7;
        let mut checked = 0;
        for line in vectors.lines() {
            let w: Vec<&str> = line.split(' ').collect();
            let [n, shape, order, want] = w[..] else { panic!("bad vector line {line}") };
            let n: usize = n.parse().expect("n");
            let mut v: Vec<(u64, usize)> = input(n, shape, &mut seed).into_iter().zip(0..).collect();
            if order == "asc" {
                sort_by(&mut v, |a, b| a.0 < b.0);
            } else {
                sort_by(&mut v, |a, b| b.0 < a.0);
            }
            let got: Vec<String> = v.iter().map(|e| e.1.to_string()).collect();
            assert_eq!(got.join(","), want, "n={n} {shape} {order}");
            checked += 1;
        }
        assert_eq!(checked, 180);
    }

    #[test]
    fn sorts_large_inputs_of_every_shape() {
        let mut seed = 11;
        for n in [1000, 5000] {
            for shape in ["mod1", "mod2", "mod7", "mod100000", "sorted", "reversed", "pipe"] {
                let mut v = input(n, shape, &mut seed);
                let mut want = v.clone();
                want.sort_unstable();
                sort_by(&mut v, |a, b| a < b);
                assert_eq!(v, want, "n={n} {shape}");
            }
        }
    }
}
