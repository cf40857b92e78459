#!/usr/bin/python3
"""A client's TCP connections to a service survive its checkpoint migration
(docs/redirection.md, "Connections"), with real Docker engines, real agents,
real CRIU (>= 4.2, scripts/install-criu) and real kernels. Run as root:

    tests/integration/connection_survives.py --roam build/roam

Three emulated hosts on one learning switch (a Linux bridge in its own
namespace): a (10.79.0.1) and b (10.79.0.2) each run an experimental Docker
Engine and a `roam agent`; c (10.79.0.3) is the client. The container "svc",
labelled roam.address=10.79.0.100 (host networking), runs two busybox `nc
-ll` servers: port 18090 answers each line with "PID N LINE", N counting the
lines of that connection in a shell variable (the process's memory only);
port 18091 streams "1", "2", ... every 20 ms.

  1. on a: c opens one connection to each port at 10.79.0.100 and exchanges
     data; a reader takes the stream;
  1b. a checkpoint migration that b cannot restore (a process there holds
     port 18090): it fails, a resumes its copy from its own checkpoint and
     holds the address again, c's connections go on there (the same process,
     no reset), no lock table is left, nothing of it on b;
  2. `roam migrate --mode checkpoint` a -> b while the stream flows and c
     sends a line every 20 ms on the counter's connection: on the same
     sockets, without a reset or an end of file, every line is answered by
     the same PID (the same process, restored on b) counting on without a
     gap, and the stream goes on with no gap and no repeat; new connections
     tried one after another meanwhile are never refused (a SYN that finds
     no listener is dropped, not reset, on either host: it is retried); b holds the address, a does not; c
     never saw a reset (its kernel's counters); no nftables table of a lock
     (the agents' roam_hold_*, CRIU's CRIU-*) is left on a or b; the
     listening socket accepts a new connection on b;
  3. `roam migrate --mode snapshot` b -> a: c's old connections end (end of
     file or reset: the processes holding them are gone), and a new
     connection to the same 10.79.0.100:18090 reaches the service, now on a,
     a fresh process (its counter starts at 1 again).
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
SWITCH = "rcon-sw"
HOSTS = {"a": "10.79.0.1", "b": "10.79.0.2", "c": "10.79.0.3"}
SERVICE_IP = "10.79.0.100"
COUNTER_PORT = 18090
STREAM_PORT = 18091
AGENT_PORT = 7070

COUNTER = '#!/bin/sh\nn=0\nwhile read -r line; do n=$((n+1)); echo "$$ $n $line"; done\n'
STREAM = '#!/bin/sh\ni=0\nwhile :; do i=$((i+1)); echo $i; sleep 0.02; done\n'
SERVICE = (f"printf '%s' '{COUNTER}' > /tmp/counter && printf '%s' '{STREAM}' > /tmp/stream && "
           f"chmod +x /tmp/counter /tmp/stream && "
           f"(nc -ll -p {STREAM_PORT} -e /tmp/stream &) && exec nc -ll -p {COUNTER_PORT} -e /tmp/counter")

# The client, run in c's namespace: one process holds both connections and
# takes commands on stdin ("ask TEXT", "count", "new", "quit"), answering one
# JSON line each; a thread reads the stream and records what it sees.
CLIENT = r'''
import json, socket, sys, threading, time
ip, cport, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def connect(port):
    s = socket.create_connection((ip, port), timeout=5)
    s.settimeout(60)
    return s
counter = connect(cport)
cfile = counter.makefile("rwb")
stream = connect(sport)
seen = {"values": [], "end": None, "times": []}
def read_stream():
    buf = b""
    try:
        while True:
            data = stream.recv(4096)
            if not data:
                seen["end"] = "end of file"
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                seen["values"].append(int(line))
                seen["times"].append(time.time())
    except Exception as e:
        seen["end"] = f"{type(e).__name__}: {e}"
threading.Thread(target=read_stream, daemon=True).start()
ticks = {"run": False, "answers": [], "error": None}
def tick():
    # Sends a line every 20 ms on the counter's connection and reads each
    # answer: c sends data while the socket is in flight.
    k = 0
    while ticks["run"]:
        k += 1
        out = ask(cfile, f"tick-{k}")
        if "error" in out:
            ticks["error"] = out["error"]
            return
        ticks["answers"].append(out["answer"])
        time.sleep(0.02)
ticker = None
dials = {"run": False, "outcomes": []}
def dial():
    # New connections to the counter's port one after another: each is
    # answered ("ok"), refused (a reset came back) or times out.
    while dials["run"]:
        try:
            s = socket.create_connection((ip, cport), timeout=5)
            f = s.makefile("rwb")
            out = ask(f, "dial")
            dials["outcomes"].append("ok" if "answer" in out else out["error"])
            s.close()
        except ConnectionRefusedError:
            dials["outcomes"].append("refused")
        except Exception as e:
            dials["outcomes"].append(f"{type(e).__name__}")
        time.sleep(0.02)
dialer = None
def ask(f, text):
    try:
        f.write((text + "\n").encode()); f.flush()
        line = f.readline()
        return {"answer": line.decode().strip()} if line else {"error": "end of file"}
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}
for command in sys.stdin:
    verb, _, arg = command.strip().partition(" ")
    if verb == "ask":
        out = ask(cfile, arg)
    elif verb == "count":
        v = seen["values"]
        gaps = [(a, b) for a, b in zip(v, v[1:]) if b != a + 1]
        # The longest pause between two values since ARG (a time.time()):
        # the freeze as the client saw it.
        t = [x for x in seen["times"] if x >= float(arg or 0)]
        pause = max([b - a for a, b in zip(t, t[1:])] or [0])
        out = {"n": len(v), "first": v[0] if v else None, "last": v[-1] if v else None,
               "gaps": gaps[:5], "end": seen["end"], "pause": pause}
    elif verb == "start-ticks":
        ticks["run"] = True
        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        out = {}
    elif verb == "stop-ticks":
        ticks["run"] = False
        ticker.join(70)
        out = {"answers": ticks["answers"], "error": ticks["error"]}
    elif verb == "start-dials":
        dials["run"] = True
        dialer = threading.Thread(target=dial, daemon=True)
        dialer.start()
        out = {}
    elif verb == "stop-dials":
        dials["run"] = False
        dialer.join(70)
        out = {"outcomes": dials["outcomes"]}
    elif verb == "new":
        try:
            s = connect(cport)
            out = ask(s.makefile("rwb"), arg)
            s.close()
        except Exception as e:
            out = {"error": f"{type(e).__name__}: {e}"}
    else:
        break
    print(json.dumps(out), flush=True)
'''

# Lists the nftables tables of the namespace it runs in through libnftables
# (no nft CLI on these machines), one per line.
LIST_TABLES = r'''
import ctypes
nft = ctypes.CDLL("libnftables.so.1")
nft.nft_ctx_new.restype = ctypes.c_void_p
nft.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
nft.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
nft.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
nft.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
ctx = nft.nft_ctx_new(0)
nft.nft_ctx_buffer_output(ctx)
if nft.nft_run_cmd_from_buffer(ctx, b"list tables") != 0:
    raise SystemExit("list tables failed")
print(nft.nft_ctx_get_output_buffer(ctx).decode(), end="")
'''

failures = []


def log(msg):
    print(f"[connection-survives {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def check(condition, what):
    log(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def ns(host):
    return f"rcon-{host}"


def in_ns(host, cmd):
    return ["nsenter", f"--net=/var/run/netns/{ns(host)}"] + cmd


def holds(host):
    r = run(["ip", "-n", ns(host), "-o", "-4", "addr", "show", "to", SERVICE_IP + "/32"],
            check_rc=False)
    return SERVICE_IP in r.stdout


def lock_tables(host):
    """The tables of CRIU's or the agent's connection lock in HOST's namespace."""
    r = run(in_ns(host, ["/usr/bin/python3", "-c", LIST_TABLES]))
    return [t for t in r.stdout.split("\n") if "CRIU-" in t or "roam_hold" in t]


