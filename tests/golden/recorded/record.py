#!/usr/bin/env python3
"""Records etcdctl 3.4 outputs from a real etcd cluster, in the format of ../shared/etcdctl-golden.

Starts a real 3-member etcd 3.4 (Debian's etcd-server and etcd-client) on 127.0.0.1 with the reference's
names, URLs and token (hence the same member and cluster IDs), in a fresh temporary data dir, runs every
case of CASES in order against it, and writes cases.jsonl and cluster.json next to this file. The members
are stopped by PID. `tests/tests/recorded.rs` replays the cases through our console and wants every
output byte for byte, so cases are chosen to print nothing that varies between runs (no headers, IDs or
timings).

Usage: python3 tests/golden/recorded/record.py   (needs /usr/bin/etcd and /usr/bin/etcdctl)
"""
import json, os, shutil, signal, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN = "golden-cluster"
MEMBERS = [(f"e{i}", f"http://127.0.0.1:2379{i}", f"http://127.0.0.1:2380{i}") for i in (1, 2, 3)]
ENDPOINTS = [c[len("http://"):] for _, c, _ in MEMBERS]


def keys(prefix, n):
    return [f"{prefix}{i:02d}" for i in range(n)]


def cases():
    """(name, args, stdin) in execution order."""
    out = []
    add = lambda name, *args, stdin=None: out.append((name, list(args), stdin))
    # A small keyspace for the argument checks.
    for k in ("a", "b", "c", "d"):
        add(f"put-{k}", "put", k, f"v{k}")
    # Refused before anything is sent (exit 128), so nothing is deleted.
    add("del-range-end-with-prefix", "del", "a", "c", "--prefix")
    add("del-range-end-with-from-key", "del", "a", "c", "--from-key")
    add("del-three-args", "del", "a", "b", "c")
    add("del-no-args", "del")
    add("del-prefix-and-from-key", "del", "a", "--prefix", "--from-key")
    add("get-range-end-with-prefix", "get", "a", "c", "--prefix")
    add("get-range-end-with-from-key", "get", "a", "c", "--from-key")
    add("get-no-args", "get")
    add("get-prefix-and-from-key", "get", "a", "--prefix", "--from-key")
    add("get-bad-consistency", "get", "a", "--consistency=x")
    add("get-bad-order", "get", "a", "--order=UP")
    add("get-bad-sort-target", "get", "a", "--sort-by=SIZE")
    add("get-value-only-json", "get", "a", "--print-value-only", "-w", "json")
    add("get-value-only-fields", "get", "a", "--print-value-only", "-w", "fields")
    add("get-value-only-table", "get", "a", "--print-value-only", "-w", "table")
    add("put-no-args", "put")
    add("put-ignore-value-two-args", "put", "a", "x", "--ignore-value")
    add("put-bad-lease", "put", "a", "x", "--lease=zz")
    add("put-three-args", "put", "e", "ve", "extra")
    add("txn-del-range-end-with-prefix", "txn", stdin="\ndel a c --prefix\n\n")
    # The keys are all still there.
    add("get-all-after-refusals", "get", "", "--prefix")
    # Sorting with a limit: etcd fetches limit+1 keys in key order and sorts only those. Keys written in
    # reverse order, so the newest mod revisions have the smallest keys.
    for k in reversed(keys("m/", 10)):
        add(f"put-{k}", "put", k, "x")
    add("sort-modify-limit", "get", "m/", "--prefix", "--sort-by=MODIFY", "--limit=5")
    add("sort-modify-limit-ascend", "get", "m/", "--prefix", "--sort-by=MODIFY", "--order=ASCEND", "--limit=5")
    add("sort-create-descend-limit", "get", "m/", "--prefix", "--sort-by=CREATE", "--order=DESCEND", "--limit=3")
    add("sort-key-descend-limit", "get", "m/", "--prefix", "--order=DESCEND", "--limit=3")
    add("sort-version-limit-keys", "get", "m/", "--prefix", "--sort-by=VERSION", "--limit=4", "--keys-only")
    # Ties: Go's sort.Sort (pdqsort since Go 1.19) is not stable above 12 elements.
    for n in (12, 13, 20, 40, 60, 130):
        p = f"t{n}/"
        for k in keys(p, n) if n <= 99 else [f"{p}{i:03d}" for i in range(n)]:
            add(f"put-{k}", "put", k, "same")
        add(f"ties-{n}-value", "get", p, "--prefix", "--sort-by=VALUE", "--keys-only")
        add(f"ties-{n}-version-descend", "get", p, "--prefix", "--sort-by=VERSION", "--order=DESCEND", "--keys-only")
        add(f"ties-{n}-value-limit", "get", p, "--prefix", "--sort-by=VALUE", "--limit=7", "--keys-only")
    # Ties mixed with order: some keys get a second version, values in a few classes.
    p = "mix/"
    mix = keys(p, 30)
    for i, k in enumerate(mix):
        add(f"put-{k}", "put", k, f"v{i % 3}")
    for k in mix[::4]:
        add(f"put-again-{k}", "put", k, f"w{int(k[-2:]) % 2}")
    add("mix-version", "get", p, "--prefix", "--sort-by=VERSION", "--keys-only")
    add("mix-version-descend", "get", p, "--prefix", "--sort-by=VERSION", "--order=DESCEND", "--keys-only")
    add("mix-value", "get", p, "--prefix", "--sort-by=VALUE")
    add("mix-value-descend", "get", p, "--prefix", "--sort-by=VALUE", "--order=DESCEND")
    add("mix-modify-descend", "get", p, "--prefix", "--sort-by=MODIFY", "--order=DESCEND", "--keys-only")
    add("txn-sorted-get", "txn", stdin="\nget mix/ --prefix --sort-by=VERSION --keys-only\n\n\n")
    # A larger spread of ties: 11 value classes over 150 keys, in an order that is not the key order.
    p = "big/"
    big = [f"{p}{i:03d}" for i in range(150)]
    for i, k in enumerate(big):
        add(f"put-{k}", "put", k, f"{(i * 37) % 11:02d}")
    add("big-value", "get", p, "--prefix", "--sort-by=VALUE", "--keys-only")
    add("big-value-descend", "get", p, "--prefix", "--sort-by=VALUE", "--order=DESCEND", "--keys-only")
    add("big-value-limit", "get", p, "--prefix", "--sort-by=VALUE", "--limit=100", "--keys-only")
    return out


