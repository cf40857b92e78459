"""roam on a running testbed: one Docker Engine and one `roam agent` per
emulated host, and the `roam manager`. Run as root with /usr/bin/python3.

    bed = roam_testbed.Testbed(topo, prefix="rx", ...)     # Mininet + controller
    with bed:
        bed.start()
        stack = Stack(bed, roam="build/roam", work="/tmp/run")
        stack.start()                 # engines (in parallel), images, certs, agents
        stack.engine("h2").run_container("svc", "roam/iperf3:1", ["iperf3", "-s"])
        mgr = stack.start_manager(policy_file, params={"threshold": "4Mbps"})
        ...
    # Stack.start() registers its teardown with the Testbed: everything it
    # started is gone when the `with` block ends, also on Ctrl-C.

Networks. The emulated hosts' data network (10.0.0.0/8, OVS, shaped links)
carries the services and the migrations, as in the paper. The manager runs
in the root namespace, beside the controller, and reaches the agents over a
separate management network: one veth pair per host ("<prefix><host>-mg" in
the root namespace, "mg0" in the host), a /32 route each way. That network
is not attached to any switch, so the controller never sees it and the
measurements see only the data network. The manager's configuration gives
each agent both addresses ("address" for itself, "data_address" for the
other agents), so a migration crosses the paths the policy measured.

Names. The Mininet host "<prefix>h1" gets the network namespace name
"<prefix>h1" (ip netns attach) and the engine of the same name
(testbed/engine, state under /var/lib/roam-engines/<prefix>h1). The
configuration files of the agents and the manager are named
roam-testbed-<prefix>-*, so that testbed/clean recognises leftover daemons.
"""

import json
import os
import re
import socket
import subprocess
import threading
import time

import roam_testbed as tb
from docker_engine import Engine

ENGINE = os.path.join(tb.TESTBED, "engine")
IMAGE_BUILD = os.path.join(tb.TESTBED, "images", "build")
AGENT_PORT = 7070
AGENT_METRICS_PORT = 9465  # --metrics: each agent on its management address
MGMT_NET = "192.168.77"  # management network: .N = the Nth host, .254 = root


def config_tag(prefix):
    """In the name of every configuration file the stack writes, so that
    testbed/clean recognises a leftover agent or manager by its argv."""
    return "roam-testbed-%s-" % prefix


def manager_config_name(prefix):
    return config_tag(prefix) + "manager.jsonc"


