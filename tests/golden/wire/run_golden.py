#!/usr/bin/env python3
"""Runs the etcdctl reference cases with the REAL etcdctl against `etcdplay serve`, and scores them.

Starts `etcdplay serve` with the reference cluster's names, URLs and token (so member and cluster IDs
are the reference's), then runs every case of CASES_DIR/cases.jsonl in order as
`etcdctl --endpoints=... ARGS` (Debian's etcdctl 3.4.23), in real time, the way the reference harness
did: background cases under `timeout`, their actions 1 s later, 0.2 s apart. Phase events go to the serve
process's stdin as directives (`@kill e3`, `@restart e1`). Paths under /backup and /var/lib/etcd are
moved into a temporary directory (and moved back in the outputs). Results go to OUT (compare.py's
format) and compare.py prints the score.

The `restore` and `restored` phases (cases 249-261) are what an operator does with a served snapshot:
the real etcdctl restores the bolt file `snapshot save` fetched from serve into a data dir, offline, and
the restored cluster is a REAL etcd 3.4 (`/usr/bin/etcd`) started from that data dir, as the reference
harness started one. Those cases check the snapshot etcdplay wrote: its keys, revisions, compaction and
leases as a real etcd reads them. `serve` itself does not start from a real etcd data dir.

Usage: python3 tests/golden/wire/run_golden.py ETCDPLAY_BIN CASES_DIR OUT [--etcdctl PATH]
Exit status: compare.py's (0 only if no case failed).
"""
import json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time

def members(cluster, key):
    return cluster[key]["members"]


