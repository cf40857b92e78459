#!/usr/bin/python3
"""Integration test of checkpoint migration (issue 16) on real engines with
real CRIU (>= 4.2, scripts/install-criu). Run as root:

    tests/integration/checkpoint_migration.py --roam build/roam

The hosts of tests/integration/agent_migration.py (namespaces rmig-a and
rmig-b joined by a veth, an experimental dockerd and an agent in each). The
container `stateful` keeps a counter only in a shell variable, writes it to
its volume every 100 ms (/data/count) and serves /www with busybox httpd on
port 18080 of its host.

  1. the agents' start-up probe reports checkpoint available (STATUS);
  2. faults, each ending with one running copy on A whose counter goes on
     from its value (A runs it again from its own checkpoint) and nothing of
     it on B: B cannot restore it (a process in B's namespace holds port 18080,
     so CRIU cannot bind the restored listening socket); the link cut while
     it is checkpointed; the source agent killed then (start-up recovery);
  3. `roam migrate --mode auto` (both ends can: checkpoint): on B the counter goes on from its
     value (not from 0), httpd's listening socket keeps accepting, A no longer
     has it, and the result splits the freeze (dump, transfer, restore) and
     counts the memory bytes.
Everything the run creates is removed at the end, also on failure.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_migration as am  # noqa: E402

COUNT_SCRIPT = ("i=0; (while :; do i=$((i+1)); echo $i > /data/count; sleep 0.1; done) & "
                f"exec httpd -f -p {am.HTTP_PORT} -h /www")


def log(msg):
    print(f"[checkpoint-migration] {msg}", flush=True)


def count_on(engine):
    """The counter the container last wrote into its volume on ENGINE, or None."""
    c = engine.container("stateful")
    if c is None:
        return None
    for m in c.get("Mounts", []):
        if m.get("Destination") == "/data":
            text = am.read_text(os.path.join(m["Source"], "count")).strip()
            return int(text) if text.isdigit() else None
    return None


def wait_count_above(engine, floor, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        n = count_on(engine)
        if n is not None and n > floor:
            return n
        time.sleep(0.1)
    return count_on(engine)


def counts_for(engine, seconds=1.5):
    """Every counter value seen on ENGINE for SECONDS (every 50 ms). A process
    started afresh would write 1, 2, 3, ... within them."""
    seen = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        n = count_on(engine)
        if n is not None:
            seen.append(n)
        time.sleep(0.05)
    return seen


def continues(engine, before, where):
    """The counter on ENGINE goes on from BEFORE: it rises, never below it."""
    seen = counts_for(engine)
    am.check(seen and min(seen) >= before and max(seen) > before,
             f"{where} the counter went on from its value {before}, not from 0 "
             f"(seen {seen[:1]}..{seen[-1:]}, lowest {min(seen) if seen else None})")


def wait_stopped(engine, timeout=30):
    """Until the container on ENGINE exists and is stopped (CRIU dumped it)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = engine.container("stateful")
        if c is not None and not c["State"]["Running"]:
            return True
        time.sleep(0.05)
    return False


