"""bench.py -- cutover against its peer: `watch` over kubectl and curl.

Run through bench/run, which finds the programs.  Everything runs on
loopback: a real Prometheus (promtool-backfilled data, as in
tests/status_live.sh) and the Kubernetes API test server
(tests/kubeapi.py) serving generated pods (bench/fixtures.py).  cutover
runs on a pty (bench/vt.py) exactly as an engineer would run it, with the
example plan (examples/cutover.yaml) pointed at those servers.

CPU time and peak RSS come from wait4()'s rusage, the same numbers
/usr/bin/time -v prints; instruction counts from valgrind's callgrind;
bytes from the pty master.  Only the client processes are measured
(cutover, kubectl, curl), never the servers.

The guard's figures start `cutover guard` in the run's directory and
attach dashboards to it; every guard is stopped when its figure ends or
the run fails.

Prints one table; --json FILE also writes the raw results.
"""
import argparse
import base64
import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixtures  # noqa: E402
from vt import Term  # noqa: E402

TOKEN = "bench-token-not-a-secret"
# A guard at stage 0 with no client leaves after its grace: long enough
# for a figure's windows without a client, short enough that a guard a
# killed run could not stop leaves by itself.
GRACE = "2m"
ROWS, COLS = 40, 120


T0 = time.monotonic()


def log(msg):
    print("# [%3.0fs] %s" % (time.monotonic() - T0, msg), file=sys.stderr,
          flush=True)


def pct(xs, p):
    """The p-th percentile (nearest rank) of xs."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http_get(url, timeout=5.0, context=None):
    with urllib.request.urlopen(url, timeout=timeout, context=context) as r:
        return r.read()



def proto_version():
    """The guard's protocol version, from the source it was built from."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "src", "proto.h")
    with open(path) as f:
        for line in f:
            m = re.match(r"#define PROTO_VERSION (\d+)", line)
            if m:
                return int(m.group(1))
    raise RuntimeError("no PROTO_VERSION in " + path)

