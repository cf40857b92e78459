#!/usr/bin/python3
"""Migration that loses nothing, seen from outside (issue 15). Run as root:

    tests/integration/lossless_migration.py --roam build/roam [--migrations 3]

The hosts of tests/integration/agent_migration.py (whose helpers this reuses):
namespaces rmig-a (10.77.0.1) and rmig-b (10.77.0.2) joined by a veth pair,
a Docker Engine and a roam agent in each. The container `stateful`
(roam/busybox:1, host networking, so each host serves at its own address):

  - every ~20 ms appends the line "N BOOT" to /data/log (the named volume
    statevol), then writes N to /www/counter in its own file system (atomically:
    a temporary file renamed). BOOT is random per start, so a line tells who
    wrote it;
  - at start records "BOOT c=C v=V" in /data/starts (C the file-system counter,
    V the volume's last number) and resumes from C (or from V when V = C + 1:
    stopped between the two writes of one step);
  - serves /www with busybox httpd on port 18080 (so /counter is its counter).

A poller (this script with --poll, inside rmig-a) asks both hosts for
/counter every 10 ms, each host in its own thread, and records when each
answer came and what it said. Then `roam migrate --json` moves the container
A -> B, B -> A, A -> B. Around each migration the test keeps the source's
/data/log open from the host (the volume's mount point on the source engine),
so it reads every line the source wrote even after the source copy is
removed, and checks:

  (a) every line the source wrote is on the destination's volume, in order;
      on the destination the numbers run without duplicates or gaps, and the
      first line after the restart is the source's last number + 1;
  (b) the destination's file system and volume come from the same instant: at
      its start the counter C equals the volume's last number V (or V - 1);
  (c) the two hosts never both answered: any answer of the source to a
      request sent after the destination's first answer arrived is double
      serving (its length reported),
      and the client-visible gap from the source's last answer to the
      destination's first;
  (d) afterwards the container runs on the destination only and the source
      no longer answers;
  (e) the result is "success"; seconds, and freeze_ms and rounds when the
      agents report them, are printed.

A summary table ends the output; each failure names what was lost (e.g.
"A->B: lines 812-1034 written by the source missing on the destination").
Everything it creates is removed at the end, also on failure.

--reference migrates by hand instead (pause, export and import the file
system, copy the volume, start the copy, remove the source) to show that the
checks pass when a migration loses nothing.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import agent_migration as tb  # noqa: E402  (also puts testbed/lib on the path)
from checking import exit_status, wait_until  # noqa: E402

HTTP_PORT = tb.HTTP_PORT
NAME = "stateful"
VOLUME = "statevol"
POLL_PERIOD = 0.010
POLL_TIMEOUT = 0.3
SOURCE_GONE_TIMEOUT = 30.0

# The container's program. Its only state is in /www/counter (file system)
# and /data (volume); it writes the volume first, then the counter.
APP = (
    "boot=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \\n'); "
    "c=$(cat /www/counter 2>/dev/null); c=${c:-0}; "
    "v=$(tail -n 1 /data/log 2>/dev/null | cut -d' ' -f1); v=${v:-0}; "
    "echo \"$boot c=$c v=$v\" >> /data/starts; "
    "i=$c; [ \"$v\" = \"$((c + 1))\" ] && i=$v; "
    f"httpd -p {HTTP_PORT} -h /www; "
    "while :; do i=$((i + 1)); echo \"$i $boot\" >> /data/log; "
    "echo $i > /www/counter.new; mv /www/counter.new /www/counter; sleep 0.02; done"
)

failures = []


def log(msg):
    print(f"[lossless-migration] {msg}", flush=True)


def fail(what):
    log(f"FAIL: {what}")
    failures.append(what)


# ---------------------------------------------------------------- poller

def poll(addresses, out_path, stop_path):
    """--poll: GET /counter from each address every POLL_PERIOD until
    stop_path exists; one JSON line per attempt: host, sent, t (answer
    time), status ("200", "404", ... or an error), body."""
    out = open(out_path, "a", buffering=1)
    lock = threading.Lock()

    def one(host, addr):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(POLL_TIMEOUT)
        try:
            s.connect((addr, HTTP_PORT))
            s.sendall(b"GET /counter HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            parts = head.split(b" ", 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
                return "bad answer", data[:60].decode("latin-1")
            return parts[1].decode(), body.decode("latin-1").strip()
        except OSError as e:
            return type(e).__name__, ""
        finally:
            s.close()

    def loop(host, addr):
        next_t = time.time()
        while not os.path.exists(stop_path):
            sent = time.time()
            status, body = one(host, addr)
            t = time.time()
            with lock:
                out.write(json.dumps({"host": host, "sent": sent, "t": t, "status": status,
                                      "body": body}) + "\n")
            next_t = max(next_t + POLL_PERIOD, t)
            time.sleep(max(0.0, next_t - time.time()))

    threads = [threading.Thread(target=loop, args=(h, a)) for h, a in addresses.items()]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return 0


def read_polls(path):
    polls = []
    for line in tb.read_text(path).splitlines():
        try:
            polls.append(json.loads(line))
        except ValueError:
            pass  # a line still being written
    return polls


# ---------------------------------------------------------------- helpers

def parse_log(text):
    """[(number, boot)] of the complete lines of a /data/log text."""
    lines = []
    for line in text.split("\n")[:-1] if not text.endswith("\n") else text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            lines.append((int(parts[0]), parts[1]))
    return lines


def ranges(numbers):
    """'3-5, 9' for [3, 4, 5, 9]."""
    numbers = sorted(set(numbers))
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)


def volume_log_path(engine):
    status, doc = engine.api("GET", f"/volumes/{VOLUME}")
    if status != 200:
        raise RuntimeError(f"{engine.host}: no volume {VOLUME}: {status} {doc}")
    return os.path.join(doc["Mountpoint"], "log")


def container_text(engine, path):
    code, out = engine.exec(NAME, ["cat", path])
    if code != 0:
        raise RuntimeError(f"{engine.host}: cat {path} in {NAME} failed ({code}): {out.strip()}")
    return out



def answers(polls, host, since, until):
    return [p for p in polls if p["host"] == host and since <= p["t"] <= until
            and p["status"].isdigit()]


# ---------------------------------------------------------------- checks

def check_lines(label, src_lines, dst_lines, src_boot, dst_start):
    """(a): the source's lines on the destination, then the destination's
    numbering. Returns the row's fields and appends failures."""
    row = {"source_lines": len(src_lines), "missing": 0, "duplicates": 0, "gaps": 0}
    dst_set = set(dst_lines)
    missing = [n for n, b in src_lines if (n, b) not in dst_set]
    if missing:
        row["missing"] = len(missing)
        fail(f"{label}: lines {ranges(missing)} written by the source missing on the destination"
             f" ({len(missing)} lines)")
    elif dst_lines[:len(src_lines)] != src_lines:
        fail(f"{label}: the source's lines are on the destination but not in the source's order")
    # This migration's part of the destination's log: from the source copy's
    # first line on (the join before it was checked by the migration that
    # started that copy).
    first = next((i for i, (_, b) in enumerate(dst_lines) if b == src_boot), None)
    if first is None:
        src_set = set(src_lines)
        first = max((i + 1 for i, line in enumerate(dst_lines) if line in src_set), default=0)
    window = dst_lines[first:]
    dups, gaps = [], []
    top = window[0][0] if window else 0
    for n, _ in window[1:]:
        if n <= top:
            dups.append(n)
        elif n != top + 1:
            gaps.extend(range(top + 1, n))
        top = max(top, n)
    if dups:
        row["duplicates"] = len(dups)
        fail(f"{label}: line numbers {ranges(dups)} written twice on the destination"
             f" (the restarted copy wrote numbers that were already there)")
    if gaps:
        row["gaps"] = len(gaps)
        fail(f"{label}: line numbers {ranges(gaps)} never written on the destination (a gap)")
    restart = next((i for i, (_, b) in enumerate(dst_lines) if b == dst_start["boot"]), None)
    if restart is None:
        fail(f"{label}: the destination copy (boot {dst_start['boot']}) wrote no line")
    elif src_lines:
        last_src = src_lines[-1][0]
        first_dst = dst_lines[restart][0]
        row["resumed_at"] = first_dst
        if first_dst != last_src + 1:
            fail(f"{label}: the destination's first line is {first_dst}, the source's last was"
                 f" {last_src} (expected {last_src + 1})")
    return row