class Serve:
    """An `etcdplay serve` process and its control channel."""

    def __init__(self, binary, cluster):
        ms = members(cluster, "initial")
        peers = ",".join(f"{m['name']}={m['peer_url']}" for m in ms)
        clients = ",".join(f"{m['name']}={m['client_url']}" for m in ms)
        self.proc = subprocess.Popen(
            [binary, "serve", "--no-page", "--initial-cluster", peers, "--client-urls", clients,
             "--initial-cluster-token", cluster["initial"]["token"]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, text=True, bufsize=1)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(lambda l: "ready" in l, 30)

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def wait_for(self, pred, timeout):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for i, l in enumerate(self.lines):
                    if pred(l):
                        del self.lines[: i + 1]
                        return l
                left = deadline - time.time()
                if left <= 0 or self.proc.poll() is not None:
                    raise RuntimeError("etcdplay serve did not answer: " + "".join(self.lines[-5:]))
                self.cond.wait(left)

    def control(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        self.wait_for(lambda l: l.startswith("# done"), 30)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_real_etcd(ev, cluster, moved, state):
    """The restored cluster: a real etcd from the data dir etcdctl restored (127.0.0.1 only)."""
    data_dir = moved(ev["from_data_dir"])
    cmd = ["/usr/bin/etcd", "--name", ev["member"], "--data-dir", data_dir,
           "--listen-client-urls", ev["client_url"], "--advertise-client-urls", ev["client_url"],
           "--listen-peer-urls", ev["peer_url"], "--initial-advertise-peer-urls", ev["peer_url"],
           "--initial-cluster", f"{ev['member']}={ev['peer_url']}"]
    log = open(data_dir + ".log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    state["real"][ev["member"]] = proc
    endpoint = ev["client_url"].split("://")[1]
    for _ in range(100):
        if subprocess.run(["/usr/bin/etcdctl", "--endpoints=" + endpoint, "endpoint", "health"],
                          capture_output=True, env=dict(os.environ, ETCDCTL_API="3")).returncode == 0:
            return
        time.sleep(0.1)


def stop_real_etcd(state, name):
    proc = state["real"].pop(name, None)
    if proc:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def phase_event(serve, ev, state, cluster=None, moved=None):
    kind = ev["event"]
    if kind == "start" and ev.get("cluster") == "restored":
        return start_real_etcd(ev, cluster, moved, state)
    if kind == "stop" and ev["member"] in state["real"]:
        return stop_real_etcd(state, ev["member"])
    if kind == "start-all":
        return  # the served cluster starts fresh with the process
    if kind == "wait":
        time.sleep(ev["seconds"])
    elif kind == "stop" and ev["member"] in state["running"]:
        serve.control(f"@kill {ev['member']}")
        state["running"].discard(ev["member"])
        time.sleep(2.0)  # the harness waited for the process to exit (as golden.rs: STOP_WAIT_MS)
    elif kind == "stop-all":
        for m in sorted(state["running"]):
            serve.control(f"@kill {m}")
        state["running"].clear()
    elif kind == "restart-all":
        for m in ev["members"]:
            serve.control(f"@restart {m}")
            state["running"].add(m)
        serve.control("@wait-leader")
        time.sleep(1.0)


class Ids:
    """Real IDs of the reference run mapped to the ones this run produced (as golden.rs does)."""

    def __init__(self, cases):
        seen = []
        for c in cases:
            for r in c["refs"]:
                v = int(r["value"], 16) if r["form"] == "hex" else int(r["value"])
                if not any(k == r["kind"] and x == v for _, k, x in seen):
                    seen.append((r["first_seen_in_case"], r["kind"], v))
        seen.sort()
        self.real, self.ours = {}, {}
        for _, k, v in seen:
            self.real.setdefault(k, []).append(v)

    def learn(self, args, rc, stdout):
        kind = "lease-id" if args[:2] == ["lease", "grant"] else "new-member-id" if args[:2] == ["member", "add"] else None
        if kind is None or rc != 0:
            return
        if stdout.startswith("{"):
            m = re.search(r'"ID":(\d+)', stdout)
            v = int(m.group(1)) if m else None
        else:
            words = [w for w in re.split(r"[^0-9A-Za-z]", stdout) if w]
            try:
                v = int(words[1], 16)
            except (IndexError, ValueError):
                v = None
        if v is not None:
            self.ours.setdefault(kind, []).append(v)

    def substitute(self, case):
        args = list(case["args"])
        for r in case["refs"]:
            hexform = r["form"] == "hex"
            real = int(r["value"], 16) if hexform else int(r["value"])
            try:
                ours = self.ours[r["kind"]][self.real[r["kind"]].index(real)]
            except (KeyError, ValueError, IndexError):
                continue
            args[r["arg"]] = args[r["arg"]].replace(r["value"], f"{ours:016x}" if hexform else str(ours))
        return args


def main():
    argv = sys.argv[1:]
    etcdctl = "/usr/bin/etcdctl"
    if "--etcdctl" in argv:
        i = argv.index("--etcdctl")
        etcdctl = argv[i + 1]
        del argv[i : i + 2]
    if len(argv) != 3:
        sys.exit(__doc__)
    binary, cases_dir, out_path = argv
    cluster = json.load(open(os.path.join(cases_dir, "cluster.json")))
    cases = [json.loads(l) for l in open(os.path.join(cases_dir, "cases.jsonl")) if l.strip()]
    root = tempfile.mkdtemp(prefix="etcdplay-wire-golden-")
    for d in ("backup", "var/lib/etcd"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    env = dict(os.environ, ETCDCTL_API="3")
    moved = lambda a: a.replace("/backup/", root + "/backup/").replace("/var/lib/etcd/", root + "/var/lib/etcd/")
    back = lambda s: s.replace(root, "")

    def etcdctl_run(endpoints, args, stdin, timeout=None):
        cmd = ([ "timeout", str(timeout)] if timeout else []) + [etcdctl, "--endpoints=" + ",".join(endpoints)] + [moved(a) for a in args]
        return cmd

    served_endpoints = {m["client_url"].split("://")[1] for m in members(cluster, "initial")}
    serve = Serve(binary, cluster)
    state = {"running": {m["name"] for m in members(cluster, "initial")}, "real": {}}
    ids = Ids(cases)
    started = time.time()
    try:
        with open(out_path, "w") as out:
            for case in cases:
                for ev in case["before"]:
                    phase_event(serve, ev, state, cluster, moved)
                args = ids.substitute(case)
                bg = case["background"]
                if bg:
                    stdout, stderr, rc = run_background(etcdctl_run, case, args, bg, env)
                else:
                    # A case only for endpoints nobody serves here (the restored cluster) gets a short leash.
                    served = any(e in served_endpoints for e in case["endpoints"])
                    try:
                        p = subprocess.run(etcdctl_run(case["endpoints"], args, None), input=(case["stdin"] or "").encode(),
                                           capture_output=True, env=env, timeout=90 if served else 10)
                        stdout, stderr, rc = text(p.stdout), text(p.stderr), p.returncode
                    except subprocess.TimeoutExpired:
                        # Some etcdctl commands (`lease list`) wait forever for an endpoint that is down.
                        stdout, stderr, rc = "", "run_golden.py: etcdctl timed out\n", 124
                stdout, stderr = back(stdout), back(stderr)
                ids.learn(case["args"], rc, stdout)
                out.write(json.dumps({"n": case["n"], "stdout": stdout, "stderr": stderr, "rc": rc}) + "\n")
                out.flush()
    finally:
        serve.stop()
        for name in list(state["real"]):
            stop_real_etcd(state, name)
        shutil.rmtree(root, ignore_errors=True)
    print(f"ran {len(cases)} cases with {etcdctl} in {time.time() - started:.0f} s", flush=True)
    r = subprocess.run([sys.executable, os.path.join(cases_dir, "compare.py"), cases_dir, out_path, "--max-diff", "400"])
    sys.exit(r.returncode)


def run_background(etcdctl_run, case, args, bg, env):
    """A background case: the command under `timeout`, its actions and observers while it runs."""
    held = bg.get("stdin_held_open_s")
    p = subprocess.Popen(etcdctl_run(case["endpoints"], args, None, bg["timeout_s"]), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if case["stdin"]:
        p.stdin.write(case["stdin"].encode())
        p.stdin.flush()
    if not held:
        p.stdin.close()
        p.stdin = None
    start = time.time()
    observers = []
    for o in bg.get("observers", []):
        time.sleep(max(0, start + o["start_after_s"] - time.time()))
        observers.append(subprocess.Popen(etcdctl_run(case["endpoints"], o["args"], None, o["timeout_s"]),
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
    at = start + bg.get("actions_start_after_s", 1)
    for a in bg.get("actions", []):
        time.sleep(max(0, at - time.time()))
        subprocess.run(etcdctl_run(case["endpoints"], a["args"], None), capture_output=True, env=env, timeout=90)
        at += bg.get("action_spacing_s", 0.2)
    if held:
        time.sleep(max(0, start + held - time.time()))
        p.stdin.close()
        p.stdin = None
    stdout, stderr = p.communicate()
    for o in observers:
        o.wait()
    return text(stdout), text(stderr), p.returncode


def text(b):
    """Output bytes as text, carriage returns kept (check perf's progress bar)."""
    return b.decode("utf-8", "replace")


if __name__ == "__main__":
    main()