class Bench:
    def __init__(self, a):
        self.a = a
        self.quick = a.quick
        self.T = tempfile.mkdtemp(prefix="cutover-bench.")
        self.procs = []
        self.guards = []
        self.sockets = {}
        self.res = {}
        self.nrun = 0
        self.example = os.path.join(a.srcdir, "examples", "cutover.yaml")
        # the traffic driver of the example plan: a script of that name
        drv = os.path.join(self.T, "migrate-apisix-to-istio.sh")
        with open(drv, "w") as f:
            f.write("#!/bin/sh\n"
                    "w=%s/weights\n"
                    "case $1 in\n"
                    "canary) echo \"istio=$2 apisix=$((100 - $2))\" >$w ;;\n"
                    "weights) if [ -f $w ]; then cat $w; "
                    "else echo 'istio=0 apisix=100'; fi ;;\n"
                    "esac\n" % self.T)
        os.chmod(drv, 0o755)
        self.home = os.path.join(self.T, "home")
        os.makedirs(self.home)

    # --- servers -----------------------------------------------------------
    def spawn(self, argv, out, **kw):
        f = open(out, "w")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def wait_ready_line(self, path, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(path) as f:
                for line in f:
                    if line.startswith("ready "):
                        return int(line.split()[1])
            time.sleep(0.05)
        raise RuntimeError("no ready line in %s" % path)

    def start_prometheus(self, name, churn, wait=True):
        d = os.path.join(self.T, "prom-" + name)
        os.makedirs(os.path.join(d, "data"))
        now = int(time.time())
        step = 1 if churn else 15
        # from 20 minutes ago to 20 minutes ahead: instant queries "now"
        # keep finding the same (or, churning, fresh) samples all run long
        start = (now - 1200) // step * step
        fixtures.prom_openmetrics(os.path.join(d, "data.om"), start,
                                  now + 1200, step, churn)
        subprocess.run([self.a.promtool, "tsdb", "create-blocks-from",
                        "openmetrics", os.path.join(d, "data.om"),
                        os.path.join(d, "data")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1h\n")
        port = free_port()
        self.spawn([self.a.prometheus,
                    "--config.file=" + os.path.join(d, "prometheus.yml"),
                    "--storage.tsdb.path=" + os.path.join(d, "data"),
                    "--web.listen-address=127.0.0.1:%d" % port],
                   os.path.join(d, "prometheus.log"))
        url = "http://127.0.0.1:%d" % port
        if wait:
            self.wait_prometheus(url)
        return url

    def wait_prometheus(self, url):
        end = time.monotonic() + 60
        while True:
            try:
                http_get(url + "/-/ready")
                break
            except OSError:
                if time.monotonic() > end:
                    raise RuntimeError("prometheus did not start")
                time.sleep(0.1)
        return url

    def start_kubeapi(self, n, wait=True):
        """The API server with n pods; without wait, call kube_ready on
        what it returns before use."""
        d = os.path.join(self.T, "pods-%d" % n)
        os.makedirs(d)
        counts = fixtures.write_pods(os.path.join(d, "pods.json"), n)
        out = os.path.join(self.T, "kubeapi-%d.out" % n)
        crt, key = self.certificate()
        self.spawn([self.a.python3, os.path.join(self.a.srcdir, "tests",
                                                 "kubeapi.py"),
                    "--port", "0", "--pods", d, "--token", TOKEN,
                    "--tls-cert", crt, "--tls-key", key], out)
        kube = {"n": n, "out": out, "counts": counts,
                "bytes": os.path.getsize(os.path.join(d, "pods.json"))}
        if wait:
            self.kube_ready(kube)
        return kube

    def kube_ready(self, kube):
        """Its port once it listens, and a kubeconfig for it."""
        port = self.wait_ready_line(kube["out"])
        kc = os.path.join(self.T, "kubeconfig-%d" % kube["n"])
        self.write_kubeconfig(kc, port, tls=True)
        kube.update(port=port, kubeconfig=kc)

    def start_hang(self):
        """A server that accepts connections and never answers (one for
        the whole run)."""
        if getattr(self, "hang_port", None):
            return self.hang_port
        out = os.path.join(self.T, "hang.out")
        self.spawn([self.a.python3, os.path.join(self.a.srcdir, "tests",
                                                 "silentd.py")], out)
        self.hang_port = self.wait_ready_line(out)
        return self.hang_port

    def certificate(self):
        """A self-signed server certificate for 127.0.0.1 (made once)."""
        crt = os.path.join(self.T, "server.crt")
        key = os.path.join(self.T, "server.key")
        if not os.path.exists(crt):
            subprocess.run(["openssl", "req", "-x509", "-newkey",
                            "rsa:2048", "-nodes", "-days", "2", "-subj",
                            "/CN=kubeapi-bench", "-addext",
                            "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", key, "-out", crt], check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        return crt, key

    def write_kubeconfig(self, path, port, tls=False):
        """A kubeconfig with a bearer token; over TLS as a real API server
        (kubectl sends no token over plain http)."""
        ca = ""
        if tls:
            with open(self.certificate()[0], "rb") as f:
                ca = "    certificate-authority-data: %s\n" % \
                    base64.b64encode(f.read()).decode()
        with open(path, "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: bench\n"
                    "clusters:\n- name: bench\n  cluster:\n"
                    "    server: %s://127.0.0.1:%d\n%s"
                    "contexts:\n- name: bench\n"
                    "  context: {cluster: bench, user: bench}\n"
                    "users:\n- name: bench\n  user:\n    token: %s\n"
                    % ("https" if tls else "http", port, ca, TOKEN))

    def sslctx(self):
        ctx = ssl.create_default_context(cafile=self.certificate()[0])
        return ctx

    def kube_lists(self, kube):
        """How many pod lists (first pages) the API server has answered."""
        body = http_get("https://127.0.0.1:%d/_test/requests" % kube["port"],
                        context=self.sslctx())
        n = 0
        for line in body.decode().splitlines():
            r = json.loads(line)
            if r["path"].endswith("/pods") and "continue=" not in r["query"]:
                n += 1
        return n

    def kube_post(self, kube, path):
        """One of kubeapi.py's test controls (pods changing)."""
        rq = urllib.request.Request("https://127.0.0.1:%d%s"
                                    % (kube["port"], path), data=b"",
                                    method="POST")
        with urllib.request.urlopen(rq, timeout=30,
                                    context=self.sslctx()) as r:
            return r.read()

    def prom_queries(self, url):
        body = http_get(url + "/metrics").decode()
        n = 0
        for line in body.splitlines():
            if (line.startswith("prometheus_http_requests_total{") and
                    'handler="/api/v1/query"' in line):
                n += int(float(line.split()[-1]))
        return n

    def stop_all(self):
        for g in list(self.guards):
            self.guard_stop(g[0])
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs = []

    # --- the plan ----------------------------------------------------------
    def plan(self, prom_url, kubeconfig, refresh="15s", timeout="10s",
             grace=None):
        """examples/cutover.yaml, pointed at the loopback servers; with
        grace, a guard: section (how long a guard stays at stage 0 with
        no client)."""
        with open(self.example) as f:
            text = f.read()
        subs = [
            ("  url: http://prometheus.monitoring.svc:9090",
             "  url: " + prom_url),
            ("  # kubeconfig: ~/.kube/config", "  kubeconfig: " + kubeconfig),
            ("  context: prod-eu-west-1", "  context: bench"),
            ("\nrefresh: 15s", "\nrefresh: " + refresh),
        ]
        for old, new in subs:
            if old not in text:
                raise RuntimeError("examples/cutover.yaml changed: no %r"
                                   % old)
            text = text.replace(old, new)
        text = re.sub(r"(?m)^(  timeout: )10s$", r"\g<1>" + timeout, text)
        if grace:
            text += "\nguard:\n  grace: %s\n" % grace
        self.nrun += 1
        path = os.path.join(self.T, "plan-%d.yaml" % self.nrun)
        with open(path, "w") as f:
            f.write(text)
        return path

    def env(self):
        self.nrun += 1
        st = os.path.join(self.T, "state-%d" % self.nrun)
        os.makedirs(st)
        # guards' sockets in a directory of the run's own (0700)
        run = os.path.join(self.T, "run-%d" % self.nrun)
        os.makedirs(run, mode=0o700)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": self.home, "XDG_STATE_HOME": st,
               "XDG_RUNTIME_DIR": run,
               "TERM": "xterm-256color", "LANG": "C.UTF-8"}
        return env

    def wrap(self, argv):
        """argv under bench/rusage: (argv, the file it reports to)."""
        self.nrun += 1
        out = os.path.join(self.T, "rusage-%d" % self.nrun)
        return [self.a.rusage, out] + argv, out

    @staticmethod
    def usage(path):
        """(cpu seconds, peak RSS KiB, exit code) from bench/rusage."""
        with open(path) as f:
            u, s, rss, st = f.read().split()
        return float(u) + float(s), int(rss), \
            os.waitstatus_to_exitcode(int(st))

    def dashboard(self, plan, rows=ROWS, cols=COLS, tool=None, env=None):
        """The dashboard on a pty.  Without env: in one process
        (--no-guard: it neither attaches to nor starts a guard), in a
        state directory of its own.  With env (a guard's): attached to
        the guard running there."""
        argv = [self.a.cutover, "-c", plan]
        if env is None:
            argv.append("--no-guard")
            env = self.env()
        if tool:
            t = Term(tool + argv, rows, cols, env, cwd=self.T)
            t.usage_file = None
        else:
            argv, out = self.wrap(argv)
            t = Term(argv, rows, cols, env, cwd=self.T)
            t.usage_file = out
        return t

    def status(self, plan):
        """One `cutover status --json`: (cpu s, maxrss KiB, wall s, rc)."""
        t0 = time.monotonic()
        argv, out = self.wrap([self.a.cutover, "-c", plan, "status",
                               "--json"])
        subprocess.run(argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=self.env(), cwd=self.T)
        cpu, rss, rc = self.usage(out)
        return cpu, rss, time.monotonic() - t0, rc

    # --- what the screen shows ------------------------------------------------
    @staticmethod
    def complete(screen):
        """Every metric has a value and every pod group its counts."""
        lines = screen.lines()
        text = "\n".join(lines)
        if "stage 0/5" not in text:
            return False
        rows = {}
        for ln in lines:
            for key in ("error rate", "P95 latency", "availability", "mTLS",
                        "requests"):
                if ln.startswith(key):
                    rows[key] = ln
        if len(rows) < 5 or any("no data" in v for v in rows.values()):
            return False
        for g in ("istio-ingressgateway", "apisix", "voiceassistant"):
            m = [ln for ln in lines if ln.startswith(g + " ")]
            # "ready/total min N" (the column cuts "min" at 4-digit counts)
            if not m or not re.search(r"\d+/\d+ m", m[0]):
                return False
        return True

    # --- the peer -----------------------------------------------------------
    def peer_queries(self, plan):
        out = subprocess.run([self.a.cutover, "-c", plan, "check"],
                             capture_output=True, text=True, env=self.env(),
                             cwd=self.T).stdout
        qs = []
        for line in out.splitlines():
            m = re.match(r"queries\.([a-z0-9_]+): (.*)$", line)
            if m and m.group(1) != "window":
                qs.append(m.group(2))
        groups = []
        for m in re.finditer(r"pods\.(\d+)\.namespace: (\S+)\npods\.\1\."
                             r"selector: (\S+)", out):
            groups.append((m.group(2), m.group(3)))
        if len(qs) < 8 or len(groups) < 3:
            raise RuntimeError("cannot read queries/groups from check:\n"
                               + out)
        return qs, groups

    def run_child(self, argv, env):
        wargv, out = self.wrap(argv)
        p = subprocess.run(wargv, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env)
        cpu, rss, rc = self.usage(out)
        if rc != 0:
            raise RuntimeError("peer failed (%d): %s\n%s" % (
                rc, " ".join(argv), p.stderr.decode(errors="replace")))
        return cpu, rss

    def peer_round(self, prom_url, kube, qs, groups):
        """What `watch` runs once: kubectl per group, curl per query."""
        env = dict(self.env(), KUBECONFIG=kube["kubeconfig"])
        cpu, rss_k, rss_c = 0.0, 0, 0
        t0 = time.monotonic()
        for ns, sel in groups:
            c, r = self.run_child([self.a.kubectl, "get", "pods", "-n", ns,
                                   "-l", sel], env)
            cpu += c
            rss_k = max(rss_k, r)
        for q in qs:
            c, r = self.run_child([self.a.curl, "-sS", "-g", "--fail",
                                   "--data-urlencode", "query=" + q,
                                   prom_url + "/api/v1/query"], env)
            cpu += c
            rss_c = max(rss_c, r)
        return cpu, rss_k, rss_c, time.monotonic() - t0

    def per_refresh(self, prom_url, kube):
        """Prometheus queries per refresh: every query `cutover check`
        lists (the gates' and the board's), asked once each refresh."""
        if not getattr(self, "nq", 0):
            plan = self.plan(prom_url, kube["kubeconfig"])
            self.nq = len(self.peer_queries(plan)[0])
        return self.nq

    def peer(self, prom_url, kube, rounds):
        plan = self.plan(prom_url, kube["kubeconfig"])
        qs, groups = self.peer_queries(plan)
        if not self.quick:
            self.peer_round(prom_url, kube, qs, groups)  # kubectl's cache
        rs = [self.peer_round(prom_url, kube, qs, groups)
              for _ in range(rounds)]
        return {"cpu": statistics.median(r[0] for r in rs),
                "rss_kubectl": max(r[1] for r in rs),
                "rss_curl": max(r[2] for r in rs),
                "wall": statistics.median(r[3] for r in rs),
                "nqueries": len(qs), "ngroups": len(groups)}

    # --- figure 1, 4, 5: refresh CPU and memory -------------------------------
    def refresh_cost(self, prom_url, kube, seconds, refresh_s, churn=0):
        """Dashboard CPU over `seconds` refreshing every refresh_s, minus
        the same run refreshing once (refresh 1h); per extra refresh.
        Refreshes are counted by the Prometheus queries answered (every
        query of the plan per refresh, as `cutover check` lists them): the
        pods are listed once and then watched.  With
        churn, `churn` pods change (a watch event each) every refresh_s
        during the refreshing run."""
        out = {}
        nq = self.per_refresh(prom_url, kube)
        for mode, refresh in (("busy", "%ds" % refresh_s), ("idle", "1h")):
            plan = self.plan(prom_url, kube["kubeconfig"], refresh=refresh)
            k0, q0 = self.kube_lists(kube), self.prom_queries(prom_url)
            t = self.dashboard(plan)
            ok = t.wait(self.complete, 120)
            stop, changed = threading.Event(), [0]

            def churner():
                while not stop.wait(refresh_s):
                    self.kube_post(kube, "/_test/churn?n=%d" % churn)
                    changed[0] += churn

            th = None
            if churn and mode == "busy":
                th = threading.Thread(target=churner, daemon=True)
                th.start()
            # The steady state: from the first complete frame (start-up
            # and the first lists excluded) to the end, in the process.
            t.run_for(0.5 if self.quick else 1.0)
            pid = child_of(t.pid) or 0
            c0, w0, qw0 = proc_cpu(pid), time.monotonic(), \
                self.prom_queries(prom_url)
            t.run_for(max(1.0 if self.quick else 5.0 * refresh_s,
                          seconds - (time.monotonic() - t.t_exec)))
            c1, w1, qw1 = proc_cpu(pid), time.monotonic(), \
                self.prom_queries(prom_url)
            stop.set()
            if th is not None:
                th.join()
            mem = proc_mem(pid)
            t.finish()
            cpu, rss, _ = self.usage(t.usage_file)
            k1, q1 = self.kube_lists(kube), self.prom_queries(prom_url)
            if not ok:
                raise RuntimeError("dashboard never complete:\n" + t.text())
            out[mode] = {"cpu": cpu, "rss": rss,
                         "rss_file": mem.get("RssFile", 0),
                         "lists": k1 - k0, "queries": q1 - q0,
                         "changed": changed[0],
                         "steady_cpu_per_s": (c1 - c0) / max(1e-3, w1 - w0),
                         "steady_refreshes_per_s": (qw1 - qw0) / nq /
                         max(1e-3, w1 - w0),
                         "wall": time.monotonic() - t.t_exec}
        b, i = out["busy"], out["idle"]
        ng = len(kube["counts"])
        nr = (b["queries"] - i["queries"]) / float(nq)
        out["refreshes"] = nr
        out["prom_refreshes"] = nr
        out["queries_per_refresh"] = nq
        out["lists_per_group"] = (b["lists"] - i["lists"]) / ng
        out["per_refresh_whole"] = (b["cpu"] - i["cpu"]) / max(1.0, nr)
        # Per refresh in the steady state: CPU per second of the refreshing
        # run less that of the run that does not refresh, over refreshes
        # per second (both measured in the process, after start-up).
        out["per_refresh"] = (b["steady_cpu_per_s"] -
                              i["steady_cpu_per_s"]) / \
            max(1e-3, b["steady_refreshes_per_s"])
        out["changed"] = b["changed"]
        out["rss"] = max(b["rss"], i["rss"])
        out["rss_file"] = b["rss_file"]
        return out

    # --- figure 2: keys under a hung backend -----------------------------------
    def key_latency(self, presses):
        hport = self.start_hang()
        kc = os.path.join(self.T, "kubeconfig-hang")
        self.write_kubeconfig(kc, hport)
        plan = self.plan("http://127.0.0.1:%d" % hport, kc, refresh="1s",
                         timeout="5m")
        t = self.dashboard(plan)
        if t.wait(lambda s: "stage 0/5" in s.text(), 20) is None:
            raise RuntimeError("dashboard did not start:\n" + t.text())
        return self.press_help(t, presses)

    def press_help(self, t, presses):
        """`?` pressed `presses` times, 10-50 ms after each answer: the
        latency from the write to the screen showing the help dialog
        complete, or no longer showing it."""
        # every query and list is now hanging
        t.run_for(1.0 if self.quick else 2.0)
        lat = []
        import random
        rnd = random.Random(1)
        opened = False
        for i in range(presses):
            if opened:
                pred = lambda s: "cutover keys" not in s.text()  # noqa: E731
            else:
                pred = lambda s: ("cutover keys" in s.text() and  # noqa
                                  "any key: close" in s.text())
            k = t.send(b"?")
            got = t.wait(pred, 5.0)
            if got is None:
                raise RuntimeError("no answer to key %d:\n%s" % (i, t.text()))
            lat.append((got - k) * 1000.0)
            opened = not opened
            t.run_for(rnd.uniform(0.01, 0.05))
        t.finish(b"\x1bq" if opened else b"q")
        return {"p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat),
                "n": len(lat)}

    # --- figure 3: bytes to the terminal ----------------------------------------
    def watch(self, prom_url, kube, interval):
        """The peer on a terminal: watch over kubectl and curl."""
        plan = self.plan(prom_url, kube["kubeconfig"])
        qs, groups = self.peer_queries(plan)
        self.nrun += 1
        script = os.path.join(self.T, "peer-%d.sh" % self.nrun)
        # the queries first: with 100 pods kubectl's lines alone fill
        # the screen, and watch would not show the numbers at all
        with open(script, "w") as f:
            for q in qs:
                f.write("%s -sS -g --data-urlencode %s %s/api/v1/query; "
                        "echo\n" % (self.a.curl, shlex.quote("query=" + q),
                                    prom_url))
            for ns, sel in groups:
                f.write("%s get pods -n %s -l '%s'\n" % (self.a.kubectl, ns,
                                                        sel))
        env = dict(self.env(), KUBECONFIG=kube["kubeconfig"])
        return Term([self.a.watch, "-n", str(interval), "sh", script],
                    ROWS, COLS, env, cwd=self.T)

    def bytes_idle(self, prom_url, kube, seconds):
        """Bytes per minute of cutover (refresh 15s) and of watch -n 15,
        side by side, once both show everything."""
        plan = self.plan(prom_url, kube["kubeconfig"])   # refresh 15s
        t = self.dashboard(plan)
        w = self.watch(prom_url, kube, 15)
        if t.wait(self.complete, 60) is None:
            raise RuntimeError("never complete:\n" + t.text())
        w.wait(lambda s: "apisix" in s.text() and "success" in s.text(), 60)
        pump_all([t, w], 0.5 if self.quick else 2.0)
        n0, m0, s0 = t.nbytes, w.nbytes, time.monotonic()
        pump_all([t, w], seconds)
        n1, m1, s1 = t.nbytes, w.nbytes, time.monotonic()
        t.finish()
        w.finish(b"\x03")
        per = 60.0 / (s1 - s0)
        return (n1 - n0) * per, (m1 - m0) * per

    def bytes_churn(self, prom_url, kube, seconds, idle_per_min):
        """Bytes per refresh when every metric changes at every refresh
        (refresh 1s against the churning Prometheus), less the idle
        bytes of the same time; then watch -n 1 alone, per round."""
        plan = self.plan(prom_url, kube["kubeconfig"], refresh="1s")
        out = {}
        for who in ("cutover", "peer"):
            if who == "cutover":
                t = self.dashboard(plan)
                if t.wait(self.complete, 60) is None:
                    raise RuntimeError("never complete:\n" + t.text())
            else:
                t = self.watch(prom_url, kube, 1)
                t.wait(lambda s: "apisix" in s.text() and
                       "success" in s.text(), 60)
            t.run_for(0.5 if self.quick else 2.0)
            q0 = self.prom_queries(prom_url)
            n0, s0 = t.nbytes, time.monotonic()
            t.run_for(seconds)
            n1, s1 = t.nbytes, time.monotonic()
            q1 = self.prom_queries(prom_url)
            t.finish(b"q" if who == "cutover" else b"\x03")
            nref = max(1.0, (q1 - q0) / float(
                self.per_refresh(prom_url, kube)))
            if who == "cutover":
                n1 -= idle_per_min * (s1 - s0) / 60.0
            out[who] = (n1 - n0) / nref
            out[who + "_refreshes"] = nref
        return out

    def baseline_rss(self):
        """Peak RSS of `cutover --version`: the shared libraries alone."""
        argv, out = self.wrap([self.a.cutover, "--version"])
        subprocess.run(argv, stdout=subprocess.DEVNULL, env=self.env())
        return self.usage(out)[1]

    # --- figure 6: start-up -------------------------------------------------
    def startup(self, prom_url, kube, runs):
        first, full = [], []
        for _ in range(runs):
            plan = self.plan(prom_url, kube["kubeconfig"])
            t = self.dashboard(plan)
            f = t.wait(lambda s: "stage 0/5" in s.text(), 20)
            c = t.wait(self.complete, 30)
            t.finish()
            if f is None or c is None:
                raise RuntimeError("no complete frame:\n" + t.text())
            first.append((f - t.t_exec) * 1000.0)
            full.append((c - t.t_exec) * 1000.0)
        return {"first": statistics.median(first),
                "complete": statistics.median(full),
                "complete_max": max(full)}

    # --- figure 5: where the time goes ------------------------------------------
    def callgrind(self, prom_url, kube, refreshes, refresh_s):
        """Instructions of `refreshes` steady-state refreshes: the counts
        are zeroed when a refresh starts (after the first complete frame)
        and dumped when the refresh `refreshes` later starts."""
        if not self.a.valgrind or not shutil.which("callgrind_control") \
                or not shutil.which("callgrind_annotate"):
            return None
        out = os.path.join(self.T, "callgrind.out")
        plan = self.plan(prom_url, kube["kubeconfig"],
                         refresh="%ds" % refresh_s)
        t = self.dashboard(plan, tool=[self.a.valgrind, "--tool=callgrind",
                                       "--callgrind-out-file=" + out])
        try:
            if t.wait(self.complete, 300) is None:
                return None

            def next_refresh(timeout):
                # A refresh asks Prometheus every query of the plan; the
                # pods are watched, not listed again.
                q0 = self.prom_queries(prom_url)
                nq = self.per_refresh(prom_url, kube)
                end = time.monotonic() + timeout
                while time.monotonic() < end:
                    t.run_for(0.05)
                    if self.prom_queries(prom_url) >= q0 + nq:
                        return True
                return False

            if not next_refresh(refresh_s * 2 + 30):
                return None
            subprocess.run(["callgrind_control", "-z", str(t.pid)],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            for _ in range(refreshes):
                if not next_refresh(refresh_s * 2 + 30):
                    return None
            subprocess.run(["callgrind_control", "-d", str(t.pid)],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        finally:
            t.finish(timeout=120)
        dumps = sorted(f for f in os.listdir(self.T)
                       if f.startswith("callgrind.out."))
        if not dumps:
            return None
        ann = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                              "--threshold=100",
                              os.path.join(self.T, dumps[0])],
                             capture_output=True, text=True).stdout
        r = parse_callgrind(ann)
        if r:
            r["refreshes"] = refreshes
        return r

    # --- G1-G3: the guard, and a dashboard attached to it ------------------
    def guard_start(self, plan, env):
        """`cutover -c PLAN guard` in the run's directory (detached, its
        socket under env's XDG_RUNTIME_DIR): its pid, once it listens.
        Remembered, so that stop_all ends it whatever happens."""
        p = subprocess.run([self.a.cutover, "-c", plan, "guard"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, env=env, cwd=self.T,
                           timeout=60)
        said = p.stdout.decode(errors="replace")
        m = re.search(r": pid (\d+), socket (\S+),", said)
        if m:
            self.guards.append((int(m.group(1)), plan, env))
            self.sockets[int(m.group(1))] = m.group(2)
        if p.returncode != 0 or not m:
            raise RuntimeError("the guard did not start (exit %d): %s"
                               % (p.returncode, said))
        return int(m.group(1))

    def guard_stop(self, pid):
        """`guard --stop --yes`; SIGTERM, then SIGKILL, if it is still
        there after a bounded wait."""
        g = [x for x in self.guards if x[0] == pid]
        if not g:
            return
        self.guards.remove(g[0])
        _, plan, env = g[0]
        try:
            subprocess.run([self.a.cutover, "-c", plan, "guard", "--stop",
                            "--yes"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL, env=env, cwd=self.T,
                           timeout=30)
        except subprocess.TimeoutExpired:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            end = time.monotonic() + 10
            while guard_alive(pid) and time.monotonic() < end:
                time.sleep(0.05)
            if not guard_alive(pid):
                return
            try:
                os.kill(pid, sig)
            except OSError:
                return

    def guard_first_refresh(self, gpid, prom_url, kube, timeout=120):
        """Until the guard has asked every query and listed every pod
        group once (its first refresh), in a bounded loop."""
        nq, ng = self.per_refresh(prom_url, kube), len(kube["counts"])
        q0, k0 = self.guard_q0
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not guard_alive(gpid):
                raise RuntimeError("the guard died")
            if self.prom_queries(prom_url) >= q0 + nq and \
                    self.kube_lists(kube) >= k0 + ng:
                return
            time.sleep(0.05)
        raise RuntimeError("the guard never refreshed")

    def sample(self, pids, prom_url):
        """(CPU seconds of each pid, monotonic time, queries answered)."""
        return ([proc_cpu(p) for p in pids], time.monotonic(),
                self.prom_queries(prom_url))

    def view_traffic(self, gpid, prom_url, seconds):
        """What the guard sends an attached dashboard: attach as one (a
        hello of the guard's protocol, its version read from src/proto.h)
        and count the views and their bytes for `seconds`, and the
        refreshes meanwhile."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(10)
            s.connect(self.sockets[gpid])
            s.sendall((json.dumps({"type": "hello", "proto": proto_version(),
                                   "program": "bench", "role": "dashboard",
                                   "tty": "", "ssh_client": ""}) +
                       "\n").encode())
            buf, views, nbytes, first = b"", 0, 0, None
            q0 = end = None
            while end is None or time.monotonic() < end:
                s.settimeout(max(0.05, (end or time.monotonic() + 10) -
                                 time.monotonic()))
                try:
                    chunk = s.recv(1 << 20)
                except socket.timeout:
                    if end is None:
                        raise RuntimeError("the guard sent no view")
                    continue
                if not chunk:
                    raise RuntimeError("the guard closed: %r" % buf[:200])
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    kind = json.loads(line).get("type")
                    if kind == "error":
                        raise RuntimeError("the guard refused: %r"
                                           % line[:200])
                    if kind != "view":
                        continue
                    if first is None:   # the view sent on attaching
                        first = len(line) + 1
                        q0 = self.prom_queries(prom_url)
                        end = time.monotonic() + seconds
                        continue
                    views += 1
                    nbytes += len(line) + 1
            nq = self.prom_queries(prom_url) - q0
        finally:
            s.close()
        return {"views": views, "bytes": nbytes, "first_bytes": first,
                "refreshes": nq / float(self.nq), "seconds": seconds}

    def guard_cost(self, prom_url, kube, seconds, refresh_s):
        """The guard's refresh CPU, alone and with a dashboard attached,
        and that dashboard's: per extra refresh, as refresh_cost (the run
        refreshing every refresh_s less the run refreshing once, each
        per second of steady state, over the refreshes per second).  Each
        run: the guard alone for `seconds`, then a dashboard attached for
        `seconds` more."""
        nq = self.per_refresh(prom_url, kube)
        settle = 0.3 if self.quick else 1.0
        out = {}
        for mode, refresh in (("busy", "%ds" % refresh_s), ("idle", "1h")):
            plan = self.plan(prom_url, kube["kubeconfig"], refresh=refresh,
                             grace=GRACE)
            env = self.env()
            self.guard_q0 = (self.prom_queries(prom_url),
                             self.kube_lists(kube))
            gpid = self.guard_start(plan, env)
            self.guard_first_refresh(gpid, prom_url, kube)
            time.sleep(settle)  # the first refresh's answers are in
            a0 = self.sample([gpid], prom_url)
            time.sleep(seconds)
            a1 = self.sample([gpid], prom_url)
            t = self.dashboard(plan, env=env)
            ok = t.wait(lambda s: self.complete(s) and
                        "attached" in s.text(), 60)
            if not ok:
                t.finish()
                raise RuntimeError("no attached dashboard:\n" + t.text())
            t.run_for(settle)
            cpid = child_of(t.pid) or 0
            b0 = self.sample([gpid, cpid], prom_url)
            t.run_for(seconds)
            b1 = self.sample([gpid, cpid], prom_url)
            gmem, cmem = proc_mem(gpid), proc_mem(cpid)
            t.finish()
            vt_ = self.view_traffic(gpid, prom_url, seconds)
            self.guard_stop(gpid)
            _, crss, _ = self.usage(t.usage_file)

            def per_s(x0, x1, i):
                return (x1[0][i] - x0[0][i]) / max(1e-3, x1[1] - x0[1])
            out[mode] = {
                "guard_cpu_per_s": per_s(a0, a1, 0),
                "guard_refreshes_per_s": (a1[2] - a0[2]) / float(nq) /
                max(1e-3, a1[1] - a0[1]),
                "attached_guard_cpu_per_s": per_s(b0, b1, 0),
                "client_cpu_per_s": per_s(b0, b1, 1),
                "attached_refreshes_per_s": (b1[2] - b0[2]) / float(nq) /
                max(1e-3, b1[1] - b0[1]),
                "views": vt_,
                "guard_rss": gmem.get("VmHWM", 0),
                "guard_rss_file": gmem.get("RssFile", 0),
                "client_rss": crss,
                "client_rss_file": cmem.get("RssFile", 0)}
        b, i = out["busy"], out["idle"]

        def per_refresh(key, rkey):
            return (b[key] - i[key]) / max(1e-3, b[rkey])
        out["guard"] = per_refresh("guard_cpu_per_s",
                                   "guard_refreshes_per_s")
        out["guard_attached"] = per_refresh("attached_guard_cpu_per_s",
                                            "attached_refreshes_per_s")
        out["client"] = per_refresh("client_cpu_per_s",
                                    "attached_refreshes_per_s")
        v = b["views"]
        out["views_per_refresh"] = v["views"] / max(1e-3, v["refreshes"])
        out["view_kib"] = v["bytes"] / 1024.0 / max(1, v["views"])
        out["view_kib_per_refresh"] = v["bytes"] / 1024.0 / \
            max(1e-3, v["refreshes"])
        # refreshing once: what is sent with nothing fetched
        v = i["views"]
        out["views_per_min_at_rest"] = v["views"] * 60.0 / v["seconds"]
        out["guard_rss"] = max(b["guard_rss"], i["guard_rss"])
        out["client_rss"] = max(b["client_rss"], i["client_rss"])
        return out

    def client_idle(self, prom_url, kube, seconds):
        """An attached dashboard's CPU with no key pressed, over `seconds`
        after its first complete frame; the example plan (refresh 15s),
        and the guard's CPU over the same seconds."""
        plan = self.plan(prom_url, kube["kubeconfig"], grace=GRACE)
        env = self.env()
        self.guard_q0 = (self.prom_queries(prom_url), self.kube_lists(kube))
        gpid = self.guard_start(plan, env)
        try:
            t = self.dashboard(plan, env=env)
            ok = t.wait(lambda s: self.complete(s) and
                        "attached" in s.text(), 60)
            if not ok:
                t.finish()
                raise RuntimeError("no attached dashboard:\n" + t.text())
            t.run_for(0.5 if self.quick else 1.0)
            cpid = child_of(t.pid) or 0
            x0, n0 = self.sample([gpid, cpid], prom_url), t.nbytes
            t.run_for(seconds)
            x1, n1 = self.sample([gpid, cpid], prom_url), t.nbytes
            t.finish()
        finally:
            self.guard_stop(gpid)
        wall = max(1e-3, x1[1] - x0[1])
        return {"client_cpu_per_s": (x1[0][1] - x0[0][1]) / wall,
                "guard_cpu_per_s": (x1[0][0] - x0[0][0]) / wall,
                "bytes_per_min": (n1 - n0) * 60.0 / wall,
                "seconds": wall}

    def guard_keys(self, presses):
        """Key latency (as key_latency) of a dashboard attached to a guard
        whose Prometheus and API server are hung: the guard's every
        request hangs; the dashboard's own keys must not wait on it."""
        hport = self.start_hang()
        kc = os.path.join(self.T, "kubeconfig-ghang")
        self.write_kubeconfig(kc, hport)
        plan = self.plan("http://127.0.0.1:%d" % hport, kc, refresh="1s",
                         timeout="5m", grace=GRACE)
        env = self.env()
        gpid = self.guard_start(plan, env)
        try:
            t = self.dashboard(plan, env=env)
            if t.wait(lambda s: "stage 0/5" in s.text() and
                      "attached" in s.text(), 30) is None:
                t.finish()
                raise RuntimeError("no attached dashboard:\n" + t.text())
            r = self.press_help(t, presses)
        finally:
            self.guard_stop(gpid)
        return r

# Where instructions go: inclusive counts of these entry points.
# (json_delete is recursive: only its outermost calls, under its own
# name, are counted; callgrind names the inner ones json_delete'2.)
CATEGORIES = [
    ("transfer", ("curl_multi_perform", "curl_multi_poll",
                  "curl_multi_add_handle", "curl_multi_remove_handle",
                  "curl_easy_init", "curl_easy_cleanup")),
    ("tls handshake", ("SSL_do_handshake",)),
    ("json parse", ("json_loadb", "json_loads")),
    ("json free", ("json_delete",)),
    ("health summary", ("podhealth_pod", "podhealth_take",
                        "podhealth_summarise")),
    ("drawing", ("draw",)),
]


def parse_callgrind(ann):
    total = None
    incl = {}
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) .*PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        m = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+(?:\S*:)?"
                     r"([A-Za-z_]\w*)('\d+)? \[", line)
        if m and not m.group(3):
            name = m.group(2)
            incl[name] = max(incl.get(name, 0),
                             int(m.group(1).replace(",", "")))
    if not total:
        return None
    cats = {}
    for cat, funcs in CATEGORIES:
        cats[cat] = sum(incl.get(f, 0) for f in funcs)
    return {"total": total, "cats": cats}


def pump_all(terms, seconds):
    """Read from several terminals at once for `seconds`."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        fds = [t.fd for t in terms if t.fd is not None]
        if not fds:
            return
        select.select(fds, [], [], min(left, 0.5))
        for t in terms:
            t.pump(0)


def proc_cpu(pid):
    """CPU time of a process so far (s), from /proc/PID/schedstat (ns)."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def proc_mem(pid):
    """VmHWM and RssFile (KiB) of a process, from /proc."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def guard_alive(pid):
    """A guard is still there: /proc/PID is a cutover that is not a
    zombie (a guard is not our child: whoever reaps it, a dead one is
    not mistaken for a live one, nor a reused pid for it)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv0 = f.read().split(b"\0")[0]
    except OSError:
        return False
    state = st[st.rfind(")") + 2:][:1]
    return state not in ("Z", "X", "") and b"cutover" in argv0


def child_of(pid):
    """The first child of pid (cutover under bench/rusage)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None
    except OSError:
        return None


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except OSError:
        pass
    osname = "?"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    osname = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "%s, %d CPUs, %d MiB RAM, Linux %s, %s" % (
        cpu, os.cpu_count() or 0, mem, os.uname().release, osname)


# --- the table ------------------------------------------------------------------

class Table:
    def __init__(self):
        self.rows = []
        self.breaches = []      # the figures that must hold and did not

    def add(self, fid, what, ours, peer="-", ratio="-", target="-",
            verdict="-"):
        self.rows.append((fid, what, ours, peer, ratio, target, verdict))

    def text(self):
        head = ("id", "figure", "cutover", "peer", "ratio", "target",
                "result")
        w = [max(len(str(r[i])) for r in self.rows + [head])
             for i in range(len(head))]
        out = []
        for r in [head] + self.rows:
            out.append("  ".join(str(x).ljust(w[i]) if i < 2 else
                                 str(x).rjust(w[i])
                                 for i, x in enumerate(r)).rstrip())
        return "\n".join(out)


def f1(x, nd=1):
    return "%.*f" % (nd, x)


def ratio_text(ours, peer):
    if ours <= 0 or peer <= 0:
        return "-"
    return "1/%.0f" % (peer / ours) if peer >= ours else "%.1fx" % (
        ours / peer)


def verdict(ok):
    return "PASS" if ok else "MISS"


def watch_figures(b, tab, res, q, sizes, secs, steady, churn, kubes):
    """F1-F7: cutover against its peer (the table's first part)."""
    small, mid, big = (kubes[n] for n in sizes)
    # 1, 4, 5: refresh CPU and memory at every size, and the peer
    cost, peer, stat, churned = {}, {}, {}, {}
    for n in sizes:
        refresh = 1 if n <= 1000 else 4
        d = secs if n <= 1000 else max(secs, 7 * refresh)
        log("refresh cost, %d pods: dashboard %gs refreshing every %ds, "
            "and %gs refreshing once" % (n, d, refresh, d))
        cost[n] = b.refresh_cost(steady, kubes[n], d, refresh)
        if not q or n == sizes[2]:
            log("refresh cost, %d pods, 1%% of them changing per "
                "refresh" % n)
            churned[n] = b.refresh_cost(steady, kubes[n], d, refresh,
                                        churn=max(1, n // 100))
        plan = b.plan(steady, kubes[n]["kubeconfig"])
        st = [b.status(plan) for _ in range(1 if q else 3)]
        stat[n] = {"cpu": statistics.median(x[0] for x in st),
                   "rss": max(x[1] for x in st),
                   "rc": max(x[3] for x in st)}
        log("the peer, %d pods: kubectl get pods per group, curl per "
            "query" % n)
        peer[n] = b.peer(steady, kubes[n], 1 if (q or n >= 10000)
                         else 3)
    res.update(cost=cost, peer=peer, status=stat, churned=churned)

    c, p = cost[sizes[0]], peer[sizes[0]]
    ms, pms = c["per_refresh"] * 1000, p["cpu"] * 1000
    tab.add("F1a", "refresh CPU, %d pods (ms/refresh)" % sizes[0],
            f1(ms, 2), f1(pms), ratio_text(ms, pms), "< 1/20",
            verdict(ms * 20 < pms))
    sms = stat[sizes[0]]["cpu"] * 1000
    tab.add("F1b", "one-shot status --json incl. start-up (ms)",
            f1(sms), f1(pms), ratio_text(sms, pms))

    log("key latency: %d presses, Prometheus and API server hung"
        % (20 if q else 200))
    kl = b.key_latency(20 if q else 200)
    res["keys"] = kl
    tab.add("F2a", "key to screen, hung backend, p50 (ms)",
            f1(kl["p50"], 2))
    tab.add("F2b", "key to screen, hung backend, p99 (ms)",
            f1(kl["p99"], 2), target="< 16", verdict=verdict(
                kl["p99"] < 16))

    log("bytes to the terminal: idle %gs, cutover and watch side by "
        "side" % (2 if q else 60))
    idle, pidle = b.bytes_idle(steady, small, 2 if q else 60)
    log("bytes to the terminal: every metric changing, %gs each"
        % (1.5 if q else 20))
    ch = b.bytes_churn(churn, small, 1.5 if q else 20, idle)
    res["bytes"] = {"idle_per_min": idle, "peer_idle_per_min": pidle,
                    "churn": ch}
    tab.add("F3a", "bytes/min, idle dashboard (refresh 15s)",
            "%.0f" % idle, "%.0f" % pidle, ratio_text(idle, pidle),
            "< 2048", verdict(idle < 2048))
    tab.add("F3b", "bytes/refresh, every metric changes",
            "%.0f" % ch["cutover"], "%.0f" % ch["peer"],
            ratio_text(ch["cutover"], ch["peer"]))

    for fid, n in zip(("F4a", "F4b", "F4c"), sizes):
        rss = cost[n]["rss"] / 1024.0
        anon = (cost[n]["rss"] - cost[n]["rss_file"]) / 1024.0
        kb = peer[n]["rss_kubectl"] / 1024.0
        tgt, vd = ("< 10", verdict(rss < 10)) if n == sizes[1] else \
            ("-", "-")
        tab.add(fid, "peak RSS, %d pods (MiB)" % n, f1(rss), f1(kb),
                ratio_text(rss, kb), tgt, vd)
        tab.add(fid + "+", "  of it not shared libraries (MiB)",
                f1(anon))
    base = b.baseline_rss()
    res["rss_version"] = base
    tab.add("F4d", "peak RSS of `cutover --version` (MiB)",
            f1(base / 1024.0))
    for fid, n, lim in (("F4e", sizes[1], 3), ("F4f", sizes[2], 8)):
        above = (cost[n]["rss"] - base) / 1024.0
        tab.add(fid, "peak RSS above the floor, %d pods (MiB)" % n,
                f1(above), "-", "-", "< %d" % lim, verdict(above < lim))

    for fid, n in (("F5a", sizes[1]), ("F5b", sizes[2])):
        ms = cost[n]["per_refresh"] * 1000
        pms = peer[n]["cpu"] * 1000
        tab.add(fid, "refresh CPU, %d pods (ms/refresh)" % n, f1(ms, 2),
                f1(pms), ratio_text(ms, pms), "< 1/100",
                verdict(ms * 100 < pms))
    g = cost[sizes[2]]["per_refresh"] / max(1e-9,
                                            cost[sizes[1]]["per_refresh"])
    pg = peer[sizes[2]]["cpu"] / max(1e-9, peer[sizes[1]]["cpu"])
    tab.add("F5c", "growth %d -> %d pods (x)" % (sizes[1], sizes[2]),
            f1(g), f1(pg), "-", "< 1.3", verdict(g <= 1.3))
    for fid, n in zip(("F7a", "F7b", "F7c"), sizes):
        if n not in churned:
            tab.add(fid, "  not measured with --quick", "n/a")
            continue
        ms = churned[n]["per_refresh"] * 1000
        pms = peer[n]["cpu"] * 1000
        tab.add(fid, "refresh CPU, %d pods, 1%% changing (ms)" % n,
                f1(ms, 2), f1(pms), ratio_text(ms, pms))
    # Per event: the extra CPU of the changing run over the steady one,
    # divided by the pods that changed per refresh.
    n = sizes[2]
    per_ev = (churned[n]["per_refresh"] - cost[n]["per_refresh"]) / \
        max(1, n // 100) * 1e6
    tab.add("F7d", "  CPU per changed pod, %d pods (us)" % n,
            f1(per_ev))

    # The smallest size: under callgrind a refresh is ~100x slower,
    # and the shares of the categories hardly move with the size.
    cgn = sizes[0]
    log("where the instructions go: callgrind over one refresh of %d "
        "pods (slow)" % cgn)
    cg = b.callgrind(steady, kubes[cgn], 1, 3 if q else 15)
    res["callgrind"] = cg
    if cg:
        tot = cg["total"]
        tab.add("F5d", "instructions per refresh, %d pods (millions)"
                % cgn, "%.1f" % (tot / cg["refreshes"] / 1e6))
        for fid, cat in (("F5e", "transfer"), ("F5f", "tls handshake"),
                         ("F5g", "json parse"), ("F5h", "json free"),
                         ("F5i", "health summary"), ("F5j", "drawing")):
            tab.add(fid, "  %s, %% of them%s" % (
                cat, " (part of transfer)" if cat == "tls handshake"
                else ""), f1(100.0 * cg["cats"][cat] / tot))
    else:
        for fid in ("F5d", "F5e", "F5f", "F5g", "F5h", "F5i", "F5j"):
            tab.add(fid, "  callgrind not available", "n/a")

    log("start-up: exec to first complete frame, example plan")
    su = b.startup(steady, small, 1 if q else 10)
    res["startup"] = su
    pw = peer[sizes[0]]["wall"] * 1000
    tab.add("F6a", "start-up to first frame (ms)", f1(su["first"]))
    tab.add("F6b", "start-up to first complete frame (ms)",
            f1(su["complete"]), f1(pw), ratio_text(su["complete"], pw))
    log("start-up at %d pods" % sizes[2])
    sub = b.startup(steady, big, 1 if q else 3)
    res["startup_big"] = sub
    pw = peer[sizes[2]]["wall"] * 1000
    tab.add("F6c", "first complete frame, %d pods (ms)" % sizes[2],
            f1(sub["complete"]), f1(pw), ratio_text(sub["complete"], pw),
            "< 1000", verdict(sub["complete"] < 1000))


def guard_figures(b, tab, res, q, steady, kube, secs):
    """G1-G3: the guard (`cutover guard`) and a dashboard attached to it,
    at the smallest size (the example's 100 pods; 20 with --quick)."""
    n = kube["n"]
    log("the guard's refresh cost, %d pods: refreshing every 1s and once, "
        "%gs alone then %gs with a dashboard attached, each"
        % (n, secs, secs))
    g = b.guard_cost(steady, kube, secs, 1)
    res["guard"] = {"cost": g}
    tab.add("G1a", "guard refresh CPU, %d pods, alone (ms/refresh)" % n,
            f1(g["guard"] * 1000, 2))
    tab.add("G1b", "  with a dashboard attached (ms/refresh)",
            f1(g["guard_attached"] * 1000, 2))
    tab.add("G1c", "attached dashboard, CPU per refresh (ms)",
            f1(g["client"] * 1000, 2))
    tab.add("G1d", "views a dashboard is sent per refresh",
            f1(g["views_per_refresh"]))
    tab.add("G1e", "  KiB per view", f1(g["view_kib"]))
    tab.add("G1f", "guard peak RSS, %d pods (MiB)" % n,
            f1(g["guard_rss"] / 1024.0))
    tab.add("G1g", "attached dashboard peak RSS (MiB)",
            f1(g["client_rss"] / 1024.0))
    idle_s = 1 if q else 60
    log("an attached dashboard, no key pressed, %ds (refresh 15s)" % idle_s)
    ci = b.client_idle(steady, kube, idle_s)
    res["guard"]["idle"] = ci
    tab.add("G1h", "views sent per minute, nothing fetched",
            f1(g["views_per_min_at_rest"]))
    tab.add("G2a", "attached dashboard idle CPU, %ds (ms/s)" % idle_s,
            f1(ci["client_cpu_per_s"] * 1000, 2))
    tab.add("G2b", "  the guard over the same seconds (ms/s)",
            f1(ci["guard_cpu_per_s"] * 1000, 2))
    tab.add("G2c", "  bytes/min to the attached terminal",
            "%.0f" % ci["bytes_per_min"], target="< 2048",
            verdict=verdict(ci["bytes_per_min"] < 2048))
    presses = 20 if q else 200
    log("key latency of an attached dashboard: %d presses, the guard's "
        "Prometheus and API server hung" % presses)
    kl = b.guard_keys(presses)
    res["guard"]["keys"] = kl
    tab.add("G3a", "attached key to screen, hung backends, p50 (ms)",
            f1(kl["p50"], 2))
    ok = kl["p99"] < 16
    tab.add("G3b", "attached key to screen, hung backends, p99 (ms)",
            f1(kl["p99"], 2), target="< 16",
            verdict="PASS" if ok else "BREACH")
    if not ok:
        tab.breaches.append("G3b: an attached dashboard's keys took "
                            "%.2f ms at p99 with the backends hung "
                            "(must stay under 16 ms)" % kl["p99"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--only", choices=("guard",))
    ap.add_argument("--strict", action="store_true")
    for tool in ("cutover", "prometheus", "promtool", "kubectl", "curl",
                 "python3", "valgrind", "rusage", "watch", "srcdir"):
        ap.add_argument("--" + tool, default="")
    a = ap.parse_args()
    q = a.quick
    sizes = [20, 50, 100] if q else [100, 1000, 10000]
    secs = 2.5 if q else 20.0
    b = Bench(a)
    tab = Table()
    res = {"machine": machine(), "quick": q, "sizes": sizes}
    t_start = time.monotonic()
    log("temp dir: " + b.T)
    try:
        if a.only:
            sizes = sizes[:1]   # the guard's figures need the smallest
        log("starting Prometheus (steady%s data) and the API servers (%s "
            "pods)" % ("" if a.only else " and churning",
                       ", ".join(map(str, sizes))))
        # started together, then waited for
        steady = b.start_prometheus("steady", False, wait=False)
        churn = None if a.only else b.start_prometheus("churn", True,
                                                       wait=False)
        kubes = {n: b.start_kubeapi(n, wait=False) for n in sizes}
        for n in sizes:
            b.kube_ready(kubes[n])
        for url in (steady, churn):
            if url:
                b.wait_prometheus(url)

        if not a.only:
            watch_figures(b, tab, res, q, sizes, secs, steady, churn, kubes)
        guard_figures(b, tab, res, q, steady, kubes[sizes[0]],
                      1.0 if q else secs)
    finally:
        b.stop_all()
        if not a.keep:
            shutil.rmtree(b.T, ignore_errors=True)
        else:
            log("kept " + b.T)
    took = time.monotonic() - t_start
    res["seconds"] = took
    print("cutover benchmarks%s: %s" % (" (--quick: tiny sizes, short "
                                        "runs)" if q else "", res["machine"]))
    print(tab.text())
    print("bench/run took %.0f s" % took)
    for br in tab.breaches:
        print("BREACH: " + br)
    res["breaches"] = tab.breaches
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1, default=str)
    return 3 if a.strict and tab.breaches else 0


if __name__ == "__main__":
    sys.exit(main())
