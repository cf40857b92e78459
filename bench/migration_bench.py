#!/usr/bin/python3
"""Migration benchmark (issues 4 and 15): transfer time against raw TCP on the
same path in the same run, bytes on the wire against a plain `docker export`,
and the pre-copy migration's freeze and rounds while the container writes.
Run as root, after building:

    bench/migration_bench.py --roam build/roam [--sizes 10,100,500] [--shaped-mbit 200]
        [--paths unshaped,shaped] [--kinds random,text] [--write-mbps 0,1,10] [--repeat N]

Testbed: the integration test's two hosts (tests/integration/agent_migration.py):
namespaces rmig-a and rmig-b, one Docker engine each, joined by a veth pair,
an agent in each. Two paths: the bare veth ("unshaped") and the same veth with
a tbf qdisc at --shaped-mbit on a's side ("shaped").

For each path and state size S (MiB of random bytes written into the
container's file system, on top of the testbed image that both hosts have):
  - roam migrate a -> b (TLS 1.3, zstd level 1 or stored chunks, XXH3-128), with --json: total
    seconds, transfer seconds (first byte-moving phase until "serving", as the
    client sees PROGRESS), bytes on the wire, freeze_ms and rounds; with
    --write-mbps W > 0 the container appends W MB/s of random bytes to a log
    in its layer during the migration;
  - iperf3 a -> b moving the same number of bytes over raw TCP (-n);
  - the size of a plain `docker export` of the container (GET /export).
Reported: throughput ratio (roam bytes / transfer s) / (iperf3 bytes / s), and
wire bytes / export bytes. Random data does not compress: the wire ratio of a
container whose state is random is close to S / (S + image); a second row per
size uses compressible state (a text log) to show what zstd adds.
With --repeat N every row is measured N times; a second table gives, per
path, size and write rate, the freeze's median, p99 (nearest rank) and
maximum, and the median time against raw TCP.
Prints Markdown tables and writes JSON to --out.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import agent_migration as tb  # noqa: E402


def export_bytes(engine):
    r = tb.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", "--unix-socket", engine.sock,
                "http://docker/v1.41/containers/stateful/export"])
    return int(r.stdout.strip())


def iperf_seconds(nbytes):
    server = subprocess.Popen(tb.in_ns("b", ["iperf3", "-s", "-1", "-p", "5201"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        r = tb.run(tb.in_ns("a", ["iperf3", "-c", tb.HOSTS["b"][1], "-p", "5201", "-n", str(nbytes), "-J"]))
        end = json.loads(r.stdout)["end"]
        sent = end["sum_sent"]
        return sent["seconds"], sent["bytes"]
    finally:
        server.wait(10)


def start_state(engine, mb, kind):
    """The stateful container with mb MiB of random or text state."""
    if kind == "random":
        return tb.start_stateful(engine, big_mb=mb)
    tokens = tb.start_stateful(engine)
    # A log-like file: compressible, as application state often is.
    script = (f"i=0; while [ $i -lt {mb * 8} ]; do seq 1 16384 | sed 's/^/request ok /'; i=$((i+1)); "
              f"done | head -c {mb}m > /www/big")
    code, data = engine.api("POST", "/containers/stateful/exec",
                            {"Cmd": ["sh", "-c", script], "AttachStdout": True, "AttachStderr": True})
    exec_id = data["Id"]
    engine.api("POST", f"/exec/{exec_id}/start", {"Detach": False})
    return tokens


def start_writer(engine, mbps):
    """Appends mbps MB/s of random bytes to /www/log inside the container (an
    exec, so it is frozen with the container)."""
    chunk = mbps * 1000 * 1000 // 10
    script = f"while true; do head -c {chunk} /dev/urandom >> /www/log; sleep 0.1; done"
    code, data = engine.api("POST", "/containers/stateful/exec",
                            {"Cmd": ["sh", "-c", script], "AttachStdout": False, "AttachStderr": False})
    engine.api("POST", f"/exec/{data['Id']}/start", {"Detach": True})
    time.sleep(1.0)


def measure(roam, certs, a, b, mb, kind, path, write_mbps=0):
    tb.remove_stateful(a)
    tb.remove_stateful(b)
    start_state(a, mb, kind)
    exported = export_bytes(a)
    if write_mbps:
        start_writer(a, write_mbps)
    rc, out = tb.migrate(roam, certs, "a", "b")
    if rc != 0:
        raise RuntimeError(f"migration failed: {out}")
    iperf_s, iperf_bytes = iperf_seconds(out["bytes_sent"])
    roam_rate = out["bytes_sent"] / out.get("transfer_seconds", out["seconds"])
    tcp_rate = iperf_bytes / iperf_s
    row = {"path": path, "state_mib": mb, "state": kind, "roam_seconds": out["seconds"],
           "transfer_seconds": out.get("transfer_seconds"), "bytes_sent": out["bytes_sent"],
           "iperf3_seconds": iperf_s, "throughput_ratio": roam_rate / tcp_rate,
           "export_bytes": exported, "wire_to_export": out["bytes_sent"] / exported,
           "write_mbps": write_mbps, "freeze_ms": out.get("freeze_ms"),
           "rounds": len(out.get("rounds", [])), "total_s": out.get("total_s"),
           "round_bytes": [r["bytes"] for r in out.get("rounds", [])]}
    tb.log(f"{path} {mb} MiB {kind} writing {write_mbps} MB/s: {json.dumps(row)}")
    tb.remove_stateful(b)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--roam", required=True)
    ap.add_argument("--sizes", default="10,100,500")
    ap.add_argument("--shaped-mbit", type=int, default=200)
    ap.add_argument("--paths", default="unshaped,shaped", help="which paths to run (unshaped, shaped)")
    ap.add_argument("--kinds", default="random,text", help="which kinds of state (random, text)")
    ap.add_argument("--write-mbps", default="0", help="write rates during the migration, MB/s")
    ap.add_argument("--repeat", type=int, default=1, help="measure every row this many times")
    ap.add_argument("--out", default="migration_bench.json")
    args = ap.parse_args()
    roam = os.path.abspath(args.roam)
    sizes = [int(s) for s in args.sizes.split(",")]
    paths = [p for p in ("unshaped", "shaped") if p in args.paths.split(",")]
    kinds = [k for k in ("random", "text") if k in args.kinds.split(",")]
    rates = [int(w) for w in args.write_mbps.split(",")]
    if not paths or not kinds:
        ap.error("--paths and --kinds must name at least one known value each")
    work = tempfile.mkdtemp(prefix="roam-bench-")
    os.chmod(work, 0o755)
    agents, engines, rows = [], [], []
    try:
        a, b, certs = tb.bring_up(roam, work, engines, agents)
        for path in paths:
            if path == "shaped":
                tb.run(tb.in_ns("a", ["tc", "qdisc", "replace", "dev", "rmig-a0", "root", "tbf", "rate",
                                      f"{args.shaped_mbit}mbit", "burst", "256kb", "latency", "100ms"]))
            for mb in sizes:
                for kind in kinds:
                    for rate in rates:
                        for _ in range(args.repeat):
                            rows.append(measure(roam, certs, a, b, mb, kind,
                                                path if path == "unshaped" else f"tbf {args.shaped_mbit} Mbit/s",
                                                rate))
    finally:
        tb.teardown(agents, engines, work)
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=2)
    print("| path | state | writes MB/s | roam s | transfer s | iperf3 s | time vs TCP | total vs TCP | "
          "freeze ms | rounds | wire MiB | export MiB | wire / export |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['path']} | {r['state_mib']} MiB {r['state']} | {r['write_mbps']} | {r['roam_seconds']:.2f} | "
              f"{(r['transfer_seconds'] or 0):.2f} | {r['iperf3_seconds']:.2f} | {1 / r['throughput_ratio']:.2f}x | "
              f"{r['roam_seconds'] / r['iperf3_seconds']:.2f}x | "
              f"{(r['freeze_ms'] or 0):.0f} | {r['rounds']} | "
              f"{r['bytes_sent'] / 2**20:.1f} | {r['export_bytes'] / 2**20:.1f} | {r['wire_to_export']:.0%} |")
    if args.repeat > 1:
        print_summary(rows)
    return 0


def nearest_rank(sorted_values, fraction):
    """The nearest-rank percentile: the smallest value with at least FRACTION
    of the values at or below it."""
    rank = max(1, -(-len(sorted_values) * fraction // 1))
    return sorted_values[int(rank) - 1]


def print_summary(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["path"], r["state_mib"], r["state"], r["write_mbps"]), []).append(r)
    print()
    print("| path | state | writes MB/s | runs | freeze ms p50 | p99 | max | time vs TCP p50 | total vs TCP p50 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (path, mb, kind, rate), group in groups.items():
        freezes = sorted(r["freeze_ms"] or 0 for r in group)
        times = sorted(1 / r["throughput_ratio"] for r in group)
        totals = sorted(r["roam_seconds"] / r["iperf3_seconds"] for r in group)
        print(f"| {path} | {mb} MiB {kind} | {rate} | {len(group)} | {nearest_rank(freezes, 0.5):.0f} | "
              f"{nearest_rank(freezes, 0.99):.0f} | {freezes[-1]:.0f} | {nearest_rank(times, 0.5):.2f}x | "
              f"{nearest_rank(totals, 0.5):.2f}x |")


if __name__ == "__main__":
    sys.exit(main())