def _free_port():
    """A TCP port free on loopback right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --------------------------------------------------------------- processes

class Daemon(object):
    """A roam process (agent or manager) logging to a file, in its own
    session so that a Ctrl-C reaches the testbed's handler first."""

    def __init__(self, name, argv, log_path):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.proc = None

    def start(self, ready, timeout=30.0):
        """Starts it and waits until ready(log text) is true."""
        logf = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.argv, stdout=logf,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        logf.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if ready(self.log_text()):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("%s did not start (exit %s); last lines of %s:\n%s"
                           % (self.name, self.proc.poll(), self.log_path,
                              self.log_text()[-2000:]))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM (in-flight migrations finish or roll back), then KILL."""
        tb.kill_proc(self.proc, self.name)
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class Manager(Daemon):
    def __init__(self, roam, config_path, work, socket_path, decision_log,
                 vib, web=None):
        argv = [roam, "manager", "--config", config_path]
        if web:
            argv += ["--web", web]  # the live view (docs/web.md)
        Daemon.__init__(self, "manager", argv,
                        os.path.join(work, "manager.log"))
        self.roam, self.socket, self.decision_log, self.vib = (
            roam, socket_path, decision_log, vib)
        self.web = web
        self.web_url = None  # the live view's address, once it serves

    def start(self, timeout=30.0):
        def ready(text):
            if not (os.path.exists(self.socket) and "admin socket" in text):
                return False
            if self.web:
                m = re.search(r"live view at (\S+)", text)
                if not m:
                    return False
                self.web_url = m.group(1)
            return True
        Daemon.start(self, ready, timeout)

    def decisions(self):
        try:
            with open(self.decision_log) as f:
                return [json.loads(line) for line in f if line.strip()]
        except (OSError, ValueError):
            return []

    def repl(self, line):
        p = subprocess.run([self.roam, "repl", "--connect", self.socket,
                            "--json", "-e", line], capture_output=True,
                           text=True, timeout=30)
        try:
            return json.loads(p.stdout)
        except ValueError:
            return {"error": (p.stdout + p.stderr).strip()}


# --------------------------------------------------------------- the stack

class Stack(object):
    """Engines, agents and the manager on a started Testbed."""

    def __init__(self, bed, roam, work, images=("roam/busybox:1",
                                                "roam/iperf3:1"),
                 mgmt_net=MGMT_NET, metrics=False):
        self.bed, self.roam, self.work = bed, os.path.abspath(roam), work
        # Two stacks running at once need different management networks:
        # the root namespace holds one /32 route per host address.
        self.mgmt_net = mgmt_net
        self.mgmt_root = mgmt_net + ".254"
        self.images = images
        self.prefix = bed.prefix
        # With METRICS the agents serve /metrics on their management address
        # and every manager on this loopback port (docs/metrics.md).
        self.metrics = metrics
        self.manager_metrics = ("127.0.0.1:%d" % _free_port()) if metrics \
            else None
        self.prometheus = None  # a roam_prometheus.Prometheus scraping them
        self.certs = os.path.join(work, "certs")
        self.engines = {}
        self.agents = {}
        self.manager = None
        self._netns = []
        self._mgmt_links = []
        self._threads = []
        os.makedirs(work, exist_ok=True)

    # names and addresses ---------------------------------------------------
    def host_names(self):
        return [h["name"] for h in self.bed.topo.hosts]

    def host_info(self, name):
        return next(h for h in self.bed.topo.hosts if h["name"] == name)

    def mgmt_ip(self, name):
        return "%s.%d" % (self.mgmt_net, self.host_names().index(name) + 1)

    def ns_name(self, name):
        return self.prefix + name

    def engine(self, name):
        return self.engines[name]

    def agent_metrics(self, name):
        return "%s:%d" % (self.mgmt_ip(name), AGENT_METRICS_PORT)

    # bring-up ----------------------------------------------------------------
    def start(self):
        self.bed.cleanups.append(self.teardown)
        hosts = self.host_names()
        if len(hosts) > 250:
            raise ValueError("at most 250 hosts on the management network")
        for name in hosts:
            self._attach_netns(name)
            self._add_mgmt_link(name)
        self._start_engines(hosts)
        self._make_certs(hosts)
        for name in hosts:
            self._start_agent(name)
        tb.log("roam agents up on %d hosts" % len(hosts))

    def _attach_netns(self, name):
        ns = self.ns_name(name)
        pid = self.bed.host(name).pid
        tb.run(["ip", "netns", "delete", ns], check=False, quiet=True)
        tb.run(["ip", "netns", "attach", ns, str(pid)])
        self._netns.append(ns)

    def _add_mgmt_link(self, name):
        root_end = "%s%s-mg" % (self.prefix, name)
        ns, ip = self.ns_name(name), self.mgmt_ip(name)
        tb.run(["ip", "link", "del", root_end], check=False, quiet=True)
        tb.run(["ip", "link", "add", root_end, "type", "veth", "peer", "name",
                "mg0", "netns", ns])
        self._mgmt_links.append(root_end)
        tb.run(["ip", "addr", "add", self.mgmt_root + "/32", "dev", root_end])
        tb.run(["ip", "link", "set", root_end, "up"])
        tb.run(["ip", "route", "replace", ip + "/32", "dev", root_end, "src",
                self.mgmt_root])
        tb.run(["ip", "-n", ns, "addr", "add", ip + "/32", "dev", "mg0"])
        tb.run(["ip", "-n", ns, "link", "set", "mg0", "up"])
        tb.run(["ip", "-n", ns, "route", "replace", self.mgmt_root + "/32", "dev",
                "mg0"])

    def _start_engines(self, hosts):
        """One dockerd per host, started in parallel (each takes seconds),
        then the images built on each from the same reproducible tarball."""
        t0 = time.time()
        results, errors, ready = {}, {}, []
        lock = threading.Lock()

        def start_one(name):
            try:
                out = tb.run([ENGINE, "start", self.ns_name(name), "--netns",
                              self.ns_name(name)])
                results[name] = out.strip().splitlines()[-1]
                for image in self.images:
                    tb.run([IMAGE_BUILD, results[name], image])
                with lock:
                    ready.append(name)
                    tb.log("engine %s ready (%d/%d, %.1f s)" % (
                        name, len(ready), len(hosts), time.time() - t0))
            except Exception as e:  # noqa: BLE001 - reported below
                errors[name] = str(e)

        tb.log("starting %d Docker engines (one per host, a few seconds "
               "each)" % len(hosts))
        threads = [threading.Thread(target=start_one, args=(n,))
                   for n in hosts]
        # Kept for teardown: after a Ctrl-C here they may still be starting
        # engines, which must be stopped only once they are up.
        self._threads = threads
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name, sock in results.items():
            self.engines[name] = Engine(name, self.ns_name(name), sock)
        if errors:
            raise RuntimeError("engines failed: " + "; ".join(
                "%s: %s" % kv for kv in sorted(errors.items())))

    def _make_certs(self, hosts):
        if not os.path.exists(os.path.join(self.certs, "ca.crt")):
            tb.run([self.roam, "certs", "init", self.certs])
        for name in hosts:
            tb.run([self.roam, "certs", "issue", self.certs, name, "--force",
                    "--ip", self.host_info(name)["ip"]])
        for name in ("manager", "cli"):
            tb.run([self.roam, "certs", "issue", self.certs, name, "--force"])

    def _start_agent(self, name):
        ns = self.ns_name(name)
        config = os.path.join(self.work, "%sagent-%s.json" %
                              (config_tag(self.prefix), name))
        options = {"name": name, "listen": "0.0.0.0:%d" % AGENT_PORT,
                   "docker": "unix://" + self.engines[name].sock,
                   "certs": self.certs,
                   "data_dir": os.path.join(self.work, "agent-" + name)}
        if self.metrics:
            options["metrics"] = self.agent_metrics(name)
        with open(config, "w") as f:
            json.dump(options, f, indent=2)
        agent = Daemon("agent " + name,
                       ["nsenter", "--net=/var/run/netns/" + ns, self.roam,
                        "agent", "--config", config],
                       os.path.join(self.work, "agent-%s.log" % name))
        self.agents[name] = agent  # known to teardown before it can hang
        agent.start(lambda text: "listening" in text)

    # the manager -------------------------------------------------------------
    def manager_config(self, policy_file, params, run_dir, seed=None,
                       brain=None):
        """Writes the manager's configuration for one run; returns its path."""
        topo_path = os.path.join(self.work, "topology.json")
        with open(topo_path, "w") as f:
            json.dump(self.bed.topo.roam_json(), f, indent=2)
        config = {
            "controller": {"backend": "ryu", "url": self.bed.url},
            "collectors": {"bandwidth": "1s", "aggregate": "5s",
                           "topology": "5s", "agents": "2s"},
            "vib": os.path.join(run_dir, "vib.sqlite"),
            "topology": topo_path,
            "agents": [{"name": n,
                        "address": "%s:%d" % (self.mgmt_ip(n), AGENT_PORT),
                        "data_address": "%s:%d" % (self.host_info(n)["ip"],
                                                   AGENT_PORT)}
                       for n in self.host_names()],
            "certs": self.certs,
            "identity": "manager",
            "policy": {"file": os.path.abspath(policy_file),
                       "params": params or {}},
            # One migration per run: the cooldown keeps the moved service
            # put, the rate limit keeps the brain from moving anything else.
            "brain": dict({"cooldown": "1h",
                           "rate_limit": {"migrations": 1, "per": "1h"},
                           "mode": "auto"}, **(brain or {})),
            "decision_log": os.path.join(run_dir, "decisions.jsonl"),
            "admin_socket": os.path.join(run_dir, "manager.sock"),
            "redirect": True,
        }
        if seed is not None:
            config["brain"]["seed"] = seed
        if self.manager_metrics:
            config["metrics"] = self.manager_metrics
        path = os.path.join(run_dir, manager_config_name(self.prefix))
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
        return path, config

    def start_manager(self, policy_file, params=None, run_dir=None, seed=None,
                      brain=None, web=None):
        """web: serve the live view there (`roam manager --web`, e.g.
        "127.0.0.1:0"); its address is then manager.web_url."""
        run_dir = run_dir or self.work
        os.makedirs(run_dir, exist_ok=True)
        path, config = self.manager_config(policy_file, params, run_dir, seed,
                                           brain)
        self.manager = Manager(self.roam, path, run_dir,
                               config["admin_socket"], config["decision_log"],
                               config["vib"], web=web)
        self.manager.start()
        if self.manager.web_url:
            tb.log("live view of this run: %s" % self.manager.web_url)
        return self.manager

    def stop_manager(self):
        if self.manager is not None:
            self.manager.stop()

    def clear_redirect(self, container):
        """Removes the flow rules redirecting the container's home address."""
        tb.run([self.roam, "redirect", container, "--clear", "--controller",
                "ryu=" + self.bed.url], check=False)

    # teardown ------------------------------------------------------------------
    def teardown(self):
        for t in self._threads:
            t.join(120)
        self.stop_manager()
        for agent in self.agents.values():
            agent.stop()
        self.agents = {}
        names = list(self.engines) or self.host_names()
        threads = [threading.Thread(target=tb.run, args=(
            [ENGINE, "stop", self.ns_name(n), "--purge"],),
            kwargs={"check": False}) for n in names]
        if threads:
            tb.log("stopping %d Docker engines" % len(threads))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.engines = {}
        for link in self._mgmt_links:
            tb.run(["ip", "link", "del", link], check=False, quiet=True)
        self._mgmt_links = []
        for ns in self._netns:
            tb.run(["ip", "netns", "delete", ns], check=False, quiet=True)
        self._netns = []