def check_counter(label, start):
    """(b): at the destination's start, file-system counter C against the
    volume's last number V (V - 1 <= C <= V)."""
    c, v = start["c"], start["v"]
    if c == v or c == v - 1:
        return "same"
    if c < v:
        fail(f"{label}: the file-system counter resumed at {c} but the volume holds up to {v}:"
             f" the file system is {v - c} writes older than the volume")
        return f"fs -{v - c}"
    fail(f"{label}: the file-system counter is {c} but the volume holds only up to {v}:"
         f" the volume is {c - v} writes older than the file system")
    return f"fs +{c - v}"


def check_serving(label, polls, src, dst, since, until):
    """(c): double serving and the client-visible gap, from the poller."""
    # The source's last answer may precede the migration's start by a poll.
    src_answers = answers(polls, src, since - 2.0, until)
    dst_answers = answers(polls, dst, since, until)
    row = {"double_ms": None, "gap_ms": None, "late_source_answers": 0}
    if not dst_answers:
        fail(f"{label}: the destination never answered HTTP")
        return row
    first_dst = dst_answers[0]["t"]
    # Double serving: the source answered a request sent after the
    # destination had answered. A request sent before that may be answered
    # (and its answer read) a little later: it was served before the freeze,
    # as its counter shows.
    late = [p for p in src_answers if p["sent"] > first_dst]
    row["late_source_answers"] = len(late)
    if late:
        row["double_ms"] = (late[-1]["t"] - first_dst) * 1000
        fail(f"{label}: both hosts answered for {row['double_ms']:.0f} ms ({len(late)} answers of"
             f" the source after the destination's first; last source counter"
             f" {late[-1]['body']!r}, first destination counter {dst_answers[0]['body']!r})")
    else:
        row["double_ms"] = 0.0
        before = [p for p in src_answers if p["t"] <= first_dst]
        if before:
            row["gap_ms"] = (first_dst - before[-1]["t"]) * 1000
    return row