def client_resets():
    """How many established connections of c a reset closed (the kernel's
    Tcp EstabResets counter in c's namespace)."""
    r = run(in_ns("c", ["cat", "/proc/net/snmp"]))
    lines = [line.split() for line in r.stdout.splitlines() if line.startswith("Tcp:")]
    fields = dict(zip(lines[0][1:], lines[1][1:]))
    # EstabResets: established connections that went to CLOSED by a RST.
    return int(fields["EstabResets"])


class Agent:
    def __init__(self, roam, host, engine, certs, work):
        self.host = host
        self.config = os.path.join(work, f"agent-{host}.json")
        with open(self.config, "w") as f:
            json.dump({"name": host, "listen": f"{HOSTS[host]}:{AGENT_PORT}",
                       "docker": f"unix://{engine.sock}", "certs": certs,
                       "data_dir": os.path.join(work, f"agent-{host}"), "idle_timeout_s": 4}, f)
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


class HoldDefeater:
    """--defeat-hold: deletes every roam_hold_* table on the given hosts every
    few milliseconds until stopped."""
    SCRIPT = LIST_TABLES.replace('print(nft.nft_ctx_get_output_buffer(ctx).decode(), end="")', """
import time
while True:
    nft.nft_run_cmd_from_buffer(ctx, b"list tables inet")
    for line in nft.nft_ctx_get_output_buffer(ctx).decode().split("\\n"):
        if "roam_hold_" in line:
            nft.nft_run_cmd_from_buffer(ctx, ("delete " + line.strip()).encode())
            print("deleted", line.strip(), time.time(), flush=True)
    time.sleep(0.002)
""")

    def __init__(self, hosts):
        self.hosts = hosts
        self.procs = [subprocess.Popen(in_ns(h, ["/usr/bin/python3", "-c", self.SCRIPT]),
                                       stdout=subprocess.PIPE, text=True) for h in hosts]

    def stop(self):
        for host, proc in zip(self.hosts, self.procs):
            proc.kill()
            log(f"defeat-hold on {host}: {proc.communicate()[0].strip() or 'nothing deleted'}")


