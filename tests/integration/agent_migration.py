#!/usr/bin/python3
"""Integration test of the agents (issue 4): a real stateful container moves
between two real Docker engines, and every failure leaves it where it was.
Run as root:

    tests/integration/agent_migration.py --roam build/roam

Two emulated hosts, each a network namespace with its own Docker Engine
(testbed/engine), joined by a veth pair:

    [rmig-a: dockerd A, agent a 10.77.0.1:7070] ==veth== [rmig-b: dockerd B, agent b 10.77.0.2:7070]

The agents run inside their namespaces, so the transfer crosses the veth.
The container `stateful` (image roam/busybox:1, built locally on both
engines) writes a random token into its file system (/www/fs-token) and one
into its volume (/data/vol-token) and serves both with busybox httpd on port
18080 of its host.

Scenarios, in order:
  1. bad peers: a client whose certificate comes from another CA is refused;
     malformed frames (garbage, oversized, non-JSON, unknown type, the
     retired RESTART, a field of the wrong type, DATA outside a migration)
     each get an ERROR and a closed connection, and the agent keeps
     answering PING;
  2. faults, each leaving the container running on A with its tokens, nothing
     of it on B, and clean journals after an agent restart:
       a. corrupted chunk (agent a flips a byte of one chunk: checksum
          mismatch on B),
       b. destination engine refusing to create (a container of that name
          already exists there: the engine answers 409),
       c. connection cut mid-transfer (veth down; idle timeouts),
       d. destination agent killed (SIGKILL) mid-transfer, then restarted;
     e. source agent killed (SIGKILL) while the container is frozen, then
        restarted (its recovery resumes the container);
     f. destination agent killed while the container is frozen (the source
        resumes it), then restarted;
     g. the link cut while the container is frozen, before the final round
        (the final round's hand-over never arrives: the source keeps asking,
        then resumes once the destination, reachable again, says FAILURE);
  3. success: `roam migrate` moves it; it runs on B under the same name and
     serves the same tokens; it is gone from A; a repeated MIGRATE with the
     same id does not migrate twice; it migrates back B -> A; and once more
     A -> B with SIGTERM sent to agent a mid-transfer: the migration finishes,
     then the agent exits.
Everything the run creates is removed at the end, also on failure.
"""

import argparse
import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
from checking import exit_status  # noqa: E402
from docker_engine import Engine  # noqa: E402

ENGINE = os.path.join(REPO, "testbed", "engine")
IMAGE_BUILD = os.path.join(REPO, "testbed", "images", "build")
IMAGE = "roam/busybox:1"
HOSTS = {"a": ("rmig-a", "10.77.0.1"), "b": ("rmig-b", "10.77.0.2")}
AGENT_PORT = 7070
HTTP_PORT = 18080

failures = []


def log(msg):
    print(f"[agent-migration] {msg}", flush=True)


def check(condition, what):
    if condition:
        log(f"ok: {what}")
    else:
        log(f"FAIL: {what}")
        failures.append(what)
    return condition


