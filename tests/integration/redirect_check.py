#!/usr/bin/python3
"""Integration test of `roam redirect` (traffic redirection after a
migration, docs/redirection.md) on a live emulated network. Run as root with
Debian's /usr/bin/python3:

    tests/integration/redirect_check.py --roam build/roam

Network (userspace OVS, Mininet, roam's os-ken controller as the only
OpenFlow 1.3 controller), names prefixed "rdr" so nothing collides with the
other tests' bridges, veths and namespaces:

    c (10.0.0.1) --+                    +-- n (10.0.0.3)
                   s1 ================ s2
    o (10.0.0.2) --+

o is the service's home (the host it ran on first); it serves a "home"
token on --other-port. The service now runs on n: an HTTP server on
n:--port serving a "moved" token. Nothing listens on o:--port.

Checks, in order:
  1. before: curl c -> o:PORT fails (nothing listens on o)
  2. roam redirect svc --home O --to N --port PORT: curl c -> o:PORT returns
     n's token; o stays reachable (ping, o:OTHER-PORT returns o's token);
     each switch holds exactly 2 rules with the container's cookie
  3. the same redirect again replaces the rules (still 2 per switch)
  4. roam redirect --clear: curl c -> o:PORT fails again; no rule left
  5. redirect, then "moving back home" (--to O): the rules are gone
Everything the run creates is removed at the end, also on failure or Ctrl-C.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
import roam_testbed as tb  # noqa: E402

PREFIX = "rdr"
TOPO = {
    "switches": ["s1", "s2"],
    "hosts": [{"name": "c", "switch": "s1"},
              {"name": "o", "switch": "s1"},
              {"name": "n", "switch": "s2"}],
    "links": [{"src": "s1", "dst": "s2"}],
}
CONTAINER = "svc"
MOVED_TOKEN = "roam-redirect-moved-7f3a"
HOME_TOKEN = "roam-redirect-home-c21e"


def cookie_of(name):
    h = 2166136261
    for b in name.encode():
        h = ((h ^ b) * 16777619) & 0xffffffff
    return 0x524f414d00000000 | h


def curl(host, url):
    """(ok, body): one HTTP GET from `host` with short timeouts."""
    out = host.cmd("curl -s -S --connect-timeout 2 -m 4 %s; echo \" rc=$?\""
                   % url)
    body, _, rc = out.strip().rpartition(" rc=")
    return rc.strip() == "0", body.strip()


def curl_until(host, url, want_ok, token=None, timeout=12.0):
    """Retries until the GET's outcome is the wanted one; returns the last
    (matched, body)."""
    deadline = time.time() + timeout
    while True:
        ok, body = curl(host, url)
        matched = (ok and (token is None or token in body)) if want_ok \
            else not ok
        if matched or time.time() > deadline:
            return matched, body[:120]
        time.sleep(0.5)


def rules(bridge, cookie):
    out = tb.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", bridge,
                  "cookie=0x%x/-1" % cookie], check=False)
    return [ln.strip() for ln in out.splitlines()
            if "cookie=" in ln and "priority=" in ln]


def roam_redirect(roam, args, log_path):
    cmd = [roam, "redirect", CONTAINER] + args
    tb.log("running: " + " ".join(cmd))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return 124, "timed out"
    out = (p.stdout + p.stderr).strip()
    with open(log_path, "a") as f:
        f.write("$ %s\n%s\n(exit %d)\n" % (" ".join(cmd), out, p.returncode))
    tb.log("exit %d: %s" % (p.returncode, out))
    return p.returncode, out


def wait_switches(url, n, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, sw = tb.http_get(url + "/stats/switches")
        if status == 200 and sw and len(sw) >= n:
            return True
        time.sleep(0.5)
    return False


def others_running():
    """Namespaces or bridges of other testbed runs (prefixes of the other
    tests): they are not ours to delete."""
    found = []
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True,
                        text=True).stdout.split()
    found += [n for n in ns if n.startswith(("rmig-", "roam-test"))]
    p = subprocess.run(["ovs-vsctl", "--timeout=3", "list-br"],
                       capture_output=True, text=True)
    if p.returncode == 0:
        found += [b for b in p.stdout.split()
                  if b.startswith(("rmig-", "rt", "roam-test"))]
    return found


def main():
    ap = argparse.ArgumentParser(
        description="roam redirect integration test (run as root)")
    ap.add_argument("--roam", required=True, help="path to the roam binary")
    ap.add_argument("--of-port", type=int, default=16658)
    ap.add_argument("--rest-port", type=int, default=18088)
    ap.add_argument("--port", type=int, default=18081,
                    help="the service's TCP port (inside the hosts)")
    ap.add_argument("--other-port", type=int, default=18082,
                    help="a port the home host itself serves")
    ap.add_argument("--workdir", help="keep files here (default: temporary)")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("redirect_check: must run as root")
    args.roam = os.path.abspath(args.roam)
    p = subprocess.run([args.roam, "redirect", "--help"], capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 0 or "--controller" not in p.stdout:
        sys.exit("redirect_check: %s has no working `redirect` command "
                 "(exit %d)" % (args.roam, p.returncode))
    for tool in ("curl", "ethtool", "ovs-vsctl", "ovs-ofctl",
                 "/usr/bin/osken-manager"):
        if not shutil.which(tool):
            sys.exit("redirect_check: %s missing (scripts/install-deps "
                     "--testbed)" % tool)
    tb.ensure_ovs()
    busy = others_running()
    if busy:
        tb.log("note: other testbed objects exist (%s); ours use the prefix "
               "%r and do not touch them" % (", ".join(busy), PREFIX))

    workdir = args.workdir or tempfile.mkdtemp(prefix="roam-redirect-check-")
    os.makedirs(workdir, exist_ok=True)
    log_path = os.path.join(workdir, "roam-redirect.log")
    www_n = os.path.join(workdir, "www-n")
    www_o = os.path.join(workdir, "www-o")
    for d, token in ((www_n, MOVED_TOKEN), (www_o, HOME_TOKEN)):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "token"), "w") as f:
            f.write(token + "\n")
    tb.log("work directory %s" % workdir)

    topo = tb.Topology.from_dict(TOPO)
    hosts = {h["name"]: h for h in topo.hosts}
    o_ip, o_mac = hosts["o"]["ip"], hosts["o"]["mac"]
    n_ip, n_mac = hosts["n"]["ip"], hosts["n"]["mac"]
    bridges = [PREFIX + s["name"] for s in topo.switches]
    cookie = cookie_of(CONTAINER)
    service = "http://%s:%d/token" % (o_ip, args.port)
    checks = tb.Checks("redirect_check")

    def rule_counts():
        return [len(rules(b, cookie)) for b in bridges]

    try:
        with tb.Testbed(topo, of_port=args.of_port, rest_port=args.rest_port,
                        prefix=PREFIX, log_dir=workdir) as bed:
            bed.start()
            url = bed.url
            checks.add("controller sees both switches",
                       wait_switches(url, len(bridges)))
            c, o, n = bed.host("c"), bed.host("o"), bed.host("n")
            servers = []
            for host, ip, port, d, name in (
                    (n, n_ip, args.port, www_n, "service on n"),
                    (o, o_ip, args.other_port, www_o, "home server on o")):
                srv = host.popen(["/usr/bin/python3", "-m", "http.server",
                                  str(port), "--bind", ip, "--directory", d],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
                servers.append(srv)
                bed.cleanups.append(
                    lambda s=srv, nm=name: tb.kill_proc(s, nm))
            home_url = "http://%s:%d/token" % (o_ip, args.other_port)
            ok, body = curl_until(n, "http://%s:%d/token" % (n_ip, args.port),
                                  True, MOVED_TOKEN)
            checks.add("the service answers on n itself", ok, body)
            ok, body = curl_until(c, home_url, True, HOME_TOKEN)
            checks.add("o serves its own port before the redirect", ok, body)

            ok, body = curl_until(c, service, False, timeout=4)
            checks.add("before: c -> o:%d fails (nothing listens on o)" %
                       args.port, ok, body or "no answer")

            redirect_args = ["--controller", "ryu=" + url,
                             "--home", "%s,%s" % (o_ip, o_mac),
                             "--to", "%s,%s" % (n_ip, n_mac),
                             "--port", str(args.port)]
            rc, out = roam_redirect(args.roam, redirect_args, log_path)
            checks.add("roam redirect exits 0", rc == 0, out[:200])
            ok, body = curl_until(c, service, True, MOVED_TOKEN)
            checks.add("after: c -> o:%d returns n's token" % args.port,
                       ok, body)
            counts = rule_counts()
            checks.add("2 rules with the container's cookie per switch",
                       counts == [2] * len(bridges),
                       "cookie 0x%x: %s" % (cookie, counts))
            ok, body = curl_until(c, home_url, True, HOME_TOKEN)
            checks.add("o still serves its own port %d" % args.other_port,
                       ok, body)
            ping = c.cmd("ping -c2 -W2 %s" % o_ip)
            checks.add("o still answers ping from c",
                       " 0% packet loss" in ping,
                       ping.strip().splitlines()[-2] if ping.strip() else "")

            rc, out = roam_redirect(args.roam, redirect_args, log_path)
            counts = rule_counts()
            checks.add("redirecting again replaces the rules",
                       rc == 0 and counts == [2] * len(bridges),
                       "exit %d, rules per switch %s" % (rc, counts))
            ok, body = curl_until(c, service, True, MOVED_TOKEN)
            checks.add("the service still answers after the replacement",
                       ok, body)

            rc, out = roam_redirect(
                args.roam, ["--controller", "ryu=" + url, "--clear"],
                log_path)
            checks.add("roam redirect --clear exits 0", rc == 0, out[:200])
            counts = rule_counts()
            checks.add("no rule left after --clear",
                       counts == [0] * len(bridges), str(counts))
            ok, body = curl_until(c, service, False)
            checks.add("after --clear: c -> o:%d fails again" % args.port,
                       ok, body or "no answer")

            rc1, _ = roam_redirect(args.roam, redirect_args, log_path)
            rc2, out = roam_redirect(
                args.roam, ["--controller", "ryu=" + url,
                            "--home", o_ip, "--to", "%s,%s" % (o_ip, o_mac),
                            "--port", str(args.port)], log_path)
            counts = rule_counts()
            checks.add("moving back home removes the rules",
                       rc1 == 0 and rc2 == 0 and
                       counts == [0] * len(bridges),
                       "exit %d/%d, rules per switch %s" % (rc1, rc2, counts))

            rc, out = roam_redirect(
                args.roam, ["--controller", "ryu=" + url, "--home", o_ip,
                            "--to", n_ip], log_path)
            checks.add("a bad --to is a command-line error (exit 2)",
                       rc == 2 and "<command-line>:1:" in out, out[:200])
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        checks.add("testbed run completed", False,
                   "%s: %s" % (type(e).__name__, e))
    finally:
        tb.cleanup_leftovers(PREFIX, kill_controllers=False)

    left = [b for b in subprocess.run(
        ["ovs-vsctl", "--timeout=3", "list-br"], capture_output=True,
        text=True).stdout.split() if b.startswith(PREFIX)]
    ctl_left = tb.our_processes(PREFIX)[1]
    checks.add("nothing left behind", not left and not ctl_left,
               "bridges %s, processes %s" % (left, ctl_left))

    checks.summary()
    if checks.ok() and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print("files kept in %s" % workdir)
    sys.exit(0 if checks.ok() else 1)


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    main()