# ---------------------------------------------------------------- one migration

def reference_migrate(src, dst):
    """--reference: a migration that loses nothing, made by hand through
    the Engine API (not roam): pause the source, export its file system and
    copy its volume, create and start the copy on the destination, then
    remove the frozen source. It checks that the checks pass when nothing
    is lost; (rc, result) as tb.migrate gives them."""
    t0 = time.time()
    if src.api("POST", f"/containers/{NAME}/pause")[0] != 204:
        return 1, {"result": "reference: pause failed"}
    frozen = time.time()
    doc = src.container(NAME)
    tar = subprocess.run(["curl", "-sf", "--unix-socket", src.sock,
                          f"http://docker/v1.41/containers/{NAME}/export"], capture_output=True).stdout
    r = subprocess.run(["curl", "-sf", "--unix-socket", dst.sock, "-X", "POST", "-H",
                        "Content-Type: application/x-tar", "--data-binary", "@-",
                        "http://docker/v1.41/images/create?fromSrc=-&repo=roam-reference&tag=1"],
                       input=tar, capture_output=True)
    if r.returncode != 0 or b'"error"' in r.stdout:
        return 1, {"result": f"reference: import failed: {r.stdout[-300:]!r}"}
    dst.api("POST", "/volumes/create", {"Name": VOLUME})
    src_dir = os.path.dirname(volume_log_path(src))
    dst_dir = os.path.dirname(volume_log_path(dst))
    tb.run(["cp", "-a", src_dir + "/.", dst_dir])
    status, body = dst.api("POST", f"/containers/create?name={NAME}", {
        "Image": "roam-reference:1", "Cmd": doc["Config"]["Cmd"], "Labels": doc["Config"]["Labels"],
        "HostConfig": {"NetworkMode": "host",
                       "Mounts": [{"Type": "volume", "Source": VOLUME, "Target": "/data"}]}})
    if status != 201 or dst.api("POST", f"/containers/{NAME}/start")[0] != 204:
        return 1, {"result": f"reference: create/start failed: {status} {body}"}
    running = time.time()
    src.api("DELETE", f"/containers/{NAME}?force=1&v=1")
    src.api("DELETE", f"/volumes/{VOLUME}?force=1")
    return 0, {"result": "success", "seconds": time.time() - t0, "freeze_ms": (running - frozen) * 1000,
               "rounds": 0}