def run(cmd, check_rc=True, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check_rc and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def read_text(path):
    """A file's text, or "" when it does not exist (yet)."""
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def in_ns(host, cmd):
    return ["nsenter", f"--net=/var/run/netns/{HOSTS[host][0]}"] + cmd


def start_engine(host):
    """Starts host's Docker Engine (testbed/engine) in its namespace."""
    sock = run([ENGINE, "start", f"rmig-{host}", "--netns", HOSTS[host][0]]).stdout.strip()
    return Engine(host, f"rmig-{host}", sock)


def http_get(host, path):
    r = run(in_ns(host, ["curl", "-s", "-m", "3", f"http://{HOSTS[host][1]}:{HTTP_PORT}{path}"]),
            check_rc=False)
    return r.stdout.strip() if r.returncode == 0 else None


class Agent:
    def __init__(self, roam, host, engine, certs, work, extra=None):
        self.host, self.roam, self.engine, self.certs = host, roam, engine, certs
        self.data = os.path.join(work, f"agent-{host}")
        self.config = os.path.join(work, f"agent-{host}.json")
        with open(self.config, "w") as f:
            json.dump({"name": host, "listen": f"{HOSTS[host][1]}:{AGENT_PORT}",
                       "docker": f"unix://{engine.sock}", "certs": certs,
                       "data_dir": self.data, "idle_timeout_s": 4, **(extra or {})}, f)
        self.log_path = os.path.join(work, f"agent-{host}.log")
        self.proc = None

    def start(self):
        self.logf = open(self.log_path, "a")
        self.proc = subprocess.Popen(in_ns(self.host, [self.roam, "agent", "--config", self.config]),
                                     stdout=subprocess.PIPE, stderr=self.logf, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening"):
            raise RuntimeError(f"agent {self.host} did not start: {open(self.log_path).read()[-2000:]}")

    def stop(self, sig="TERM"):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(getattr(__import__("signal"), "SIG" + sig))
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def journal(self):
        d = os.path.join(self.data, "journal")
        entries = []
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if name.endswith(".json"):
                with open(os.path.join(d, name)) as f:
                    entries.append(json.load(f))
        return entries

    def log_text(self):
        return read_text(self.log_path)



def roam_client(roam, certs, host, args, identity="cli"):
    return run(in_ns(host, [roam] + args + ["--certs", certs, "--identity", identity]), check_rc=False)


def migrate(roam, certs, src, dst, extra=()):
    # Snapshot unless EXTRA names a mode: the engines can checkpoint (CRIU),
    # where `auto` would choose checkpoint mode; the scenarios here are the
    # pre-copy ones with the container paused (checkpoint_migration.py has
    # checkpoint mode's).
    mode = [] if "--mode" in extra else ["--mode", "snapshot"]
    r = roam_client(roam, certs, src, ["migrate", "stateful", "--source", f"{HOSTS[src][1]}:{AGENT_PORT}",
                                       "--destination", f"{HOSTS[dst][1]}:{AGENT_PORT}", "--json",
                                       *mode, *extra])
    try:
        return r.returncode, json.loads(r.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return r.returncode, {"result": f"no JSON: {r.stdout} {r.stderr}"}


def start_stateful(engine, big_mb=0, bind_source=None):
    """The stateful container on `engine`; returns its tokens once served.
    BIND_SOURCE: a host directory also bind-mounted at /bound."""
    script = ("[ -f /www/fs-token ] || head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /www/fs-token; "
              "[ -f /data/vol-token ] || head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /data/vol-token; "
              "ln -sf /data/vol-token /www/vol-token; ")
    if big_mb:
        script += f"[ -f /www/big ] || head -c {big_mb}m /dev/urandom > /www/big; "
    script += f"exec httpd -f -p {HTTP_PORT} -h /www"
    engine.run_container("stateful", IMAGE, ["sh", "-c", script],
                         labels={"purpose": "roam-integration"},
                         mounts=[{"Type": "volume", "Source": "statevol", "Target": "/data"}]
                         + ([{"Type": "bind", "Source": bind_source, "Target": "/bound"}]
                            if bind_source else []))
    for _ in range(50):
        fs, vol = http_get(engine.host, "/fs-token"), http_get(engine.host, "/vol-token")
        if fs and vol and (not big_mb or engine.container("stateful")):
            if not big_mb or http_ok_size(engine.host, big_mb):
                return fs, vol
        time.sleep(0.2)
    raise RuntimeError("stateful container does not serve its tokens")


def http_ok_size(host, mb):
    r = run(in_ns(host, ["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", "-m", "10",
                         f"http://{HOSTS[host][1]}:{HTTP_PORT}/big"]), check_rc=False)
    return r.stdout.strip() == str(mb * 1024 * 1024)


def remove_stateful(engine):
    engine.api("DELETE", "/containers/stateful?force=1&v=1")
    engine.api("DELETE", "/volumes/statevol?force=1")


def expect_untouched(what, a, b, tokens, agents):
    """After a failed migration: A still serves the same tokens, B has nothing."""
    c = a.container("stateful")
    check(c is not None and c["State"]["Running"], f"{what}: the container still runs on A")
    check((http_get("a", "/fs-token"), http_get("a", "/vol-token")) == tokens,
          f"{what}: A still serves the same tokens")
    check(b.container("stateful") is None, f"{what}: no container left on B")
    check("statevol" not in b.volumes(), f"{what}: no volume left on B")
    check(not [t for t in b.images() if t.startswith("roam-migrate")], f"{what}: no snapshot image left on B")
    for agent in agents:
        spool = os.path.join(agent.data, "spool")
        check(not os.listdir(spool) if os.path.isdir(spool) else True,
              f"{what}: agent {agent.host}'s spool is empty")


def wait_paused(engine, timeout=30):
    """Until the stateful container on ENGINE is paused (frozen by a migration)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = engine.container("stateful")
        if c is not None and c["State"].get("Paused"):
            return True
        time.sleep(0.05)
    return False


def wait_running_unpaused(engine, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = engine.container("stateful")
        if c is not None and c["State"]["Running"] and not c["State"].get("Paused"):
            return True
        time.sleep(0.2)
    return False


def journal_clean(agent, what):
    open_entries = [e for e in agent.journal()
                    if e.get("state") not in ("done", "failed", "rolled-back", "succeeded")]
    check(not open_entries, f"{what}: agent {agent.host}'s journal has no open entry ({open_entries})")


def wait_sending(agent, min_bytes, timeout=30, phases=("precopy",)):
    """Waits until agent's STATUS shows a migration (in one of `phases`, any
    when None) that has sent min_bytes."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = roam_client(agent.roam, agent.certs, agent.host,
                        ["status", f"{HOSTS[agent.host][1]}:{AGENT_PORT}"])
        if r.returncode == 0:
            for m in json.loads(r.stdout)["migrations"]:
                if (phases is None or m.get("phase") in phases) and m.get("bytes_sent", 0) >= min_bytes:
                    return True
        time.sleep(0.1)
    return False


# ---------------------------------------------------------------- bad peers

def frame(header, payload=b""):
    h = json.dumps(header).encode()
    return struct.pack(">II", len(h), len(payload)) + h + payload


def tls_client(certs, identity, host_addr):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.check_hostname = False
    ctx.load_verify_locations(os.path.join(certs, "ca.crt"))
    ctx.load_cert_chain(os.path.join(certs, f"{identity}.crt"), os.path.join(certs, f"{identity}.key"))
    raw = socket.create_connection((host_addr, AGENT_PORT), timeout=5)
    return ctx.wrap_socket(raw)


def read_frame(sock):
    def read_exact(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data
    prefix = read_exact(8)
    if prefix is None:
        return None
    hl, pl = struct.unpack(">II", prefix)
    header = json.loads(read_exact(hl))
    read_exact(pl)
    return header


def bad_peers(roam, certs, foreign, agent_a):
    # A certificate from another CA: the TLS handshake fails, nothing is served.
    r = roam_client(roam, foreign, "a", ["ping", f"{HOSTS['a'][1]}:{AGENT_PORT}"], identity="intruder")
    check(r.returncode != 0, "a client with a foreign CA's certificate is refused")
    check("refused" in agent_a.log_text() and "handshake" in agent_a.log_text(),
          "the agent logs the refused handshake")

    # Malformed frames over a good TLS connection: each gets ERROR, then close.
    # The client runs inside host a's namespace (this same script, --frames).
    r = run(in_ns("a", [sys.executable, os.path.abspath(__file__), "--frames", certs, HOSTS["a"][1]]),
            check_rc=False)
    results = json.loads(r.stdout) if r.returncode == 0 else {"(client failed)": r.stderr}
    for name, header in results.items():
        check(isinstance(header, dict) and header.get("type") == "ERROR" and header.get("closed"),
              f"malformed frame ({name}) gets ERROR and the connection closes: {header}")
        if name in MALFORMED_ERRORS:
            check(header.get("error") == MALFORMED_ERRORS[name],
                  f"malformed frame ({name}) is refused as {MALFORMED_ERRORS[name]!r}: {header}")
    r = roam_client(roam, certs, "a", ["ping", f"{HOSTS['a'][1]}:{AGENT_PORT}", "--count", "2", "--json"])
    check(r.returncode == 0 and json.loads(r.stdout)["agent"] == "a",
          "the agent keeps answering PING after bad peers (RTT measured)")


MALFORMED = {
    "garbage": b"\x00\x00\x00\x05\x00\x00\x00\x00hello",
    "oversized": struct.pack(">II", 10 << 20, 0),
    "zero header": struct.pack(">II", 0, 0),
    "non-object header": frame([1, 2, 3]),
    "wrong version": frame({"v": 99, "type": "PING", "nonce": 1}),
    "unknown type": frame({"v": 2, "type": "EXPLODE"}),
    # The snapshot migration's first message, retired with protocol version 1.
    "retired RESTART": frame({"v": 2, "type": "RESTART", "migration_id": "m1", "container": "c",
                              "mode": "snapshot", "config": {}, "files": [], "compression": "zstd"}),
    "wrong field type": frame({"v": 2, "type": "PING", "nonce": "one"}),
    "payload on PING": frame({"v": 2, "type": "PING", "nonce": 1}, b"xx"),
    "DATA outside a migration": frame({"v": 2, "type": "DATA", "migration_id": "m1", "file": 0,
                                       "offset": 0, "last": True}, b"x"),
    "bad MIGRATE": frame({"v": 2, "type": "MIGRATE", "migration_id": "../x", "container": "c",
                          "destination": "nowhere", "mode": "teleport"}),
}
# The exact refusal where it says what the test is about.
MALFORMED_ERRORS = {
    "wrong version": "unsupported protocol version 99",
    "unknown type": 'unknown message type "EXPLODE"',
    "retired RESTART": 'unknown message type "RESTART"',
    "wrong field type": "PING: field 'nonce': expected a non-negative integer",
    "DATA outside a migration": "unexpected DATA on this connection",
}


def send_malformed(certs, address):
    """--frames: sends each malformed frame on its own connection; prints what came back."""
    results = {}
    for name, data in MALFORMED.items():
        try:
            s = tls_client(certs, "cli", address)
            s.sendall(data)
            header = read_frame(s) or {}
            header["closed"] = read_frame(s) is None
            s.close()
        except (OSError, ValueError) as e:
            header = {"exception": str(e)}
        results[name] = header
    print(json.dumps(results))
    return 0


# ---------------------------------------------------------------- set-up

def make_hosts():
    """Two namespaces joined by a veth pair, an engine in each, the image built on both."""
    for host, (ns, addr) in HOSTS.items():
        run(["ip", "netns", "add", ns], check_rc=False)
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
    run(["ip", "link", "add", "rmig-a0", "netns", "rmig-a", "type", "veth", "peer", "name", "rmig-b0",
         "netns", "rmig-b"], check_rc=False)
    for host, (ns, addr) in HOSTS.items():
        dev = f"rmig-{host}0"
        run(["ip", "-n", ns, "addr", "replace", f"{addr}/24", "dev", dev])
        run(["ip", "-n", ns, "link", "set", dev, "up"])
    engines = start_engine("a"), start_engine("b")
    for e in engines:
        run([IMAGE_BUILD, e.sock, IMAGE])
        remove_stateful(e)
    log("engines up, image built on both")
    return engines


def make_certs(roam, work):
    """The deployment's CA with a, b and cli; and a foreign CA with an intruder."""
    certs = os.path.join(work, "certs")
    foreign = os.path.join(work, "foreign")
    run([roam, "certs", "init", certs])
    for name, ip in (("a", HOSTS["a"][1]), ("b", HOSTS["b"][1])):
        run([roam, "certs", "issue", certs, name, "--ip", ip])
    run([roam, "certs", "issue", certs, "cli"])
    run([roam, "certs", "init", foreign])
    run([roam, "certs", "issue", foreign, "intruder"])
    return certs, foreign


def bring_up(roam, work, engines, agents, agent_options=None):
    """Both hosts, their certificates and an agent on each (AGENT_OPTIONS:
    more keys of their configuration). ENGINES and AGENTS grow as each comes
    up, so the caller's teardown() sees whatever started when a later step
    fails. Returns (engine a, engine b, certs)."""
    a, b = make_hosts()
    engines.extend([a, b])
    certs, _ = make_certs(roam, work)
    for host, engine in (("a", a), ("b", b)):
        agents.append(Agent(roam, host, engine, certs, work, agent_options))
        agents[-1].start()
    return a, b, certs


def teardown(agents, engines, work):
    for agent in agents:
        agent.stop("KILL")
    for e in engines:
        remove_stateful(e)
    for host in HOSTS:
        run([ENGINE, "stop", f"rmig-{host}", "--purge"], check_rc=False)
        run(["ip", "netns", "del", HOSTS[host][0]], check_rc=False)
    subprocess.run(["rm", "-rf", work])


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--roam")
    ap.add_argument("--frames", nargs=2, metavar=("CERTS", "ADDRESS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.frames:
        return send_malformed(*args.frames)
    if not args.roam:
        ap.error("--roam is required")
    roam = os.path.abspath(args.roam)
    work = tempfile.mkdtemp(prefix="roam-agent-it-")
    os.chmod(work, 0o755)
    agents, engines = [], []
    try:
        a, b = make_hosts()
        engines = [a, b]
        certs, foreign = make_certs(roam, work)

        agent_a = Agent(roam, "a", a, certs, work, {"test_corrupt_chunk": 3})
        agent_b = Agent(roam, "b", b, certs, work)
        agents = [agent_a, agent_b]
        for agent in agents:
            agent.start()
        log("agents up")

        bad_peers(roam, certs, foreign, agent_a)

        # 2a. Corrupted chunk (agent a is configured to corrupt its 3rd chunk).
        tokens = start_stateful(a, big_mb=8)
        rc, out = migrate(roam, certs, "a", "b")
        check(rc != 0 and "checksum mismatch" in out["result"], f"corrupted chunk fails the migration: {out['result']}")
        expect_untouched("corrupted chunk", a, b, tokens, agents)

        # Restart agent a without fault injection for the rest.
        agent_a.stop()
        agent_a = Agent(roam, "a", a, certs, work)
        agents[0] = agent_a
        agent_a.start()

        # 2b. Destination engine refuses to create: B's engine already has a
        # (stopped) container of that name and answers 409 to the create.
        code, answer = b.api("POST", "/containers/create?name=stateful", {"Image": IMAGE, "Cmd": ["true"],
                                                                           "Labels": {"decoy": "1"}})
        check(code == 201, f"a decoy container named stateful exists on B ({code} {answer})")
        rc, out = migrate(roam, certs, "a", "b")
        check(rc != 0 and "cannot create" in out["result"] and "already in use" in out["result"],
              f"the engine refusing to create fails it: {out['result']}")
        decoy = b.container("stateful")
        check(decoy is not None and decoy["Config"]["Labels"].get("decoy") == "1",
              "the decoy on B is left alone by the roll-back")
        b.api("DELETE", "/containers/stateful?force=1")
        expect_untouched("engine refuses create", a, b, tokens, agents)

        # 2c. Connection cut mid-transfer: the veth goes down; idle timeouts end it.
        run(in_ns("a", ["tc", "qdisc", "replace", "dev", "rmig-a0", "root", "tbf", "rate", "40mbit",
                        "burst", "64kb", "latency", "400ms"]))
        remove_stateful(a)
        tokens = start_stateful(a, big_mb=24)
        proc = subprocess.Popen(in_ns("a", [roam, "migrate", "stateful", "--source", f"10.77.0.1:{AGENT_PORT}",
                                            "--destination", f"10.77.0.2:{AGENT_PORT}", "--json", "--mode", "snapshot",
                                            "--certs", certs]), stdout=subprocess.PIPE, text=True)
        check(wait_sending(agent_a, 2 << 20), "connection cut: the transfer started")
        run(in_ns("a", ["ip", "link", "set", "rmig-a0", "down"]))
        out = json.loads(proc.communicate(timeout=60)[0].strip().splitlines()[-1])
        run(in_ns("a", ["ip", "link", "set", "rmig-a0", "up"]))
        run(in_ns("b", ["ip", "link", "set", "rmig-b0", "up"]))
        time.sleep(6)  # B's idle timeout rolls its side back
        check(proc.returncode != 0, f"connection cut fails the migration: {out['result']}")
        expect_untouched("connection cut", a, b, tokens, agents)

        # 2d. Destination agent killed mid-transfer, then restarted.
        proc = subprocess.Popen(in_ns("a", [roam, "migrate", "stateful", "--source", f"10.77.0.1:{AGENT_PORT}",
                                            "--destination", f"10.77.0.2:{AGENT_PORT}", "--json", "--mode", "snapshot",
                                            "--certs", certs]), stdout=subprocess.PIPE, text=True)
        check(wait_sending(agent_a, 2 << 20), "agent killed: the transfer started")
        agent_b.stop("KILL")
        out = json.loads(proc.communicate(timeout=60)[0].strip().splitlines()[-1])
        check(proc.returncode != 0, f"killing the destination agent fails the migration: {out['result']}")
        agent_b.start()  # recovery from its journal removes the partial state
        expect_untouched("destination killed", a, b, tokens, agents)
        journal_clean(agent_b, "destination killed, after restart")
        run(in_ns("a", ["tc", "qdisc", "del", "dev", "rmig-a0", "root"]), check_rc=False)

        # 2e-2h. Faults while the container is frozen: agent a holds each
        # freeze for a few seconds once the final ROUND is out, before its
        # delta (test_hold_frozen_ms).
        agent_a.stop()
        agent_a = Agent(roam, "a", a, certs, work, {"test_hold_frozen_ms": 3000,
                                                     "restore_timeout_s": 15})
        agents[0] = agent_a
        agent_a.start()
        bind_source = os.path.join(work, "bound")
        for fault in ("source killed while frozen", "destination killed while frozen",
                      "link cut during the final round", "destination engine cannot start"):
            if fault == "destination engine cannot start":
                # The real engine refuses to start a container whose bind
                # mount's source is gone; both hosts share this file system,
                # so it is removed while the source is frozen, after B created
                # its copy (A's running container keeps its mount).
                os.makedirs(bind_source, exist_ok=True)
                remove_stateful(a)
                tokens = start_stateful(a, big_mb=24, bind_source=bind_source)
            proc = subprocess.Popen(in_ns("a", [roam, "migrate", "stateful", "--source",
                                                f"10.77.0.1:{AGENT_PORT}", "--destination",
                                                f"10.77.0.2:{AGENT_PORT}", "--json", "--mode", "snapshot",
                                                "--certs", certs]),
                                    stdout=subprocess.PIPE, text=True)
            check(wait_paused(a), f"{fault}: the container was frozen")
            if fault == "source killed while frozen":
                agent_a.stop("KILL")
                proc.communicate(timeout=60)
                agent_a.start()  # recovery: frozen, not handed over: resume it
            elif fault == "destination killed while frozen":
                agent_b.stop("KILL")
                out = json.loads(proc.communicate(timeout=60)[0].strip().splitlines()[-1])
                check(proc.returncode != 0, f"{fault}: the migration fails: {out['result']}")
                agent_b.start()  # recovery removes its part
            elif fault == "link cut during the final round":
                run(in_ns("a", ["ip", "link", "set", "rmig-a0", "down"]))
                out = json.loads(proc.communicate(timeout=90)[0].strip().splitlines()[-1])
                check(proc.returncode != 0, f"{fault}: the migration fails: {out['result']}")
                run(in_ns("a", ["ip", "link", "set", "rmig-a0", "up"]))
                run(in_ns("b", ["ip", "link", "set", "rmig-b0", "up"]))
            else:
                os.rmdir(bind_source)
                out = json.loads(proc.communicate(timeout=60)[0].strip().splitlines()[-1])
                check(proc.returncode != 0 and "start" in out["result"],
                      f"{fault}: the migration fails: {out['result']}")
                c = a.container("stateful")
                check(c is not None and c["State"]["Running"] and not c["State"].get("Paused"),
                      f"{fault}: at once the container runs on A again, not frozen")
                os.makedirs(bind_source)  # for A's copy, should it restart
            # One running copy, on A, unfrozen, with its tokens; nothing on B.
            check(wait_running_unpaused(a, 60), f"{fault}: the container runs again on A, not frozen")
            time.sleep(1)
            expect_untouched(fault, a, b, tokens, agents)
            journal_clean(agent_a, f"{fault}, source")
            journal_clean(agent_b, f"{fault}, destination")
        remove_stateful(a)
        tokens = start_stateful(a, big_mb=24)
        agent_a.stop()
        agent_a = Agent(roam, "a", a, certs, work)
        agents[0] = agent_a
        agent_a.start()

        # 3. Success.
        rc, out = migrate(roam, certs, "a", "b", ("--id", "it-success-1"))
        check(rc == 0 and out["result"] == "success", f"migration a -> b succeeds: {out}")
        for key in ("migration_id", "container", "source", "destination", "mode", "bytes_sent", "seconds"):
            check(key in out, f"--json has '{key}'")
        c = b.container("stateful")
        check(c is not None and c["State"]["Running"] and c["Name"] == "/stateful",
              "it runs on B under the same name")
        check(c is not None and c["Config"]["Labels"].get("purpose") == "roam-integration",
              "its labels came along")
        check((http_get("b", "/fs-token"), http_get("b", "/vol-token")) == tokens,
              "B serves the same file-system and volume tokens")
        check(a.container("stateful") is None, "it no longer exists on A")
        check(out["bytes_sent"] < 30 * 1024 * 1024,
              f"only the changes travelled ({out['bytes_sent']} bytes for 24 MiB of new data)")
        rc2, out2 = migrate(roam, certs, "a", "b", ("--id", "it-success-1"))
        check(rc2 == 0 and out2["result"] == "success" and b.container("stateful") is not None,
              "a repeated MIGRATE with the same id answers the same and does not migrate twice")
        rc, out = migrate(roam, certs, "b", "a")
        check(rc == 0 and out["result"] == "success" and a.container("stateful") is not None
              and b.container("stateful") is None, f"and back b -> a: {out['result']}")
        check((http_get("a", "/fs-token"), http_get("a", "/vol-token")) == tokens,
              "after the round trip A serves the same tokens")

        # Graceful shutdown: SIGTERM to the source during a transfer lets it finish.
        run(in_ns("a", ["tc", "qdisc", "replace", "dev", "rmig-a0", "root", "tbf", "rate", "40mbit",
                        "burst", "64kb", "latency", "400ms"]))
        proc = subprocess.Popen(in_ns("a", [roam, "migrate", "stateful", "--source", f"10.77.0.1:{AGENT_PORT}",
                                            "--destination", f"10.77.0.2:{AGENT_PORT}", "--json", "--mode", "snapshot",
                                            "--certs", certs]), stdout=subprocess.PIPE, text=True)
        check(wait_sending(agent_a, 0, phases=None), "SIGTERM: the migration is in flight")
        agent_a.proc.terminate()
        out = json.loads(proc.communicate(timeout=120)[0].strip().splitlines()[-1])
        check(out["result"] == "success" and b.container("stateful") is not None,
              f"a migration in flight when its source gets SIGTERM finishes: {out['result']}")
        # B has the image: only the container's own state travels (the
        # 24 MiB it wrote, compressed), never the image again.
        check(out["bytes_sent"] < 30 * 1024 * 1024,
              f"migrating to a host that has the image sends only the container's state "
              f"({out['bytes_sent']} bytes)")
        check(agent_a.proc.wait(60) == 0, "then the source agent exits 0")
        agent_a.proc = None
        run(in_ns("a", ["tc", "qdisc", "del", "dev", "rmig-a0", "root"]), check_rc=False)
        check((http_get("b", "/fs-token"), http_get("b", "/vol-token")) == tokens,
              "B serves the same tokens after that migration")

        for agent in agents:
            agent.stop()
            check(agent.proc is None, f"agent {agent.host} stops on SIGTERM")
            journal_clean(agent, "end")
    except Exception as e:  # noqa: BLE001 - report and clean up
        failures.append(f"exception: {e}")
        log(f"FAIL: {e}")
    finally:
        if failures:
            for agent in agents:
                log(f"--- agent {agent.host} log tail ---\n{agent.log_text()[-12000:]}")
        teardown(agents, engines, work)
    return exit_status(failures, log)


if __name__ == "__main__":
    sys.exit(main())