def etcdctl(args, stdin):
    cmd = ["etcdctl", f"--endpoints={','.join(ENDPOINTS)}"] + args
    p = subprocess.run(cmd, input=(stdin or "").encode(), capture_output=True, timeout=30,
                       env=dict(os.environ, ETCDCTL_API="3"))
    return {"stdout": p.stdout.decode(), "stderr": p.stderr.decode(), "rc": p.returncode}


def start(tmp, procs):
    """Starts the members into `procs` (so the caller stops them even if they never become healthy)."""
    initial = ",".join(f"{n}={p}" for n, _, p in MEMBERS)
    for name, client, peer in MEMBERS:
        log = open(os.path.join(tmp, f"{name}.log"), "w")
        procs.append(subprocess.Popen([
            "etcd", "--name", name, "--data-dir", os.path.join(tmp, name),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", initial, "--initial-cluster-token", TOKEN, "--initial-cluster-state", "new",
        ], stdout=log, stderr=log))
    for _ in range(100):
        if etcdctl(["endpoint", "health"], None)["rc"] == 0:
            return
        time.sleep(0.2)
    raise SystemExit("record.py: the real cluster did not become healthy")


def main():
    tmp = tempfile.mkdtemp(prefix="etcdplay-record-")
    procs = []
    try:
        start(tmp, procs)
        lines = []
        for n, (name, args, stdin) in enumerate(cases(), 1):
            case = {"n": n, "name": name, "phase": "healthy", "args": args, "endpoints": ENDPOINTS,
                    "stdin": stdin, "background": None, "refs": [], "expect": etcdctl(args, stdin),
                    "before": [{"event": "start-all", "cluster": "initial", "members": ["e1", "e2", "e3"],
                                "fresh": True}] if n == 1 else []}
            lines.append(json.dumps(case))
        with open(os.path.join(HERE, "cases.jsonl"), "w") as f:
            f.write("\n".join(lines) + "\n")
        version = subprocess.run(["etcdctl", "version"], capture_output=True).stdout.decode()
        cluster = {"recorded_with": version.strip(), "initial": {"token": TOKEN, "members": [
            {"name": n, "client_url": c, "peer_url": p} for n, c, p in MEMBERS]}}
        with open(os.path.join(HERE, "cluster.json"), "w") as f:
            json.dump(cluster, f, indent=2)
            f.write("\n")
        print(f"record.py: {len(lines)} cases recorded")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
