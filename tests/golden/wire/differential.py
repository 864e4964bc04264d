#!/usr/bin/env python3
"""Differential test: the same seeded etcdctl commands against a real etcd 3.4 and `etcdplay serve`.

Generates a random command sequence from a seed (put/get with their flags, del, txn, compaction, reads
and watches at old and compacted revisions, leases with attached keys, and JSON gateway calls: POST
/v3/kv/put, range, deleterange, txn, compaction, /v3/lease/timetolive), runs it with the real etcdctl
against a real 3-member etcd started on 127.0.0.1 (own ports, a temporary data dir, stopped by PID), then
against `etcdplay serve` configured with the same names, URLs and token (so the same member and cluster
IDs), and compares every command's stdout, stderr and exit status after masking only what differs
between two real runs: which member answered, Raft terms, lease IDs (numbered by first appearance),
remaining TTLs, and zap log lines.

Usage: python3 tests/golden/wire/differential.py ETCDPLAY_BIN [--seed S] [--commands N] [--show N]
Exit status 0 only if every command matched. The seed is printed; the same seed replays the same
commands.
"""
import argparse, base64, json, os, random, re, shutil, signal, subprocess, sys, tempfile, time
import urllib.error, urllib.request

TOKEN = "differential"
MEMBERS = [(f"d{i}", f"http://127.0.0.1:2459{i}", f"http://127.0.0.1:2469{i}") for i in (1, 2, 3)]
ENDPOINTS = [c[len("http://"):] for _, c, _ in MEMBERS]
KEYS = ["a", "b", "c", "k/1", "k/2", "k/3", "z"]
ENV = dict(os.environ, ETCDCTL_API="3")


