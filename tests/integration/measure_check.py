#!/usr/bin/python3
"""Integration test of `roam measure` against a live emulated network
(issue 3). Run as root with Debian's /usr/bin/python3:

    tests/integration/measure_check.py --roam build/cli/roam
    tests/integration/measure_check.py --dry-run      # no roam: testbed only

Network (userspace OVS, Mininet, roam's os-ken controller as the only
OpenFlow 1.3 controller):

    h1 --(1) s1 (2)==10 Mbit/s TCLink==(2) s2 (3)----(2) s3 (1)-- h3
                                           (1)
                                            |
                                            h2

Timeline (t = 0 when roam measure starts, --duration 40s):
    t=1   iperf3 h1 -> h2 for 25 s (through the shaped link)
    t=12  the controller is killed (SIGKILL)
    t=20  it is restarted; the test waits until it sees the network again
    t=40  roam measure ends; `roam vib export` writes the VIB's state

Checks: roam measure exits 0; the exported state's switches, links and
hosts match the network; the largest rate measured on the shaped link's
ports while iperf3 ran is within --tolerance (20 %) of 10 Mbit/s; roam
measure's output reports the controller failure (few lines, not one per
poll), staleness, and recovery afterwards.  With --dry-run roam is skipped
and the test checks the controller (discovery before and after the restart)
and the shaped rate seen through the controller's REST API and by iperf3.
Everything the run creates is removed at the end, also on failure or Ctrl-C.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
import roam_testbed as tb  # noqa: E402

SHAPED_MBIT = 10
TOPO = {
    "switches": ["s1", "s2", "s3"],
    "hosts": [{"name": "h1", "switch": "s1"},
              {"name": "h2", "switch": "s2"},
              {"name": "h3", "switch": "s3"}],
    "links": [{"src": "s1", "dst": "s2", "bw": SHAPED_MBIT},
              {"src": "s2", "dst": "s3"}],
}

FAIL_RX = re.compile(r"unreachable|unavailable|fail|error|refused|"
                     r"cannot connect|could not connect|timed? ?out|down",
                     re.I)
STALE_RX = re.compile(r"stale", re.I)
# The once-per-interval status line ("12:00:03 switches=3 ports=9 samples=27
# errors=0 age=0.4s") counts errors; it is not a failure report.
STATUS_RX = re.compile(r"\bswitches=\d+ .*\berrors=\d+")
RECOVER_RX = re.compile(r"recover|reachable again|back (up|online)|restored|"
                        r"resum|reconnect", re.I)


class PortPoller(threading.Thread):
    """Polls /stats/port/<dpid> of the shaped link's ends once a second
    (what a collector does) and keeps (t, dpid, port, rx_bytes, tx_bytes)."""

    def __init__(self, url, dpids):
        super().__init__(daemon=True)
        self.url, self.dpids = url, dpids
        self.samples = []
        self.failures = 0
        self.stop_ev = threading.Event()

    def run(self):
        while not self.stop_ev.is_set():
            for dpid in self.dpids:
                st, body = tb.http_get("%s/stats/port/%d" % (self.url, dpid),
                                       timeout=1.0)
                t = time.time()
                if st != 200 or not body:
                    self.failures += 1
                    continue
                for p in body.get(str(dpid), []):
                    if isinstance(p.get("port_no"), int):
                        self.samples.append((t, dpid, p["port_no"],
                                             p["rx_bytes"], p["tx_bytes"]))
            self.stop_ev.wait(1.0)

    def rates(self, dpid, port, t_from, t_to):
        """bit/s between consecutive samples inside [t_from, t_to]."""
        s = [x for x in self.samples if x[1] == dpid and x[2] == port
             and t_from <= x[0] <= t_to]
        out = []
        for a, b in zip(s, s[1:]):
            dt = b[0] - a[0]
            if dt > 0.5:
                out.append((b[0], (b[3] - a[3]) * 8 / dt,
                            (b[4] - a[4]) * 8 / dt))
        return out


def run_cmd(cmd, log_path, timeout):
    with open(log_path, "w") as f:
        p = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                           timeout=timeout)
    with open(log_path) as f:
        return p.returncode, f.read()


def check_state(checks, state, topo):
    want = topo.roam_json()
    got_sw = {(s.get("name"), s.get("dpid")) for s in state.get("switches",
                                                                  [])}
    want_sw = {(s["name"], s["dpid"]) for s in want["switches"]}
    checks.add("exported switches match the network", got_sw == want_sw,
               "got %s, want %s" % (sorted(got_sw), sorted(want_sw)))

    def link_key(ln):
        return frozenset([(ln.get("src"), ln.get("src_port")),
                          (ln.get("dst"), ln.get("dst_port"))])
    got_li = {link_key(ln): ln for ln in state.get("links", [])}
    want_li = {link_key(ln): ln for ln in want["links"]}
    detail = "got %s, want %s" % (
        sorted(tuple(sorted(k)) for k in got_li),
        sorted(tuple(sorted(k)) for k in want_li))
    ok = set(got_li) == set(want_li)
    if ok:
        for k, ln in want_li.items():
            cap = got_li[k].get("capacity_bps")
            if cap is not None and abs(cap - ln["capacity_bps"]) > 1:
                ok, detail = False, "capacity of %s: %s, want %s" % (
                    sorted(k), cap, ln["capacity_bps"])
    checks.add("exported links match the network", ok, detail)

    got_h = {h.get("name"): h for h in state.get("hosts", [])}
    problems = []
    for h in want["hosts"]:
        g = got_h.get(h["name"])
        if g is None:
            problems.append("%s missing" % h["name"])
            continue
        for key in ("ip", "switch", "port"):
            if g.get(key) != h[key]:
                problems.append("%s.%s=%r, want %r" % (h["name"], key,
                                                       g.get(key), h[key]))
        if g.get("mac") and g["mac"].lower() != h["mac"]:
            problems.append("%s.mac=%r, want %r" % (h["name"], g["mac"],
                                                    h["mac"]))
    extra = set(got_h) - {h["name"] for h in want["hosts"]}
    if extra:
        problems.append("unexpected hosts %s" % sorted(extra))
    checks.add("exported hosts match the network", not problems,
               "; ".join(problems) or "%d hosts" % len(got_h))


def check_rate(checks, name, rates_bps, target_bps, tol):
    if not rates_bps:
        return checks.add(name, False, "no samples while iperf3 ran")
    peak = max(rates_bps)
    ok = abs(peak - target_bps) <= tol * target_bps
    srt = sorted(rates_bps)
    return checks.add(name, ok, "max %.2f Mbit/s, median %.2f Mbit/s over %d "
                      "samples, shaped %.1f Mbit/s, tolerance %d%%" % (
                          peak / 1e6, srt[len(srt) // 2] / 1e6, len(srt),
                          target_bps / 1e6, round(tol * 100)))


def check_output(checks, text, max_failure_lines):
    lines = text.splitlines()
    fail_i = [i for i, ln in enumerate(lines) if FAIL_RX.search(ln)
              and not RECOVER_RX.search(ln) and not STATUS_RX.search(ln)]
    stale_i = [i for i, ln in enumerate(lines) if STALE_RX.search(ln)]
    rec_i = [i for i, ln in enumerate(lines) if RECOVER_RX.search(ln)]
    checks.add("roam measure reports the controller failure", bool(fail_i),
               "%d line(s), first: %s" % (len(fail_i),
                                          lines[fail_i[0]].strip()[:160])
               if fail_i else "no failure line")
    checks.add("failure reported once per kind, not per poll",
               0 < len(fail_i) <= max_failure_lines,
               "%d failure lines (limit %d)" % (len(fail_i),
                                                max_failure_lines))
    checks.add("roam measure reports stale data", bool(stale_i),
               lines[stale_i[0]].strip()[:160] if stale_i else "no 'stale'")
    later = [i for i in rec_i if fail_i and i > fail_i[0]]
    checks.add("roam measure reports recovery after the failure", bool(later),
               lines[later[0]].strip()[:160] if later else
               "no recovery line after the first failure line")


def main():
    ap = argparse.ArgumentParser(
        description="roam measure integration test (run as root)")
    ap.add_argument("--roam", help="path to the roam binary")
    ap.add_argument("--dry-run", action="store_true",
                    help="skip roam; check only the testbed and controller")
    ap.add_argument("--of-port", type=int, default=16654)
    ap.add_argument("--rest-port", type=int, default=18081)
    ap.add_argument("--duration", type=int, default=40,
                    help="roam measure --duration, seconds")
    ap.add_argument("--iperf-seconds", type=int, default=25)
    ap.add_argument("--kill-at", type=float, default=12.0)
    ap.add_argument("--down", type=float, default=8.0,
                    help="seconds the controller stays down")
    ap.add_argument("--tolerance", type=float, default=0.2)
    ap.add_argument("--max-failure-lines", type=int, default=10)
    ap.add_argument("--workdir", help="keep files here (default: temporary)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary work directory")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("measure_check: must run as root")
    if not args.dry_run:
        if not args.roam:
            sys.exit("measure_check: --roam PATH or --dry-run is required")
        args.roam = os.path.abspath(args.roam)
        if not os.access(args.roam, os.X_OK):
            sys.exit("measure_check: %s is not executable" % args.roam)
        for sub in (["measure"], ["vib", "export"]):
            p = subprocess.run([args.roam] + sub + ["--help"],
                               capture_output=True, text=True, timeout=30)
            if p.returncode != 0 or "Usage" not in p.stdout or \
                    ("measure" in sub and "--controller" not in p.stdout):
                sys.exit("measure_check: %s has no working `%s` command "
                         "(exit %d); build it, or use --dry-run" %
                         (args.roam, " ".join(sub), p.returncode))
    for tool in ("iperf3", "ethtool", "ovs-vsctl", "/usr/bin/osken-manager"):
        if not shutil.which(tool):
            sys.exit("measure_check: %s missing (scripts/install-deps "
                     "--testbed)" % tool)

    workdir = args.workdir or tempfile.mkdtemp(prefix="roam-measure-check-")
    os.makedirs(workdir, exist_ok=True)
    topo_path = os.path.join(workdir, "topology.json")
    vib_path = os.path.join(workdir, "vib.sqlite")
    out_path = os.path.join(workdir, "state.json")
    measure_log = os.path.join(workdir, "roam-measure.log")
    iperf_json = os.path.join(workdir, "iperf3-client.json")
    tb.log("work directory %s" % workdir)

    topo = tb.Topology.from_dict(TOPO)
    shaped = next(ln for ln in topo.links if ln["bw"])
    dpid_of = {s["name"]: s["dpid"] for s in topo.switches}
    shaped_ends = [(shaped["src"], dpid_of[shaped["src"]], shaped["src_port"]),
                   (shaped["dst"], dpid_of[shaped["dst"]], shaped["dst_port"])]
    target_bps = shaped["bw"] * 1e6
    checks = tb.Checks("measure_check")
    measure_rc = None
    iperf_window = None
    poller = None
    crashed = None

    try:
        with tb.Testbed(topo, of_port=args.of_port, rest_port=args.rest_port,
                        log_dir=workdir) as bed:
            bed.start()
            checks.add("controller discovers switches, links and hosts", True,
                       "%d switches, %d links, %d hosts" % (
                           len(topo.switches), 2 * len(topo.links),
                           len(topo.hosts)))
            with open(topo_path, "w") as f:
                json.dump(topo.roam_json(), f, indent=1)

            h1, h2 = bed.host("h1"), bed.host("h2")
            server = h2.popen(["iperf3", "-s", "-1"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
            bed.cleanups.append(lambda: tb.kill_proc(server, "iperf3 server"))

            measure = None
            if not args.dry_run:
                cmd = [args.roam, "measure",
                       "--controller", "ryu=" + bed.url,
                       "--vib", vib_path, "--topology", topo_path,
                       "--bandwidth-interval", "1s",
                       "--aggregate-interval", "2s",
                       "--duration", "%ds" % args.duration]
                tb.log("running: " + " ".join(cmd))
                mlog = open(measure_log, "w")
                measure = subprocess.Popen(cmd, stdout=mlog,
                                           stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL,
                                           start_new_session=True)
                bed.cleanups.append(lambda: tb.kill_proc(measure, "roam measure"))
            t0 = time.time()

            poller = PortPoller(bed.url, sorted({e[1] for e in shaped_ends}))
            poller.start()
            bed.cleanups.append(poller.stop_ev.set)

            time.sleep(1.0)
            client_out = open(iperf_json, "w")
            client = h1.popen(["iperf3", "-c", h2.IP(), "-t",
                               str(args.iperf_seconds), "-J"],
                              stdout=client_out, stderr=subprocess.STDOUT)
            bed.cleanups.append(lambda: tb.kill_proc(client, "iperf3 client"))
            iperf_start = time.time()

            time.sleep(max(0.0, t0 + args.kill_at - time.time()))
            bed.controller.kill()
            t_kill = time.time()
            time.sleep(args.down)
            bed.controller.start()
            t_up = time.time()
            tb.log("controller down for %.1f s" % (t_up - t_kill))
            try:
                bed.wait_topology(timeout=40)
                checks.add("controller rediscovers the network after restart",
                           True, "%.1f s after restart" % (time.time() - t_up))
            except RuntimeError as e:
                checks.add("controller rediscovers the network after restart",
                           False, str(e))

            try:
                client.wait(timeout=args.iperf_seconds + 20)
            except subprocess.TimeoutExpired:
                tb.kill_proc(client, "iperf3 client")
            iperf_end = time.time()
            iperf_window = (iperf_start + 2.0, iperf_end)
            client_out.close()

            if measure is not None:
                try:
                    measure_rc = measure.wait(
                        timeout=max(5.0, t0 + args.duration + 30 - time.time()))
                except subprocess.TimeoutExpired:
                    tb.kill_proc(measure, "roam measure")
                    measure_rc = "timeout"
            poller.stop_ev.set()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        crashed = "%s: %s" % (type(e).__name__, e)
        checks.add("testbed run completed", False, crashed)

    # ---- analysis (the network is gone by now) ----
    if crashed is None:
        try:
            with open(iperf_json) as f:
                rep = json.load(f)
            bps = rep["end"]["sum_received"]["bits_per_second"]
            check_rate(checks, "iperf3 h1->h2 goodput near the shaped rate",
                       [bps], target_bps, args.tolerance)
        except (OSError, ValueError, KeyError) as e:
            checks.add("iperf3 h1->h2 goodput near the shaped rate", False,
                       "no iperf3 report: %s" % e)
        rates = []
        for _, dpid, port in shaped_ends:
            for _, rx, tx in poller.rates(dpid, port, *iperf_window):
                rates += [rx, tx]
        check_rate(checks, "rate via the controller's REST API (reference "
                   "poller)", rates, target_bps, args.tolerance)

    if crashed is None and not args.dry_run:
        text = ""
        try:
            with open(measure_log) as f:
                text = f.read()
        except OSError:
            pass
        checks.add("roam measure exited 0", measure_rc == 0,
                   "exit status %s; log %s" % (measure_rc, measure_log))
        check_output(checks, text, args.max_failure_lines)
        export_cmd = [args.roam, "vib", "export", vib_path, "--state",
                      out_path]
        try:
            help_text = subprocess.run(
                [args.roam, "vib", "export", "--help"], capture_output=True,
                text=True, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired):
            help_text = ""
        if "--window" in help_text:
            # keep every sample of the run, not just the last 10 s
            export_cmd += ["--window", "%ds" % (args.duration + 60)]
        tb.log("running: " + " ".join(export_cmd))
        rc, export_out = run_cmd(export_cmd,
                                 os.path.join(workdir, "roam-export.log"), 60)
        state = None
        if checks.add("roam vib export succeeded", rc == 0 and
                      os.path.exists(out_path),
                      "exit %d %s" % (rc, export_out.strip()[:200])):
            try:
                with open(out_path) as f:
                    state = json.load(f)
            except (OSError, ValueError) as e:
                checks.add("exported state is JSON", False, str(e))
        if state is not None:
            check_state(checks, state, topo)
            rates = []
            names = {(e[0], e[2]) for e in shaped_ends}
            for s in state.get("port_stats", []):
                t = s.get("t")
                if (s.get("switch"), s.get("port")) in names and \
                        t is not None and \
                        iperf_window[0] <= t <= iperf_window[1]:
                    rates += [s.get("rx_bps", 0), s.get("tx_bps", 0)]
            check_rate(checks, "roam's measured rate on the shaped link",
                       rates, target_bps, args.tolerance)
    elif args.dry_run:
        tb.log("dry run: roam measure / roam vib export skipped")

    checks.summary()
    if args.dry_run:
        print("(dry run: roam was not run)")
    if checks.ok() and not args.workdir and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print("files kept in %s" % workdir)
    sys.exit(0 if checks.ok() else 1)


if __name__ == "__main__":
    main()
