"""Bring-up and tear-down helpers for roam's emulated SDN testbed.

Run with Debian's /usr/bin/python3 (it has mininet and os_ken), as root.

    import sys; sys.path.insert(0, "<repo>/testbed/lib")
    import roam_testbed as tb

    topo = tb.Topology.from_dict({
        "switches": ["s1", "s2"],
        "hosts": [{"name": "h1", "switch": "s1"},
                  {"name": "h2", "switch": "s2", "bw": 10}],   # Mbit/s
        "links": [{"src": "s1", "dst": "s2", "bw": 10}],
    })
    with tb.Testbed(topo, of_port=16653, rest_port=18080) as bed:
        bed.start()               # OVS, controller, Mininet, ethtool, discovery
        bed.host("h1").cmd("ping -c1 10.0.0.2")
        bed.restart_controller(down_seconds=8)
    # everything created is gone here, also after an exception or Ctrl-C

Everything this module creates carries the name prefix PREFIX ("rt" by
default): OVS bridges and switch-side veths are "<prefix><switch>" /
"<prefix><switch>-ethN", Mininet host shells are "mininet:<prefix><host>",
the controller runs as argv[0] "roam-controller". testbed/clean removes
leftovers of a killed run by that prefix (cleanup_leftovers() below).
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request


def htb_quantum(mbit):
    """The quantum (bytes) the kernel gives an htb class of `mbit` Mbit/s when
    none is given: rate / r2q (r2q 10), clamped to 1000..200000. Above
    16 Mbit/s the kernel clamps it and warns ("sch_htb: quantum of class
    50001 is big"), which Mininet prints as "*** Error: ..." per link end."""
    return int(min(max(mbit * 1e6 / 8 / 10, 1000), 200000))


def quantum_given(tc_intf_class):
    """Mininet's TCIntf whose htb class names its quantum explicitly: the
    value the kernel would pick itself (htb_quantum), so the shaping is the
    same, without the kernel's warning. Rate and burst are Mininet's."""

    class QuantumTCIntf(tc_intf_class):
        def bwCmds(self, bw=None, *args, **kwargs):
            cmds, parent = super().bwCmds(bw, *args, **kwargs)
            return [c + " quantum %d" % htb_quantum(bw)
                    if " htb rate " in c else c for c in cmds], parent

    return QuantumTCIntf


def socket_checked(remote_controller_class):
    """Mininet's RemoteController whose check of the controller's port is a
    plain TCP connect. Mininet's own check runs telnet in a shell and decodes
    what telnet prints as UTF-8; the controller answers a connection with an
    OpenFlow HELLO whose transaction id is random bytes, often not UTF-8, so
    the bring-up died now and then with a UnicodeDecodeError inside Mininet
    (seen in integration:experiment). The testbed has waited for the port
    already; this checks it once more and fails with the address if it is
    closed."""
    import socket

    class SocketCheckedRemoteController(remote_controller_class):
        def checkListening(self):
            try:
                with socket.create_connection((self.ip, self.port), timeout=5):
                    pass
            except OSError as e:
                raise RuntimeError("the controller does not listen on %s:%d: %s"
                                   % (self.ip, self.port, e)) from e

    return SocketCheckedRemoteController

HERE = os.path.dirname(os.path.abspath(__file__))
TESTBED = os.path.dirname(HERE)
CONTROLLER_RUN = os.path.join(TESTBED, "controller", "run")
CONTROLLER_ARGV0 = "roam-controller"
# In a controller's environment: the prefix of the run that started it, so
# that cleaning one run's leftovers never kills another run's controller.
PREFIX_ENV = "ROAM_TESTBED_PREFIX"
PREFIX = "rt"
OVS_CTL = "/usr/share/openvswitch/scripts/ovs-ctl"


def log(msg):
    print("[testbed %s] %s" % (time.strftime("%H:%M:%S"), msg),
          file=sys.stderr, flush=True)


def run(cmd, check=True, quiet=False):
    """Runs a command (list) in the root namespace; returns stdout."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode,
                                                  p.stderr.strip()))
    if not quiet and p.returncode != 0:
        log("note: %s -> %d %s" % (" ".join(cmd), p.returncode,
                                   p.stderr.strip()))
    return p.stdout


class Checks(object):
    """Named pass/fail results of an integration test, logged as they come."""

    def __init__(self, title):
        self.title = title
        self.results = []

    def add(self, name, ok, detail=""):
        self.results.append((name, bool(ok), detail))
        log("%s: %s%s" % ("PASS" if ok else "FAIL", name,
                          (" - " + detail) if detail else ""))
        return ok

    def ok(self):
        return bool(self.results) and all(ok for _, ok, _ in self.results)

    def summary(self):
        print("\n==== %s summary ====" % self.title)
        for name, ok, detail in self.results:
            print("%s  %s%s" % ("PASS" if ok else "FAIL", name,
                                ("  (" + detail + ")") if detail else ""))
        print("==== %s (%d/%d checks passed) ====" % (
            "PASS" if self.ok() else "FAIL",
            sum(1 for _, ok, _ in self.results if ok), len(self.results)))


def kill_proc(p, name):
    """Stops a child started with its own process group (or not): TERM, then KILL."""
    if p is None or p.poll() is not None:
        return
    log("stopping %s (pid %d)" % (name, p.pid))
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            p.kill()
        p.wait()


def dpid_str(index):
    return "%016x" % index


# --------------------------------------------------------------- topology

class Topology(object):
    """Switches, hosts (each attached to one switch) and switch links.

    dict form (JSON-able):
      {"switches": ["s1", ...] or [{"name": "s1", "dpid": 1}, ...],
       "hosts": [{"name": "h1", "switch": "s1", "ip": "10.0.0.1",
                  "mac": "00:00:00:00:00:01", "bw": 10}, ...],
       "links": [{"src": "s1", "dst": "s2", "bw": 10}, ...]}
    bw is in Mbit/s (TCLink, both directions); omitted = unshaped.
    Other keys (e.g. "_comment", and "loops" from topogen.py) are ignored.
    Ports are numbered in order: first the hosts of a switch (in list
    order), then its switch links (in list order).
    """

    UNSHAPED_BPS = 1000000000  # nominal capacity of an unshaped veth link

    def __init__(self, switches, hosts, links):
        self.switches = switches  # [{"name", "dpid"(int)}]
        self.hosts = hosts        # [{"name","switch","ip","mac","bw","port"}]
        self.links = links        # [{"src","dst","bw","src_port","dst_port"}]

    @classmethod
    def from_dict(cls, d):
        switches = []
        for i, s in enumerate(d["switches"], 1):
            if isinstance(s, str):
                s = {"name": s}
            switches.append({"name": s["name"], "dpid": int(s.get("dpid", i))})
        names = {s["name"] for s in switches}
        next_port = {s["name"]: 1 for s in switches}
        hosts = []
        for i, h in enumerate(d.get("hosts", []), 1):
            if h["switch"] not in names:
                raise ValueError("host %s: unknown switch %s" % (h["name"],
                                                                h["switch"]))
            port = next_port[h["switch"]]
            next_port[h["switch"]] += 1
            hosts.append({"name": h["name"], "switch": h["switch"],
                          "ip": h.get("ip", "10.0.0.%d" % i),
                          "mac": h.get("mac", "00:00:00:00:00:%02x" % i),
                          "bw": h.get("bw"), "port": port})
        links = []
        for ln in d.get("links", []):
            for end in ("src", "dst"):
                if ln[end] not in names:
                    raise ValueError("link: unknown switch %s" % ln[end])
            sp = next_port[ln["src"]]
            next_port[ln["src"]] += 1
            dp = next_port[ln["dst"]]
            next_port[ln["dst"]] += 1
            links.append({"src": ln["src"], "dst": ln["dst"],
                          "bw": ln.get("bw"), "src_port": sp, "dst_port": dp})
        return cls(switches, hosts, links)

    def switch(self, name):
        return next(s for s in self.switches if s["name"] == name)

    def roam_json(self):
        """The topology file `roam measure --topology` reads."""
        def bps(bw):
            return int(bw * 1000000) if bw else self.UNSHAPED_BPS
        return {
            "switches": [{"dpid": dpid_str(s["dpid"]), "name": s["name"]}
                         for s in self.switches],
            "hosts": [{"name": h["name"], "ip": h["ip"], "mac": h["mac"],
                       "switch": h["switch"], "port": h["port"],
                       "capacity_bps": bps(h["bw"])} for h in self.hosts],
            "links": [{"src": ln["src"], "src_port": ln["src_port"],
                       "dst": ln["dst"], "dst_port": ln["dst_port"],
                       "capacity_bps": bps(ln["bw"])} for ln in self.links],
        }


# --------------------------------------------------------------- OVS

def ensure_ovs():
    """Starts ovsdb-server/ovs-vswitchd when they are not running."""
    if subprocess.run(["ovs-vsctl", "--timeout=3", "show"],
                      stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        return
    log("starting Open vSwitch (userspace datapath)")
    # ovs-ctl complains that it cannot raise the ulimit; OVS runs regardless.
    subprocess.run([OVS_CTL, "start", "--system-id=random"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run(["ovs-vsctl", "--timeout=10", "show"], quiet=True)


# --------------------------------------------------------------- REST

def http_get(url, timeout=3.0):
    """GET returning (status, parsed JSON or None); status 0 = no answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read()
            return r.status, (json.loads(body) if body else None)
    except urllib.error.HTTPError as e:
        return e.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None


def http_post(url, obj, timeout=3.0):
    data = json.dumps(obj).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except (urllib.error.URLError, OSError):
        return 0, b""


# --------------------------------------------------------------- controller

class Controller(object):
    """testbed/controller/run as a subprocess, logging to a file."""

    def __init__(self, of_port=6653, rest_port=8080, log_path=None,
                 host_refresh=None, prefix=PREFIX):
        self.of_port = of_port
        self.rest_port = rest_port
        self.log_path = log_path or "/tmp/%scontroller-%d.log" % (PREFIX,
                                                                  rest_port)
        self.host_refresh = host_refresh
        self.prefix = prefix
        self.proc = None
        self._log = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.rest_port

    def start(self, timeout=20.0):
        if self.proc and self.proc.poll() is None:
            return
        cmd = [CONTROLLER_RUN, "--of-port", str(self.of_port),
               "--rest-port", str(self.rest_port)]
        if self.host_refresh:
            cmd += ["--host-refresh", str(self.host_refresh)]
        self._log = open(self.log_path, "a")
        self._log.write("=== start %s\n" % time.strftime("%F %T"))
        self._log.flush()
        # Own session: a Ctrl-C in the terminal reaches our handler, which
        # stops the controller in order, not the controller first.
        self.proc = subprocess.Popen(cmd, stdout=self._log,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True,
                                     env=dict(os.environ,
                                              **{PREFIX_ENV: self.prefix}))
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("controller exited with %d (log: %s)" %
                                   (self.proc.returncode, self.log_path))
            if http_get(self.url + "/stats/switches", timeout=1)[0] == 200:
                log("controller up (pid %d, OpenFlow %d, REST %s)" %
                    (self.proc.pid, self.of_port, self.url))
                return
            time.sleep(0.2)
        raise RuntimeError("controller REST API did not come up in %.0f s "
                           "(log: %s)" % (timeout, self.log_path))

    def stop(self, timeout=5.0):
        p, self.proc = self.proc, None
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            log("controller stopped (pid %d, status %s)" % (p.pid,
                                                           p.returncode))
        if self._log:
            self._log.close()
            self._log = None

    def kill(self):
        """Abrupt death (SIGKILL), as a crash would be."""
        p, self.proc = self.proc, None
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()
            log("controller killed (pid %d)" % p.pid)
        if self._log:
            self._log.close()
            self._log = None


# --------------------------------------------------------------- discovery

def wait_for_topology(url, topo, timeout=60.0, want_hosts=True,
                      poke=None, poke_every=5.0):
    """Polls the REST API until the controller sees every switch, every
    inter-switch link (both directions) and (want_hosts) every host with its
    IPv4 address at the right attachment point.  `poke()` (e.g. a pingAll)
    runs when hosts are missing, at most every `poke_every` s.
    Returns the last (switches, links, hosts) replies; raises on timeout."""
    want_sw = {dpid_str(s["dpid"]) for s in topo.switches}
    dpid_of = {s["name"]: dpid_str(s["dpid"]) for s in topo.switches}
    want_links = set()
    for ln in topo.links:
        a = (dpid_of[ln["src"]], ln["src_port"])
        b = (dpid_of[ln["dst"]], ln["dst_port"])
        want_links |= {(a, b), (b, a)}
    want_hosts_set = {(h["mac"], h["ip"], dpid_of[h["switch"]], h["port"])
                      for h in topo.hosts} if want_hosts else set()
    deadline = time.time() + timeout
    last_poke = 0.0
    last_msg = None
    while True:
        _, sw = http_get(url + "/v1.0/topology/switches")
        _, li = http_get(url + "/v1.0/topology/links")
        _, ho = http_get(url + "/v1.0/topology/hosts")
        sw, li, ho = sw or [], li or [], ho or []
        got_sw = {s["dpid"] for s in sw}
        got_links = {((l["src"]["dpid"], int(l["src"]["port_no"], 16)),
                      (l["dst"]["dpid"], int(l["dst"]["port_no"], 16)))
                     for l in li}
        got_hosts = set()
        for h in ho:
            for ip in h.get("ipv4", []):
                got_hosts.add((h["mac"], ip, h["port"]["dpid"],
                               int(h["port"]["port_no"], 16)))
        miss_sw = want_sw - got_sw
        miss_li = want_links - got_links
        miss_ho = want_hosts_set - got_hosts
        msg = ("switches %d/%d, links %d/%d, hosts %d/%d" %
               (len(want_sw) - len(miss_sw), len(want_sw),
                len(want_links) - len(miss_li), len(want_links),
                len(want_hosts_set) - len(miss_ho), len(want_hosts_set)))
        if msg != last_msg:
            log("controller sees " + msg)
            last_msg = msg
        if not (miss_sw or miss_li or miss_ho):
            return sw, li, ho
        if time.time() > deadline:
            raise RuntimeError("topology not discovered in %.0f s: missing "
                               "switches %s links %s hosts %s" %
                               (timeout, sorted(miss_sw), sorted(miss_li),
                                sorted(miss_ho)))
        if miss_ho and not miss_sw and not miss_li and poke and \
                time.time() - last_poke > poke_every:
            last_poke = time.time()
            poke()
        time.sleep(0.5)


# --------------------------------------------------------------- cleanup

def _cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return [a.decode("utf-8", "replace")
                    for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def _environ(pid):
    try:
        with open("/proc/%s/environ" % pid, "rb") as f:
            items = f.read().split(b"\0")
    except OSError:
        return {}
    env = {}
    for item in items:
        key, sep, value = item.decode("utf-8", "replace").partition("=")
        if sep:
            env[key] = value
    return env


def _netns(pid):
    try:
        return os.readlink("/proc/%s/ns/net" % pid)
    except OSError:
        return None


def our_processes(prefix=PREFIX):
    """(controllers, mininet): PIDs of controllers started through
    testbed/controller/run (argv[0] "roam-controller") by a run with this
    prefix (PREFIX_ENV in their environment), and of our Mininet
    node shells ("bash ... mininet:<prefix>NAME") plus every process living
    in the (non-root) network namespace of one of those shells."""
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    me = str(os.getpid())
    controllers, shells, host_ns = [], [], set()
    for p in pids:
        argv = _cmdline(p)
        if not argv or p == me:
            continue
        if argv[0] == CONTROLLER_ARGV0:
            if _environ(p).get(PREFIX_ENV) == prefix:
                controllers.append(int(p))
        elif argv[-1].startswith("mininet:" + prefix) and "bash" in argv[0]:
            shells.append(int(p))
            ns = _netns(p)
            if ns:
                host_ns.add(ns)
    # Never touch our own network namespace (the root one: Mininet's switch
    # shells "mininet:<prefix>s1" live there too) nor one we cannot read.
    own_ns = _netns(me)
    if own_ns is None:
        return controllers, shells
    # Namespaces whose shell is gone (killed run) but where processes
    # started with host.popen() survive: recognised by our interface names
    # ("<prefix>h1-eth0"), as long as the veth still exists.
    ns_pid = {}
    for p in pids:
        ns = _netns(p)
        if ns and ns != own_ns and ns not in host_ns:
            ns_pid.setdefault(ns, p)
    for ns, p in ns_pid.items():
        out = subprocess.run(["nsenter", "--net=/proc/%s/ns/net" % p, "ip",
                              "-o", "link", "show"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout
        for line in out.splitlines():
            parts = line.split(":", 2)
            name = parts[1].strip().split("@")[0] if len(parts) > 1 else ""
            if name.startswith(prefix) and "-eth" in name:
                host_ns.add(ns)
                break
    host_ns.discard(own_ns)
    host_ns.discard(None)
    in_hosts = [int(p) for p in pids
                if p != me and host_ns and _netns(p) in host_ns]
    return controllers, sorted(set(in_hosts) | set(shells))


def _alive(pid):
    """True while pid exists and is not a zombie (reaps our own children)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _kill_all(pids, what):
    pids = [p for p in pids if p != os.getpid()]
    if not pids:
        return
    log("killing %d %s process(es): %s" % (
        len(pids), what,
        ", ".join("%d (%s)" % (p, " ".join(_cmdline(p))[:60]) for p in pids)))
    # Interactive bash (Mininet's node shells) ignores SIGTERM: SIGHUP it.
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + 1.5
        while time.time() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.1)
        if not any(_alive(p) for p in pids):
            break


def _roam_daemons(prefix):
    """Agents and managers started by roam_stack.py: their configuration
    files are named roam-testbed-<prefix>-*."""
    tag = "roam-testbed-%s-" % prefix
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and
            int(p) != os.getpid() and any(tag in a for a in _cmdline(p))]


def _stop_engines(prefix):
    """The hosts' Docker engines (testbed/engine, named <prefix><host>)."""
    engine = os.path.join(TESTBED, "engine")
    names = set()
    for base in ("/run/roam-engines", "/var/lib/roam-engines"):
        if os.path.isdir(base):
            names |= {n for n in os.listdir(base) if n.startswith(prefix)}
    for name in sorted(names):
        log("stopping engine %s" % name)
        run([engine, "stop", name, "--purge"], check=False, quiet=True)


def cleanup_leftovers(prefix=PREFIX, kill_controllers=True):
    """Removes what a (killed) run with this prefix may have left behind:
    roam agents and managers, the hosts' Docker engines, processes in our
    hosts' namespaces, controllers started through testbed/controller/run
    by a run with this prefix,
    OVS bridges, veths and network namespaces named <prefix>*."""
    _kill_all(_roam_daemons(prefix), "roam agent/manager")
    _stop_engines(prefix)
    controllers, in_hosts = our_processes(prefix)
    _kill_all(in_hosts, "Mininet host")
    if kill_controllers:
        _kill_all(controllers, "controller")
    if subprocess.run(["ovs-vsctl", "--timeout=3", "show"],
                      stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        for br in run(["ovs-vsctl", "--timeout=5", "list-br"],
                      check=False).split():
            if br.startswith(prefix):
                log("deleting OVS bridge %s" % br)
                run(["ovs-vsctl", "--timeout=5", "--if-exists", "del-br", br],
                    check=False)
    out = run(["ip", "-o", "link", "show"], check=False)
    for line in out.splitlines():
        parts = line.split(":", 2)
        if len(parts) < 2:
            continue
        name = parts[1].strip().split("@")[0]
        # -eth: Mininet's veths; -mg: roam_stack.py's management veths.
        if name.startswith(prefix) and ("-eth" in name or
                                        name.endswith("-mg")):
            log("deleting link %s" % name)
            run(["ip", "link", "del", name], check=False, quiet=True)
    for ns in run(["ip", "netns", "list"], check=False).split():
        if ns.startswith(prefix):  # roam_stack.py's `ip netns attach`
            log("deleting network namespace name %s" % ns)
            run(["ip", "netns", "delete", ns], check=False, quiet=True)


# --------------------------------------------------------------- testbed

class _Interrupted(BaseException):
    pass


class Testbed(object):
    """Controller + Mininet network for a Topology; a context manager that
    tears everything down on exit, exceptions, SIGINT and SIGTERM."""

    def __init__(self, topo, of_port=6653, rest_port=8080, prefix=PREFIX,
                 log_dir="/tmp", host_refresh=None):
        self.topo = topo
        self.prefix = prefix
        self.controller = Controller(
            of_port, rest_port,
            os.path.join(log_dir, "%scontroller-%d.log" % (prefix, rest_port)),
            host_refresh=host_refresh, prefix=prefix)
        self.net = None
        self._old_handlers = {}
        self.cleanups = []  # extra callables run first at teardown

    # context management ---------------------------------------------------
    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, exc_type, exc, tb):
        for sig in self._old_handlers:  # no interruption of the teardown
            signal.signal(sig, signal.SIG_IGN)
        self.teardown()
        for sig, h in self._old_handlers.items():
            signal.signal(sig, h)
        if exc_type is _Interrupted:
            log("interrupted; cleaned up")
            sys.exit(130)
        return False

    def _on_signal(self, signum, _frame):
        # Ignore further signals while tearing down.
        for sig in self._old_handlers:
            signal.signal(sig, signal.SIG_IGN)
        raise _Interrupted(signal.Signals(signum).name)

    # names ------------------------------------------------------------------
    def mn_name(self, name):
        return self.prefix + name

    def host(self, name):
        return self.net.get(self.mn_name(name))

    def switch(self, name):
        return self.net.get(self.mn_name(name))

    @property
    def url(self):
        return self.controller.url

    # bring-up ---------------------------------------------------------------
    def start(self, discover_timeout=60.0, want_hosts=True):
        from mininet.log import setLogLevel
        setLogLevel("warning")
        ensure_ovs()
        cleanup_leftovers(self.prefix, kill_controllers=False)
        self.controller.start()
        self.build_network()
        self.wait_topology(discover_timeout, want_hosts)

    def build_network(self):
        from functools import partial
        from mininet.link import Link, TCIntf, TCLink
        from mininet.net import Mininet
        from mininet.node import OVSSwitch, RemoteController

        t = self.topo
        switch_cls = partial(OVSSwitch, datapath="user",
                             protocols="OpenFlow13", failMode="secure")
        net = Mininet(switch=switch_cls, controller=None, build=False,
                      autoSetMacs=False, waitConnected=False)
        self.net = net
        net.addController(socket_checked(RemoteController)(
            "%sc0" % self.prefix, ip="127.0.0.1", port=self.controller.of_port))
        for s in t.switches:
            net.addSwitch(self.mn_name(s["name"]), dpid=dpid_str(s["dpid"]))
        for h in t.hosts:
            net.addHost(self.mn_name(h["name"]), ip=h["ip"] + "/8",
                        mac=h["mac"])
        tc_intf = quantum_given(TCIntf)
        for h in t.hosts:
            opts = {"port1": 0, "port2": h["port"]}
            cls = Link
            if h["bw"]:
                cls, opts["bw"] = TCLink, h["bw"]
                opts.update(cls1=tc_intf, cls2=tc_intf)
            net.addLink(self.mn_name(h["name"]), self.mn_name(h["switch"]),
                        cls=cls, **opts)
        for ln in t.links:
            opts = {"port1": ln["src_port"], "port2": ln["dst_port"]}
            cls = Link
            if ln["bw"]:
                cls, opts["bw"] = TCLink, ln["bw"]
                opts.update(cls1=tc_intf, cls2=tc_intf)
            net.addLink(self.mn_name(ln["src"]), self.mn_name(ln["dst"]),
                        cls=cls, **opts)
        log("building Mininet network: %d switches, %d hosts, %d links" %
            (len(t.switches), len(t.hosts), len(t.links)))
        net.build()
        self.tx_off()
        net.start()
        for s in t.switches:
            br = self.mn_name(s["name"])
            # Reconnect to a restarted controller within ~1 s.
            ctl = run(["ovs-vsctl", "--timeout=5", "get", "Bridge", br,
                       "controller"], check=False).strip("[] \n")
            for uuid in [u.strip() for u in ctl.split(",") if u.strip()]:
                run(["ovs-vsctl", "--timeout=5", "set", "Controller", uuid,
                     "max_backoff=1000", "inactivity_probe=5000"],
                    check=False)

    def tx_off(self):
        """ethtool -K tx off on every veth end (hosts and switches): TCP
        stalls on the userspace datapath otherwise (found on these machines)."""
        n = 0
        for node in self.net.hosts + self.net.switches:
            for intf in node.intfList():
                if intf.name == "lo" or not intf.link:
                    continue
                node.cmd("ethtool -K %s tx off >/dev/null 2>&1" % intf.name)
                n += 1
        log("tx checksum offload off on %d interfaces" % n)

    def ping_all(self):
        """One round of pings host->every other host, in parallel per
        source host (fast; loss is fine, the point is ARP/IP packets)."""
        hosts = [self.host(h["name"]) for h in self.topo.hosts]
        for src in hosts:
            targets = " ".join(d.IP() for d in hosts if d is not src)
            src.cmd("for ip in %s; do ping -c1 -W1 $ip >/dev/null 2>&1 & "
                    "done; wait" % targets)

    def wait_topology(self, timeout=60.0, want_hosts=True):
        wait_for_topology(self.url, self.topo, timeout, want_hosts=False)
        if want_hosts:
            self.ping_all()
            wait_for_topology(self.url, self.topo, timeout, want_hosts=True,
                              poke=self.ping_all)

    def restart_controller(self, down_seconds=0.0, kill=False):
        (self.controller.kill if kill else self.controller.stop)()
        time.sleep(down_seconds)
        self.controller.start()

    # teardown ---------------------------------------------------------------
    def teardown(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                log("cleanup step failed: %s" % e)
        self.cleanups = []
        if self.net is not None:
            net, self.net = self.net, None
            try:
                log("stopping Mininet")
                net.stop()
                for c in net.controllers:  # RemoteController keeps a shell
                    c.terminate()
            except Exception as e:  # noqa: BLE001
                log("net.stop failed: %s" % e)
        try:
            self.controller.stop()
        except Exception as e:  # noqa: BLE001
            log("controller stop failed: %s" % e)
        try:
            cleanup_leftovers(self.prefix, kill_controllers=False)
        except Exception as e:  # noqa: BLE001
            log("leftover cleanup failed: %s" % e)