def commands(seed, n):
    """The command sequence: (args, stdin, timeout_s) with `{L3}` for this run's 4th granted lease."""
    rng = random.Random(seed)
    out, leases, writes = [], 0, 1

    def key():
        return rng.choice(KEYS)

    def lease_ref():
        return "{L%d}" % rng.randrange(leases)

    def rev():
        # Old and current revisions, compacted or not, and now and then a future one. (`writes` counts
        # commands that may write, so it runs ahead of the store's revision.)
        return rng.randint(1, writes + 2) if rng.random() < 0.1 else rng.randint(1, max(1, writes * 3 // 4))

    for _ in range(n):
        kind = rng.choices(["put", "get", "del", "txn", "compact", "lease", "watch", "gateway"],
                           [30, 30, 8, 10, 4, 10, 8, 12])[0]
        if kind == "gateway":
            out.append(gateway_call(rng, key, rev, leases, lease_ref))
            writes += 1
        elif kind == "put":
            args = ["put", key(), "v%d" % rng.randrange(100)]
            if rng.random() < 0.3:
                args.append("--prev-kv")
            if leases and rng.random() < 0.3:
                args.append("--lease=" + lease_ref())
            if rng.random() < 0.2:
                args += ["-w", rng.choice(["json", "fields"])]
            out.append((args, None, None))
            writes += 1
        elif kind == "get":
            args = ["get", key()]
            r = rng.random()
            if r < 0.3:
                args.append("--prefix")
            elif r < 0.4:
                args.append("--from-key")
            elif r < 0.5:
                args.insert(2, key())
            if rng.random() < 0.3:
                args.append("--rev=%d" % rev())
            if rng.random() < 0.3:
                args.append("--limit=%d" % rng.randint(1, 4))
            if rng.random() < 0.3:
                args.append("--sort-by=" + rng.choice(["KEY", "VERSION", "CREATE", "MODIFY", "VALUE"]))
                args.append("--order=" + rng.choice(["ASCEND", "DESCEND"]))
            if rng.random() < 0.15:
                args.append(rng.choice(["--keys-only", "--count-only", "--print-value-only"]))
            if rng.random() < 0.3:
                args += ["-w", rng.choice(["json", "fields", "simple"])]
            if rng.random() < 0.2:
                args.append("--consistency=s")
            out.append((args, None, None))
        elif kind == "del":
            args = ["del", key()]
            if rng.random() < 0.4:
                args.append("--prefix")
            if rng.random() < 0.4:
                args.append("--prev-kv")
            out.append((args, None, None))
            writes += 1
        elif kind == "txn":
            k = key()
            cmp = rng.choice([f'value("{k}") = "v{rng.randrange(100)}"', f'version("{k}") > "{rng.randrange(3)}"',
                              f'mod("{k}") < "{rev()}"', f'create("{k}") = "0"'])
            ops = lambda: "".join(rng.choice([f"put {key()} t{rng.randrange(9)}", f"get {key()}", f"del {key()}"]) + "\n"
                                  for _ in range(rng.randint(0, 2)))
            # Compares, success ops, failure ops, each ended by an empty line (as `etcdctl txn` reads them).
            stdin = f"{cmp}\n\n{ops()}\n{ops()}\n"
            args = ["txn"] + (["-w", "json"] if rng.random() < 0.3 else [])
            out.append((args, stdin, None))
            writes += 1
        elif kind == "compact":
            args = ["compact", str(rng.randint(1, writes))]
            if rng.random() < 0.5:
                args.append("--physical")
            out.append((args, None, None))
        elif kind == "lease":
            r = rng.random()
            if r < 0.4 or not leases:
                out.append((["lease", "grant", str(rng.choice([60, 300, 600]))], None, None))
                leases += 1
            elif r < 0.55:
                out.append((["lease", "revoke", lease_ref()], None, None))
                writes += 1
            elif r < 0.85:
                out.append((["lease", "timetolive", lease_ref()] + (["--keys"] if rng.random() < 0.5 else []), None, None))
            else:
                out.append((["lease", "list"], None, None))
        else:
            args = ["watch", key(), "--rev=%d" % rev()]
            if rng.random() < 0.4:
                args.append("--prefix")
            if rng.random() < 0.4:
                args.append("--prev-kv")
            out.append((args, None, 1.5))
    return out


def b64(s):
    return base64.b64encode(s.encode()).decode()


def gateway_call(rng, key, rev, leases, lease_ref):
    """A JSON gateway request: ("POST", path, body) in place of etcdctl's args."""
    r = rng.random()
    if r < 0.25:
        body = {"key": b64(key()), "value": b64("g%d" % rng.randrange(100))}
        if rng.random() < 0.4:
            body["prev_kv"] = True
        return (["POST", "/v3/kv/put", json.dumps(body)], None, None)
    if r < 0.55:
        body = {"key": b64(key())}
        if rng.random() < 0.4:
            body["range_end"] = b64("\0") if rng.random() < 0.5 else b64("z")
        if rng.random() < 0.3:
            body["revision"] = str(rev())
        if rng.random() < 0.3:
            body["limit"] = rng.randint(1, 3)
        if rng.random() < 0.2:
            body["sort_order"], body["sort_target"] = rng.choice(["ASCEND", "DESCEND"]), rng.choice(["KEY", "MOD", "VALUE"])
        for flag in ("keys_only", "count_only", "serializable"):
            if rng.random() < 0.1:
                body[flag] = True
        return (["POST", "/v3/kv/range", json.dumps(body)], None, None)
    if r < 0.65:
        body = {"key": b64(key()), "prev_kv": rng.random() < 0.5}
        return (["POST", "/v3/kv/deleterange", json.dumps(body)], None, None)
    if r < 0.8:
        k = key()
        body = {"compare": [{"target": "VERSION", "result": rng.choice(["EQUAL", "GREATER"]), "key": b64(k), "version": str(rng.randrange(3))}],
                "success": [{"request_put": {"key": b64(k), "value": b64("s")}}],
                "failure": [{"request_range": {"key": b64(k)}}]}
        return (["POST", "/v3/kv/txn", json.dumps(body)], None, None)
    if r < 0.9 or not leases:
        return (["POST", "/v3/lease/timetolive" if leases else "/v3/lease/leases",
                 json.dumps({"ID": "{D%d}" % int(lease_ref()[2:-1]), "keys": True} if leases else {})], None, None)
    return (["POST", "/v3/kv/compaction", json.dumps({"revision": str(rev())})], None, None)


def gateway(args, leases):
    """Runs a gateway request with urllib; returns (body, "", HTTP status) like an etcdctl result."""
    _, path, body = args
    body = re.sub(r"\{D(\d+)\}", lambda m: str(leases[int(m.group(1))]) if int(m.group(1)) < len(leases) else "1", body)
    req = urllib.request.Request("http://" + ENDPOINTS[0] + path, data=body.encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read().decode(), "", r.status
    except urllib.error.HTTPError as e:
        return e.read().decode(), "", e.code


def run_all(cmds):
    """Runs the commands in order; returns [(stdout, stderr, rc)] and this run's lease IDs."""
    leases, results = [], []
    for args, stdin, timeout in cmds:
        if args[0] == "POST":
            results.append(gateway(args, leases))
            continue
        args = [re.sub(r"\{L(\d+)\}", lambda m: "%016x" % leases[int(m.group(1))] if int(m.group(1)) < len(leases) else "1", a) for a in args]
        cmd = (["timeout", str(timeout)] if timeout else []) + ["etcdctl", "--endpoints=" + ",".join(ENDPOINTS)] + args
        p = subprocess.run(cmd, input=stdin or "", capture_output=True, text=True, env=ENV, timeout=60)
        if args[:2] == ["lease", "grant"]:
            m = re.match(r"lease ([0-9a-f]+) granted", p.stdout)
            if m:
                leases.append(int(m.group(1), 16))
        results.append((p.stdout, p.stderr, p.returncode))
    return results, leases


def mask(text, leases):
    text = "\n".join(l for l in text.split("\n") if not l.startswith('{"level":'))
    for i, l in enumerate(leases):
        text = text.replace("%016x" % l, f"<L{i}>").replace("%x" % l, f"<L{i}>").replace(str(l), f"<L{i}>")
    text = re.sub(r'"member_id":"?\d+"?', '"member_id":<M>', text)
    text = re.sub(r'"MemberID" : \d+', '"MemberID" : <M>', text)
    text = re.sub(r'"raft_term":"?\d+"?', '"raft_term":<T>', text)
    text = re.sub(r'"RaftTerm" : \d+', '"RaftTerm" : <T>', text)
    text = re.sub(r"remaining\(\d+s\)", "remaining(<TTL>s)", text)
    text = re.sub(r'"ttl":\d+', '"ttl":<TTL>', text)
    text = re.sub(r'"TTL":"\d+"', '"TTL":<TTL>', text)
    return text


def normal(result, leases, args):
    out, err, rc = result
    out, err = mask(out, leases), mask(err, leases)
    if args[:2] == ["lease", "list"]:
        out = "\n".join(sorted(out.split("\n")))
    return out, err, rc


def wait_healthy():
    for _ in range(150):
        p = subprocess.run(["etcdctl", "--endpoints=" + ",".join(ENDPOINTS), "endpoint", "health"],
                           capture_output=True, env=ENV)
        if p.returncode == 0:
            return
        time.sleep(0.2)
    raise SystemExit("differential.py: the cluster did not become healthy")


def start_real(tmp):
    procs = []
    initial = ",".join(f"{n}={p}" for n, _, p in MEMBERS)
    for name, client, peer in MEMBERS:
        log = open(os.path.join(tmp, f"{name}.log"), "w")
        procs.append(subprocess.Popen([
            "etcd", "--name", name, "--data-dir", os.path.join(tmp, name),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", initial, "--initial-cluster-token", TOKEN, "--initial-cluster-state", "new",
        ], stdout=log, stderr=log))
    return procs


def start_served(binary, tmp):
    peers = ",".join(f"{n}={p}" for n, _, p in MEMBERS)
    clients = ",".join(f"{n}={c}" for n, c, _ in MEMBERS)
    log = open(os.path.join(tmp, "serve.log"), "w")
    return [subprocess.Popen([binary, "serve", "--no-page", "--initial-cluster", peers, "--client-urls", clients,
                              "--initial-cluster-token", TOKEN], stdin=subprocess.PIPE, stdout=log, stderr=log)]


def stop(procs):
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def run_against(start, cmds):
    tmp = tempfile.mkdtemp(prefix="etcdplay-diff-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    procs = []
    try:
        procs = start(tmp)
        wait_healthy()
        started = time.time()
        results, leases = run_all(cmds)
        return results, leases, time.time() - started
    finally:
        stop(procs)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--commands", type=int, default=300)
    ap.add_argument("--show", type=int, default=20)
    ap.add_argument("--dump", help="write every command with both outputs (masked) to this JSON lines file")
    a = ap.parse_args()
    print(f"differential: seed {a.seed}, {a.commands} commands (replay: --seed {a.seed} --commands {a.commands})", flush=True)
    cmds = commands(a.seed, a.commands)
    real, real_leases, t_real = run_against(start_real, cmds)
    ours, our_leases, t_ours = run_against(lambda tmp: start_served(a.binary, tmp), cmds)
    differ = 0
    dump = open(a.dump, "w") if a.dump else None
    for i, (cmd, r, o) in enumerate(zip(cmds, real, ours)):
        rn, on = normal(r, real_leases, cmd[0]), normal(o, our_leases, cmd[0])
        if dump:
            dump.write(json.dumps({"n": i + 1, "args": cmd[0], "stdin": cmd[1], "etcd": rn, "etcdplay": on}) + "\n")
        if rn != on:
            differ += 1
            if differ <= a.show:
                print(f"DIFF #{i + 1}: etcdctl {' '.join(cmd[0])}" + (f"  <<< {cmd[1]!r}" if cmd[1] else ""))
                for name, x, y in zip(("stdout", "stderr", "rc"), rn, on):
                    if x != y:
                        print(f"  {name}: etcd     {x!r}\n  {name}: etcdplay {y!r}")
    print(f"differential: {len(cmds)} commands, {len(cmds) - differ} identical, {differ} differ "
          f"(real etcd {t_real:.1f} s, etcdplay serve {t_ours:.1f} s)")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
