#!/usr/bin/python3
"""A service's own address moves with it (docs/redirection.md, "Service
addresses"), with real Docker engines, real agents and real kernels. Run as
root:

    tests/integration/service_address.py --roam build/roam

Three emulated hosts on one learning switch (a Linux bridge in its own
namespace, forwarding by MAC as the testbed's switches do with NORMAL):
a (10.78.0.1) and b (10.78.0.2) each run a Docker Engine and a `roam agent`;
c (10.78.0.3) is the client and has neither. The container "svc", labelled
roam.address=10.78.0.100, serves a token over HTTP on port 18080 (busybox
httpd on 0.0.0.0, host networking).

  1. started on a, its address appears on a within seconds (the agent claims
     it) and c fetches the token at 10.78.0.100:18080;
  2. a migration to b whose destination cannot start the container (its bind
     mount's source disappears while the source is frozen) fails: the address
     stays on a, b does not hold it, c still fetches the same token there;
  3. a migration to b succeeds: the address is on b, no longer on a, c's ARP
     entry names b's MAC (gratuitous ARP) and c fetches the same token at the
     same address and port, at once, with no rule anywhere.
Everything is removed at the end, also on failure.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
from checking import exit_status, wait_until  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bridge_hosts  # noqa: E402
from bridge_hosts import run  # noqa: E402

IMAGE = "roam/busybox:1"
SWITCH = "radr-sw"
HOSTS = {"a": "10.78.0.1", "b": "10.78.0.2", "c": "10.78.0.3"}
SERVICE_IP = "10.78.0.100"
PORT = 18080
AGENT_PORT = 7070

failures = []


def log(msg):
    print(f"[service-address {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def check(condition, what):
    log(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def ns(host):
    return f"radr-{host}"


def in_ns(host, cmd):
    return ["nsenter", f"--net=/var/run/netns/{ns(host)}"] + cmd


def holds(host):
    r = run(["ip", "-n", ns(host), "-o", "-4", "addr", "show", "to", SERVICE_IP + "/32"],
            check_rc=False)
    return SERVICE_IP in r.stdout


def mac(host):
    r = run(["ip", "-n", ns(host), "-j", "link", "show", f"radr-{host}0"])
    return json.loads(r.stdout)[0]["address"]


def client_arp():
    r = run(["ip", "-n", ns("c"), "-j", "neigh", "show", SERVICE_IP], check_rc=False)
    entries = json.loads(r.stdout or "[]")
    return entries[0].get("lladdr") if entries else None


def fetch():
    """The token as c gets it from the service address, or None."""
    r = run(in_ns("c", ["curl", "-s", "-m", "2", f"http://{SERVICE_IP}:{PORT}/token"]),
            check_rc=False)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


class Agent:
    def __init__(self, roam, host, engine, certs, work, extra):
        self.host = host
        self.config = os.path.join(work, f"agent-{host}.json")
        with open(self.config, "w") as f:
            json.dump({"name": host, "listen": f"{HOSTS[host]}:{AGENT_PORT}",
                       "docker": f"unix://{engine.sock}", "certs": certs,
                       "data_dir": os.path.join(work, f"agent-{host}"), "idle_timeout_s": 4,
                       **extra}, f)
        self.log_path = os.path.join(work, f"agent-{host}.log")
        self.logf = open(self.log_path, "a")
        self.proc = subprocess.Popen(in_ns(host, [roam, "agent", "--config", self.config]),
                                     stdout=subprocess.PIPE, stderr=self.logf, text=True)
        if not self.proc.stdout.readline().startswith("listening"):
            raise RuntimeError(f"agent {host} did not start: {open(self.log_path).read()[-2000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_service(engine, bound):
    script = ("[ -f /www/token ] || { mkdir -p /www; head -c 16 /dev/urandom | od -An -tx1 "
              "| tr -d ' \\n' > /www/token; }; "
              f"exec httpd -f -p {PORT} -h /www")
    engine.run_container("svc", IMAGE, ["sh", "-c", script],
                         labels={"roam.address": SERVICE_IP, "purpose": "roam-integration"},
                         mounts=[{"Type": "bind", "Source": bound, "Target": "/bound"}])


def migrate(roam, certs):
    # Snapshot mode: the failure below takes the bind mount's source away
    # while the source is frozen, and only a paused copy resumes without it
    # (a checkpointed one is restored, which needs the mount). Checkpoint
    # mode's address and connections: connection_survives.py.
    return subprocess.Popen(in_ns("a", [roam, "migrate", "svc", "--source",
                                        f"{HOSTS['a']}:{AGENT_PORT}", "--destination",
                                        f"{HOSTS['b']}:{AGENT_PORT}", "--mode", "snapshot",
                                        "--json", "--certs", certs, "--identity", "cli"]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outcome(proc, timeout=60):
    out, err = proc.communicate(timeout=timeout)
    try:
        return proc.returncode, json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return proc.returncode, {"result": f"no JSON: {out} {err}"}


def teardown(agents, work):
    for agent in agents:
        agent.stop()
    for host in ("a", "b"):
        run([bridge_hosts.ENGINE, "stop", ns(host), "--purge"], check_rc=False)
    for name in [ns(h) for h in HOSTS] + [SWITCH]:
        run(["ip", "netns", "del", name], check_rc=False)
    run(["rm", "-rf", work], check_rc=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--roam", required=True)
    args = ap.parse_args()
    roam = os.path.abspath(args.roam)
    work = tempfile.mkdtemp(prefix="roam-address-it-")
    os.chmod(work, 0o755)
    agents = []
    t0 = time.time()
    try:
        teardown([], "/nonexistent")  # leftovers of an interrupted run
        bridge_hosts.make_network("radr", HOSTS)
        engines = bridge_hosts.start_engines("radr", ("a", "b"), IMAGE)
        log(f"engines up, image built ({time.time() - t0:.1f} s)")
        certs = os.path.join(work, "certs")
        run([roam, "certs", "init", certs])
        for host in ("a", "b"):
            run([roam, "certs", "issue", certs, host, "--ip", HOSTS[host]])
        run([roam, "certs", "issue", certs, "cli"])
        # a holds the container frozen 1.5 s before its final round, so the
        # failure below can strike while b has created its copy.
        agents.append(Agent(roam, "a", engines["a"], certs, work, {"test_hold_frozen_ms": 1500}))
        agents.append(Agent(roam, "b", engines["b"], certs, work, {}))

        # 1. The agent on a claims the address of the labelled container.
        bound = os.path.join(work, "bound")
        os.makedirs(bound)
        start_service(engines["a"], bound)
        check(wait_until(lambda: holds("a"), 10, 0.2), "a claims 10.78.0.100 for svc")
        token = wait_until(fetch, 10, 0.3)
        check(token is not None, f"c reaches svc at {SERVICE_IP}:{PORT} on a (token {token})")
        check(client_arp() == mac("a"), "c's ARP entry for the service address is a's MAC")

        # 2. The destination cannot start: the address stays on a.
        proc = migrate(roam, certs)
        frozen = wait_until(lambda: (engines["a"].container("svc") or {}).get("State", {})
                            .get("Paused"), 30, 0.05)
        check(bool(frozen), "failure: the container was frozen on a")
        os.rmdir(bound)  # b's copy cannot mount it: the real engine refuses the start
        rc, out = outcome(proc)
        check(rc != 0 and "start" in out.get("result", ""),
              f"failure: the migration fails at b's start: {out.get('result')}")
        os.makedirs(bound)
        check(holds("a") and not holds("b"), "failure: a holds the address, b does not")
        check(engines["b"].container("svc") is None, "failure: nothing is left on b")
        check(wait_until(lambda: fetch() == token, 5, 0.2),
              "failure: c reaches the same svc at the same address")
        check(client_arp() == mac("a"), "failure: c's ARP entry is a's MAC again")

        # 3. A migration that succeeds moves the address with the container.
        proc = migrate(roam, certs)
        rc, out = outcome(proc)
        done_at = time.time()
        check(rc == 0 and out.get("result") == "success",
              f"the migration succeeds: {out.get('result')} (freeze {out.get('freeze_ms')} ms)")
        got = wait_until(lambda: fetch() == token, 10, 0.1)
        gap = time.time() - done_at
        check(bool(got), f"c reaches the same svc at {SERVICE_IP}:{PORT}, now on b "
                         f"({gap:.2f} s after DONE)")
        check(holds("b") and not holds("a"), "b holds the address, a no longer does")
        check(client_arp() == mac("b"), "c's ARP entry for the service address is b's MAC")
        check(engines["a"].container("svc") is None and engines["b"].running("svc"),
              "svc runs on b only")
        log(f"done in {time.time() - t0:.1f} s")
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        failures.append(f"exception: {e}")
        log(f"exception: {e}")
        for agent in agents:
            log(f"agent {agent.host} log tail:\n{open(agent.log_path).read()[-1500:]}")
    finally:
        teardown(agents, work)
    return exit_status(failures, log)


if __name__ == "__main__":
    sys.exit(main())