def wait_running(engine, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = engine.container("stateful")
        if c is not None and c["State"]["Running"]:
            return True
        time.sleep(0.1)
    return False


def start_counter(engine):
    engine.run_container("stateful", am.IMAGE, ["sh", "-c", COUNT_SCRIPT],
                         labels={"purpose": "roam-integration"},
                         mounts=[{"Type": "volume", "Source": "statevol", "Target": "/data"}])
    # Long enough that a fresh start (from 0) could not catch up in the test.
    n = wait_count_above(engine, 30)
    if n is None or n <= 30:
        raise RuntimeError("the counter does not count")
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--roam", required=True)
    args = ap.parse_args()
    roam = os.path.abspath(args.roam)
    work = tempfile.mkdtemp(prefix="roam-checkpoint-it-")
    os.chmod(work, 0o755)
    agents, engines = [], []
    blocker = None
    try:
        a, b, certs = am.bring_up(roam, work, engines, agents)

        # 1. The probe.
        for host in ("a", "b"):
            r = am.roam_client(roam, certs, host, ["status", f"{am.HOSTS[host][1]}:{am.AGENT_PORT}"])
            am.check('"checkpoint":true' in r.stdout.replace(" ", "").replace("\n", ""),
                     f"agent {host} reports checkpoint available: {r.stdout.strip()[:300]}")

        # 2. B cannot restore: its port is taken.
        start_counter(a)
        blocker = subprocess.Popen(am.in_ns("b", [
            "/usr/bin/python3", "-c",
            "import socket,time; s=socket.socket(); "
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            f"s.bind(('0.0.0.0', {am.HTTP_PORT})); s.listen(); time.sleep(120)"]))
        time.sleep(0.5)
        before = count_on(a)
        rc, out = am.migrate(roam, certs, "a", "b", ["--mode", "checkpoint"])
        am.check(rc != 0 and "restore" in out["result"],
                 f"a restore failing on B fails the migration: {out['result'][:300]}")
        c = a.container("stateful")
        am.check(c is not None and c["State"]["Running"], "the container runs on A again")
        continues(a, before, "on A")
        am.check(b.container("stateful") is None, "no container left on B")
        am.check("statevol" not in b.volumes(), "no volume left on B")
        blocker.kill()
        blocker.wait()
        blocker = None

        # 2b/2c. The link cut while it is checkpointed (before the hand-over),
        # and the source agent killed then: A runs it again from its own
        # checkpoint, its counter going on; B holds nothing.
        agents[0].stop()
        agents[0] = am.Agent(roam, "a", a, certs, work, {"test_hold_frozen_ms": 3000})
        agents[0].start()
        for fault in ("link cut while checkpointed", "source killed while checkpointed"):
            proc = subprocess.Popen(am.in_ns("a", [
                roam, "migrate", "stateful", "--source", f"{am.HOSTS['a'][1]}:{am.AGENT_PORT}",
                "--destination", f"{am.HOSTS['b'][1]}:{am.AGENT_PORT}", "--mode", "checkpoint",
                "--json", "--certs", certs]), stdout=subprocess.PIPE, text=True)
            dumped = wait_stopped(a)
            am.check(dumped, f"{fault}: CRIU's dump stopped the container on A")
            before = count_on(a)
            if fault.startswith("link"):
                # The images and CHECKPOINT may sit in A's socket buffer: A
                # then counts as handed over and asks B until B answers. B's
                # idle timeout (4 s) gives the migration up; then the link
                # comes back and B answers FAILURE.
                am.run(am.in_ns("a", ["ip", "link", "set", "rmig-a0", "down"]))
                time.sleep(8)
                am.run(am.in_ns("a", ["ip", "link", "set", "rmig-a0", "up"]))
                am.run(am.in_ns("b", ["ip", "link", "set", "rmig-b0", "up"]))
                proc.communicate(timeout=60)
                am.check(proc.returncode != 0, f"{fault}: the migration fails")
            else:
                agents[0].stop("KILL")
                proc.communicate(timeout=60)
                agents[0].start()  # recovery: checkpointed, not handed over
            c = wait_running(a, 30)
            am.check(c, f"{fault}: the container runs on A again")
            continues(a, before, f"{fault}: on A")
            deadline = time.time() + 20
            while time.time() < deadline and b.container("stateful") is not None:
                time.sleep(0.2)
            am.check(b.container("stateful") is None, f"{fault}: no container left on B")
        agents[0].stop()
        agents[0] = am.Agent(roam, "a", a, certs, work)
        agents[0].start()

        # 3. Success.
        before = count_on(a)
        # `auto`: both ends can checkpoint, so checkpoint it is.
        rc, out = am.migrate(roam, certs, "a", "b", ["--mode", "auto"])
        am.check(rc == 0 and out.get("result") == "success", f"checkpoint migration succeeds: {out}")
        am.check(out.get("mode") == "checkpoint", "auto chose checkpoint mode, and the result says so")
        split = out.get("freeze_split_ms", {})
        am.check(all(split.get(k, 0) > 0 for k in ("dump", "transfer", "restore")),
                 f"the freeze is split into dump, transfer and restore: {split}")
        am.check(out.get("memory_bytes", 0) > 0, f"memory bytes moved: {out.get('memory_bytes')}")
        continues(b, before, "on B")
        am.check(a.container("stateful") is None, "A no longer has it")
        body = None
        for _ in range(30):
            body = am.run(am.in_ns("b", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-m",
                                         "3", f"http://{am.HOSTS['b'][1]}:{am.HTTP_PORT}/"]),
                          check_rc=False).stdout.strip()
            if body and body != "000":
                break
            time.sleep(0.2)
        am.check(body not in (None, "", "000"),
                 f"httpd's restored listening socket accepts on B (HTTP {body})")
    except Exception as e:  # noqa: BLE001 - reported as a failure
        am.check(False, f"exception: {e}")
    finally:
        if blocker:
            blocker.kill()
            blocker.wait()
        for agent in agents:
            if am.failures:
                log(f"agent {agent.host} log tail:\n{agent.log_text()[-3000:]}")
        am.teardown(agents, engines, work)
    if am.failures:
        log(f"{len(am.failures)} check(s) failed")
        return 1
    log("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