def migrate_once(k, roam, certs, engines, src, dst, poll_path, reference=False):
    label = f"#{k} {src.upper()}->{dst.upper()}"
    a_src, a_dst = engines[src], engines[dst]
    src_start = parse_starts(container_text(a_src, "/data/starts"))[-1]
    # Open the source's log from the host: readable to its last byte even
    # after the source copy and its volume are removed.
    src_log = open(volume_log_path(a_src), "rb")
    since = time.time()
    rc, out = reference_migrate(a_src, a_dst) if reference else tb.migrate(roam, certs, src, dst)
    returned = time.time()
    row = {"label": label, "result": out.get("result"), "seconds": out.get("seconds"),
           "freeze_ms": out.get("freeze_ms"), "rounds": out.get("rounds"),
           "client_seconds": returned - since}
    log(f"{label}: {'the reference migration' if reference else 'roam migrate'} exited {rc}"
        f" after {returned - since:.2f} s: {json.dumps(out)}")
    if rc != 0 or out.get("result") != "success":
        fail(f"{label}: the migration did not succeed (exit {rc}): {out.get('result')}")
        src_log.close()
        return row, False
    # (d) The source copy goes away (today: after SUCCESS; with the freeze:
    # before it). Its end is when the source stopped writing.
    gone = wait_until(lambda: not a_src.running(NAME), SOURCE_GONE_TIMEOUT, step=0.1)
    source_gone_at = time.time()
    row["source_gone_s"] = source_gone_at - since
    if not gone:
        fail(f"{label}: the container still runs on the source {SOURCE_GONE_TIMEOUT:.0f} s after the migration")
    time.sleep(1.0)  # let the destination write and the poller see who answers
    src_lines = parse_log(src_log.read().decode("utf-8", "replace"))
    src_log.close()
    until = time.time()
    if not a_dst.running(NAME):
        fail(f"{label}: the container does not run on the destination")
        return row, False
    row["on_source_after"] = a_src.container(NAME) is not None
    dst_lines = parse_log(container_text(a_dst, "/data/log"))
    starts = parse_starts(container_text(a_dst, "/data/starts"))
    dst_start = starts[-1]
    if dst_start["boot"] == src_start["boot"]:
        fail(f"{label}: the destination's /data/starts has no new start (last is the source's)")
        return row, False
    polls = read_polls(poll_path)
    late_src = answers(polls, src, until - 0.5, until)
    if late_src:
        fail(f"{label}: the source still answers HTTP after the migration ({len(late_src)} answers"
             f" in the last 0.5 s)")
    row["only_on_destination"] = bool(gone) and not late_src
    row.update(check_lines(label, src_lines, dst_lines, src_start["boot"], dst_start))
    row["counter"] = check_counter(label, dst_start)
    row.update(check_serving(label, polls, src, dst, since, until))
    return row, True


def parse_starts(text):
    starts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].startswith("c=") and parts[2].startswith("v="):
            starts.append({"boot": parts[0], "c": int(parts[1][2:]), "v": int(parts[2][2:])})
    if not starts:
        raise RuntimeError(f"no start record in /data/starts: {text!r}")
    return starts


def fmt(value, spec=".2f"):
    if value is None:
        return "-"
    return format(value, spec) if isinstance(value, float) else str(value)