class Client:
    """The client process in c's namespace (CLIENT above)."""

    def __init__(self):
        self.proc = subprocess.Popen(
            in_ns("c", ["/usr/bin/python3", "-c", CLIENT, SERVICE_IP, str(COUNTER_PORT),
                        str(STREAM_PORT)]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def do(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the client died: {self.proc.stderr.read()[-2000:]}")
        return json.loads(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def migrate(roam, certs, src, dst, mode):
    r = run(in_ns(src, [roam, "migrate", "svc", "--source", f"{HOSTS[src]}:{AGENT_PORT}",
                        "--destination", f"{HOSTS[dst]}:{AGENT_PORT}", "--mode", mode, "--json",
                        "--certs", certs, "--identity", "cli"]), check_rc=False, timeout=120)
    try:
        return r.returncode, json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return r.returncode, {"result": f"no JSON: {r.stdout} {r.stderr}"}


def parse(answer):
    """("PID", N, "LINE") from the counter's answer, or None."""
    parts = (answer.get("answer") or "").split(" ", 2)
    if len(parts) == 3 and parts[1].isdigit():
        return parts[0], int(parts[1]), parts[2]
    return None


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
    ap.add_argument("--defeat-hold", metavar="HOSTS", default="",
                    help="an experiment, not a test: delete the agents' holds (roam_hold_* "
                         "tables) on HOSTS (a, b or a,b) as soon as they appear, to see what "
                         "they prevent")
    args = ap.parse_args()
    roam = os.path.abspath(args.roam)
    work = tempfile.mkdtemp(prefix="roam-connection-it-")
    os.chmod(work, 0o755)
    agents, client = [], None
    t0 = time.time()
    try:
        teardown([], "/nonexistent")  # leftovers of an interrupted run
        bridge_hosts.make_network("rcon", HOSTS)
        engines = bridge_hosts.start_engines("rcon", ("a", "b"), IMAGE)
        log(f"engines up, image built ({time.time() - t0:.1f} s)")
        certs = os.path.join(work, "certs")
        run([roam, "certs", "init", certs])
        for host in ("a", "b"):
            run([roam, "certs", "issue", certs, host, "--ip", HOSTS[host]])
        run([roam, "certs", "issue", certs, "cli"])
        agents.append(Agent(roam, "a", engines["a"], certs, work))
        agents.append(Agent(roam, "b", engines["b"], certs, work))

        # 1. On a: connections open, data exchanged.
        engines["a"].run_container("svc", IMAGE, ["sh", "-c", SERVICE],
                                   labels={"roam.address": SERVICE_IP,
                                           "purpose": "roam-integration"})
        check(wait_until(lambda: holds("a"), 10, 0.2), f"a claims {SERVICE_IP} for svc")

        def reachable():
            r = run(in_ns("c", ["/usr/bin/python3", "-c",
                                "import socket,sys; socket.create_connection("
                                f"('{SERVICE_IP}', {STREAM_PORT}), timeout=1).close()"]),
                    check_rc=False)
            return r.returncode == 0
        check(wait_until(reachable, 10, 0.2), "the service listens on a")
        client = Client()
        answers = [parse(client.do(f"ask before-{i}")) for i in range(1, 4)]
        check(all(answers) and [a[1] for a in answers] == [1, 2, 3],
              f"c's connection to {SERVICE_IP}:{COUNTER_PORT} counts 1, 2, 3: {answers}")
        pid = answers[-1][0] if answers[-1] else None
        got = wait_until(lambda: client.do("count")["n"] > 20, 5, 0.1)
        check(bool(got), f"c receives the stream from {SERVICE_IP}:{STREAM_PORT}")
        resets_before = client_resets()

        # 1b. b cannot restore (a process there holds the counter's port, so
        # CRIU cannot bind the restored listening socket): a resumes its
        # copy from its own checkpoint, address first, and c's connections
        # go on there.
        blocker = subprocess.Popen(in_ns("b", [
            "/usr/bin/python3", "-c",
            "import socket,time; s=socket.socket(); "
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            f"s.bind(('0.0.0.0', {COUNTER_PORT})); s.listen(); time.sleep(120)"]))
        try:
            time.sleep(0.5)
            since = time.time()
            rc, out = migrate(roam, certs, "a", "b", "checkpoint")
        finally:
            blocker.kill()
            blocker.wait()
        check(rc != 0 and "restore" in out.get("result", ""),
              f"failure: b cannot restore, the migration fails: {out.get('result', '')[:200]}")
        check(holds("a") and not holds("b"), "failure: a holds the address again, b does not")
        resumed = parse(client.do("ask after-failure"))
        check(resumed is not None and resumed[0] == pid and resumed[1] == 4,
              f"failure: the same connection answers on a, the same process counting on from 3 "
              f"to 4: {resumed}")
        time.sleep(0.5)
        stream = client.do(f"count {since}")
        check(stream["end"] is None and not stream["gaps"],
              f"failure: the stream connection did not end, no gap (longest pause "
              f"{stream['pause'] * 1000:.0f} ms)")
        check(client_resets() == resets_before, "failure: c's kernel counted no reset")
        for host in ("a", "b"):
            check(not lock_tables(host), f"failure: no lock table on {host}: {lock_tables(host)}")
        check(engines["b"].container("svc") is None, "failure: nothing is left on b")

        # 2. Checkpoint migration a -> b while the stream flows and c sends.
        before = client.do("count")
        since = time.time()
        client.do("start-ticks")
        client.do("start-dials")
        time.sleep(0.3)
        defeat = HoldDefeater(args.defeat_hold.split(",")) if args.defeat_hold else None
        rc, out = migrate(roam, certs, "a", "b", "checkpoint")
        if defeat:
            defeat.stop()
        time.sleep(1.0)
        ticks = client.do("stop-ticks")
        dials = client.do("stop-dials")["outcomes"]
        check(dials and "refused" not in dials and dials[-1] == "ok",
              f"new connections during the migration: none refused, the last answered "
              f"({len(dials)}: {dials.count('ok')} answered, {dials.count('refused')} refused, "
              f"others {[d for d in dials if d not in ('ok', 'refused')]})")
        tick_answers = [parse({"answer": a}) for a in ticks["answers"]]
        counts = [a[1] for a in tick_answers if a]
        check(ticks["error"] is None and counts == list(range(5, 5 + len(counts))) and
              len(counts) > 10 and all(a and a[0] == pid for a in tick_answers),
              f"c sent a line every 20 ms through the migration on the same connection: "
              f"{len(counts)} answers, counting {counts[:1]}..{counts[-1:]} from the same PID, "
              f"error {ticks['error']}")
        n = counts[-1] if counts else 4
        check(rc == 0 and out.get("result") == "success" and out.get("mode") == "checkpoint",
              f"checkpoint migration a -> b succeeds: {out.get('result')} (mode "
              f"{out.get('mode')}, freeze {out.get('freeze_ms')} ms, split "
              f"{out.get('freeze_split_ms')})")
        split = out.get("freeze_split_ms") or {}
        parts = [split.get(k, 0) for k in ("dump", "transfer", "restore", "redirect")]
        check(all(p > 0 for p in parts) and
              abs(sum(parts) - out.get("freeze_ms", 0)) <= 0.01 * out.get("freeze_ms", 0) + 1,
              f"the freeze splits into dump, transfer, restore and the address's move to b "
              f"(redirect), which add up to it: {split}, freeze {out.get('freeze_ms')} ms")
        after = parse(client.do("ask after-1"))
        check(after is not None and after[0] == pid and after[1] == n + 1,
              f"the same connection answers on b: the same process (PID {pid}) counts on "
              f"from {n} to {n + 1}: {after}")
        stream = client.do(f"count {since}")
        check(stream["end"] is None, f"the stream connection did not end: {stream['end']}")
        check(stream["last"] is not None and stream["last"] > before["last"] + 20,
              f"the stream goes on after the migration ({before['last']} before, "
              f"{stream['last']} now)")
        check(stream["first"] == 1 and not stream["gaps"],
              f"no gap and no repeat in the stream: first {stream['first']}, gaps "
              f"{stream['gaps']}")
        log(f"the longest pause c saw in the stream during the migration: "
            f"{stream['pause'] * 1000:.0f} ms")
        check(client_resets() == resets_before,
              f"c's kernel counted no reset of an established connection "
              f"({resets_before} before, {client_resets()} after)")
        check(holds("b") and not holds("a"), "b holds the address, a no longer does")
        check(engines["a"].container("svc") is None and engines["b"].running("svc"),
              "svc runs on b only")
        for host in ("a", "b"):
            left = wait_until(lambda h=host: not lock_tables(h), 5, 0.2)
            check(bool(left), f"no lock table is left on {host}: {lock_tables(host)}")
        fresh = parse(client.do("new hello"))
        check(fresh is not None and fresh[1] == 1,
              f"the restored listening socket on b accepts a new connection: {fresh}")

        # 3. Snapshot migration b -> a: the connections break, a new one works.
        resets_before = client_resets()
        rc, out = migrate(roam, certs, "b", "a", "snapshot")
        check(rc == 0 and out.get("result") == "success" and out.get("mode") == "snapshot",
              f"snapshot migration b -> a succeeds: {out.get('result')} (mode {out.get('mode')})")
        old = client.do("ask old-connection")
        check("error" in old, f"snapshot: the old connection is broken: {old}")
        ended = wait_until(lambda: client.do("count")["end"], 5, 0.2)
        check(bool(ended), f"snapshot: the stream connection ended: {ended}")
        log(f"snapshot: c's kernel counted {client_resets() - resets_before} reset(s)")
        fresh = None
        deadline = time.time() + 10
        while time.time() < deadline:
            fresh = client.do("new hello-again")
            if parse(fresh):
                break
            time.sleep(0.2)
        fresh = parse(fresh)
        check(fresh is not None and fresh[1] == 1,
              f"snapshot: a new connection to {SERVICE_IP}:{COUNTER_PORT} reaches the service "
              f"on a, a fresh process (its counter starts at 1): {fresh}")
        check(holds("a") and not holds("b"), "snapshot: a holds the address, b no longer does")
        for host in ("a", "b"):
            check(not lock_tables(host), f"snapshot: no lock table on {host}")
        log(f"done in {time.time() - t0:.1f} s")
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        failures.append(f"exception: {e}")
        log(f"exception: {e}")
    finally:
        if failures:
            for agent in agents:
                log(f"agent {agent.host} log tail:\n{open(agent.log_path).read()[-2500:]}")
        if client:
            client.stop()
        teardown(agents, work)
    return exit_status(failures, log)


if __name__ == "__main__":
    sys.exit(main())