def print_table(rows):
    head = ["migration", "result", "seconds", "freeze_ms", "rounds", "client s", "source gone s",
            "source lines", "missing", "dup", "gaps", "fs vs volume", "double-serve ms",
            "client gap ms", "only on dst"]
    body = []
    for r in rows:
        rounds = r.get("rounds")
        if isinstance(rounds, list):
            rounds = len(rounds)
        body.append([r["label"], str(r.get("result")), fmt(r.get("seconds")), fmt(r.get("freeze_ms"), ".0f"),
                     fmt(rounds), fmt(r.get("client_seconds")), fmt(r.get("source_gone_s")), fmt(r.get("source_lines")),
                     fmt(r.get("missing")), fmt(r.get("duplicates")), fmt(r.get("gaps")),
                     fmt(r.get("counter")), fmt(r.get("double_ms"), ".0f"), fmt(r.get("gap_ms"), ".0f"),
                     fmt(r.get("only_on_destination"))])
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for line in body:
        print("| " + " | ".join(line) + " |")
    sys.stdout.flush()


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--roam")
    ap.add_argument("--migrations", type=int, default=3, help="A->B, B->A, A->B, ... (default 3)")
    ap.add_argument("--between", type=float, default=3.0, help="seconds of service between migrations")
    ap.add_argument("--json-out", help="write the rows as JSON to this file")
    ap.add_argument("--reference", action="store_true",
                    help="migrate by hand (pause, copy, start, remove) instead of with roam:"
                         " checks that a migration losing nothing passes")
    ap.add_argument("--poll", nargs=2, metavar=("OUT", "STOP"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.poll:
        return poll({h: tb.HOSTS[h][1] for h in tb.HOSTS}, *args.poll)
    if not args.roam:
        ap.error("--roam is required")
    roam = os.path.abspath(args.roam)
    work = tempfile.mkdtemp(prefix="roam-lossless-it-")
    os.chmod(work, 0o755)
    poll_path, stop_path = os.path.join(work, "polls.jsonl"), os.path.join(work, "polls.stop")
    agents, engines, rows, poller = [], [], [], None
    try:
        a, b, certs = tb.bring_up(roam, work, engines, agents)
        log("agents up")
        a.run_container(NAME, tb.IMAGE, ["sh", "-c", APP], labels={"purpose": "roam-integration"},
                        mounts=[{"Type": "volume", "Source": VOLUME, "Target": "/data"}])
        poller = subprocess.Popen(tb.in_ns("a", [sys.executable, os.path.abspath(__file__),
                                                 "--poll", poll_path, stop_path]))
        if not wait_until(lambda: answers(read_polls(poll_path), "a", 0, time.time() + 1)
                          and len(parse_log(tb.read_text(volume_log_path(a)))) >= 50, 20, step=0.1):
            raise RuntimeError(f"the container does not write and serve on A: {a.logs(NAME)}")
        log("the container writes and serves on A; the poller sees it")
        by_host = {"a": a, "b": b}
        src, dst = "a", "b"
        for k in range(1, args.migrations + 1):
            time.sleep(args.between)
            row, ok = migrate_once(k, roam, certs, by_host, src, dst, poll_path, args.reference)
            rows.append(row)
            if not ok:
                break
            src, dst = dst, src
    except Exception as e:  # noqa: BLE001 - report and clean up
        fail(f"exception: {e}")
    finally:
        if poller:
            open(stop_path, "w").close()
            try:
                poller.wait(10)
            except subprocess.TimeoutExpired:
                poller.kill()
        if failures:
            for agent in agents:
                log(f"--- agent {agent.host} log tail ---\n{agent.log_text()[-6000:]}")
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(rows, f, indent=2)
        tb.teardown(agents, engines, work)
    print_table(rows)
    if len(rows) < args.migrations and not failures:
        fail(f"only {len(rows)} of {args.migrations} migrations ran")
    return exit_status(failures, log, "all checks passed: nothing lost, never two copies serving")
    return 0


if __name__ == "__main__":
    sys.exit(main())
