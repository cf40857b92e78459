"""The paper's load-balancing experiment on the testbed (Tables I and II,
Fig. 4): scenario x policy x runs, each run from a clean state.

A scenario is a topology file with a "scenario" block
(testbed/topologies/paper-heterogeneous.json):

    "scenario": {"client": "h1", "server": "h2", "client_rate": "8M",
                 "params": {"threshold": "4Mbps"},
                 "expect": {"bandwidth": ["h4"], "shortest-path": ["h3"], ...}}

Per scenario the testbed comes up once (Mininet, controller, one engine and
agent per host: roam_stack.Stack). Per run:
  1. clean state: the service and client containers removed everywhere, the
     redirection rules of the previous run deleted, a fresh VIB and log;
  2. the iperf3 server container "iperf-server" starts on the server host
     with STATE_MB of random data in its file system (what a migration
     carries) and its own service address (label roam.address, default
     10.0.1.1, the scenario's "service_address"), which the server host's
     agent holds; then the client container "iperf-client" on the client
     host sends CLIENT_RATE to that address, reconnecting whenever its
     connection breaks (as after a snapshot migration);
  3. the manager starts with the policy; it measures, decides, migrates;
     the address moves with the container (the destination's agent claims
     and announces it, the source's releases it; no rewrite rules);
  4. once the migration is over, AFTER seconds more are recorded (the
     client's traffic reaching the new host), then the service is checked:
     running on the destination, gone from the source, and a TCP connection
     from the client host to the service address and port succeeds;
  5. the manager stops; the run's row goes to runs.csv and its per-second
     host bandwidth (from the VIB) to bandwidth.csv at once, so a failure
     later loses nothing.
At the end roam_report writes tables.md and fig4.png.
"""

import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time

from checking import wait_until
import roam_report
import roam_stack
import roam_testbed as tb

SERVER = "iperf-server"
CLIENT = "iperf-client"
SERVICE_PORT = 5201
# The iperf3 server's own address (docs/redirection.md, "Service addresses"):
# the agent of whichever host runs it holds it, so clients reach it at this
# address and port wherever it migrates. Not a host's address; inside the
# hosts' 10.0.0.0/8, so every host's interface routes it.
SERVICE_ADDRESS = "10.0.1.1"
IMAGE = "roam/iperf3:1"

RUN_COLUMNS = ["scenario", "policy", "run", "source", "destination",
               "expected", "decision_ok", "reachable", "decision_s",
               "migration_s", "total_s", "bytes", "started_t", "finished_t",
               "note", "key_s", "latency_pairs", "freeze_ms", "rounds",
               "mode", "dump_ms", "transfer_ms", "restore_ms", "memory_bytes",
               "client_connections", "redirect_ms"]
MTD_POLICIES = ("shamir", "fountain", "prf")
# An MTD policy moves the protected container every `period`: each run wants
# one move, soon.
MTD_PARAMS = {"period": "1s"}
BANDWIDTH_COLUMNS = ["scenario", "policy", "run", "t", "host", "rx_bps",
                     "tx_bps"]


class Scenario(object):
    def __init__(self, name, path):
        with open(path) as f:
            doc = json.load(f)
        if doc.get("loops"):
            # The controller forwards with the switches' NORMAL action (L2
            # learning), which floods forever around a loop.
            raise ValueError("%s: the topology has loops; the testbed's "
                             "controller forwards on trees only" % path)
        self.name, self.path = name, path
        self.topology = tb.Topology.from_dict(doc)
        hosts = [h["name"] for h in self.topology.hosts]
        if len(hosts) < 3:
            raise ValueError("%s: a scenario needs at least 3 hosts (client, "
                             "server, a destination)" % path)
        # A generated topology (testbed/topology) has no scenario block: the
        # first host runs the client, the second the server, and any free
        # host is an acceptable destination.
        s = doc.get("scenario", {"client": hosts[0], "server": hosts[1]})
        self.client, self.server = s["client"], s["server"]
        self.client_rate = s.get("client_rate", "8M")
        self.params = dict(s.get("params", {}))
        self.expect = s.get("expect", {})
        self.service_address = s.get("service_address", SERVICE_ADDRESS)
        if any(h["ip"] == self.service_address for h in self.topology.hosts):
            raise ValueError("%s: the service address %s is a host's address"
                             % (path, self.service_address))
        for role in (self.client, self.server):
            if role not in hosts:
                raise ValueError("%s: scenario host %s is not in the "
                                 "topology" % (path, role))

    def expected(self, policy):
        """The destinations the paper expects (any free host when the
        scenario does not say)."""
        if policy in self.expect:
            return self.expect[policy]
        return [h["name"] for h in self.topology.hosts
                if h["name"] not in (self.client, self.server)]

    def host_ip(self, name):
        return next(h["ip"] for h in self.topology.hosts if h["name"] == name)


class Results(object):
    """runs.csv and bandwidth.csv, appended to and flushed run by run."""

    def __init__(self, out_dir):
        self.dir = out_dir
        os.makedirs(out_dir, exist_ok=True)
        self.runs_path = os.path.join(out_dir, roam_report.RUNS_FILE)
        self.bw_path = os.path.join(out_dir, roam_report.BANDWIDTH_FILE)
        for path, columns in ((self.runs_path, RUN_COLUMNS),
                              (self.bw_path, BANDWIDTH_COLUMNS)):
            with open(path, "w", newline="") as f:
                csv.writer(f).writerow(columns)
        self.rows = []

    def add(self, row, bandwidth):
        self.rows.append(row)
        with open(self.runs_path, "a", newline="") as f:
            # A row may carry checks that are not columns (metrics_ok).
            csv.DictWriter(f, RUN_COLUMNS, extrasaction="ignore").writerow(row)
        with open(self.bw_path, "a", newline="") as f:
            w = csv.DictWriter(f, BANDWIDTH_COLUMNS)
            for b in bandwidth:
                w.writerow(b)


# --------------------------------------------------------------- one run

def server_command(state_mb):
    """The service: iperf3 with STATE_MB of random bytes in its file system
    (made once: a restored copy keeps the same bytes)."""
    return ["sh", "-c",
            "mkdir -p /var/lib/svc && "
            "{ [ -f /var/lib/svc/state ] || head -c %dk /dev/urandom > "
            "/var/lib/svc/state; } && exec iperf3 -s -p %d"
            % (int(state_mb * 1024), SERVICE_PORT)]


CLIENT_CONNECT_MARK = "roam-client: connecting"


def client_command(server_ip, rate):
    """The client: iperf3 to the service for a day, again whenever its
    connection ends. Each attempt prints CLIENT_CONNECT_MARK, so its log
    counts them: one connection for the whole run means it survived the
    migration (checkpoint mode, docs/redirection.md); more mean it broke and
    the client reconnected to the same address (snapshot mode)."""
    return ["sh", "-c",
            "while true; do echo '%s'; iperf3 -c %s -p %d -b %s -t 86400 "
            "--connect-timeout 1000 >/dev/null 2>&1; sleep 0.5; done"
            % (CLIENT_CONNECT_MARK, server_ip, SERVICE_PORT, rate)]


def client_connections(stack, scenario):
    """How many connections the client opened so far (its log's marks)."""
    text = stack.engine(scenario.client).logs(CLIENT, tail=100000)
    return text.count(CLIENT_CONNECT_MARK)


def tcp_connects(host, ip, port):
    out = host.cmd("timeout 3 bash -c 'exec 3<>/dev/tcp/%s/%d' "
                   ">/dev/null 2>&1; echo rc=$?" % (ip, port))
    return "rc=0" in out


def reset(stack, scenario):
    for engine in stack.engines.values():
        engine.remove(CLIENT)
        engine.remove(SERVER)
    stack.clear_redirect(SERVER)


def start_services(stack, scenario, state_mb):
    server_ip = scenario.service_address
    stack.engine(scenario.server).run_container(
        SERVER, IMAGE, server_command(state_mb),
        labels={"app": "iperf", "role": "server",
                "roam.ports": str(SERVICE_PORT),
                "roam.address": server_ip})
    server_host = stack.bed.host(scenario.server)
    if not wait_until(lambda: ":%d " % SERVICE_PORT in server_host.cmd(
            "ss -ltnH"), 60):
        raise RuntimeError("the iperf3 server did not listen on %s:%d" %
                           (server_ip, SERVICE_PORT))
    # Its agent claims the address within about a second.
    if not wait_until(lambda: tcp_connects(stack.bed.host(scenario.client),
                                           server_ip, SERVICE_PORT), 20, 0.5):
        raise RuntimeError("the iperf3 server is not reachable at its service "
                           "address %s:%d" % (server_ip, SERVICE_PORT))
    stack.engine(scenario.client).run_container(
        CLIENT, IMAGE, client_command(server_ip, scenario.client_rate),
        labels={"app": "iperf", "role": "client"})


def read_vib(path, query, args=()):
    """Rows of a read-only query; the manager may still be writing."""
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    except sqlite3.Error:
        return []
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(query, args)]
    except sqlite3.Error:
        return []
    finally:
        db.close()


def finished_migration(vib):
    rows = read_vib(vib, "SELECT * FROM migrations WHERE finished_t IS NOT "
                         "NULL ORDER BY id LIMIT 1")
    return rows[0] if rows else None


def migration_columns(migration):
    """runs.csv's measurements of a finished migration, from its VIB row
    (docs/vib.md, "migrations"): the freeze and rounds; the mode the
    migration ran in as the source's DONE reported it (reported_mode); and,
    for a checkpoint migration only, the freeze's split and the process
    memory moved (empty otherwise: a snapshot migration has no split)."""
    mode = migration.get("reported_mode") or ""
    columns = {"freeze_ms": "%.1f" % (migration.get("freeze_ms") or 0.0),
               "rounds": migration.get("rounds") or 0,
               "mode": mode,
               "dump_ms": "", "transfer_ms": "", "restore_ms": "",
               "redirect_ms": "", "memory_bytes": ""}
    if mode == "checkpoint":
        for key in ("dump_ms", "transfer_ms", "restore_ms", "redirect_ms"):
            columns[key] = "%.1f" % (migration.get(key) or 0.0)
        columns["memory_bytes"] = migration.get("memory_bytes") or 0
    return columns


def host_bandwidth(vib, topo, t0, t1):
    """Per-second bandwidth of every host's link, from the host's side (the
    switch port's rx is the host's tx)."""
    out = []
    for h in topo.hosts:
        for r in read_vib(vib, "SELECT t, rx_bps, tx_bps FROM port_samples "
                               "WHERE switch = ? AND port = ? AND t BETWEEN "
                               "? AND ? ORDER BY t",
                          (h["switch"], h["port"], t0, t1)):
            out.append({"t": "%.3f" % r["t"], "host": h["name"],
                        "rx_bps": "%.0f" % r["tx_bps"],
                        "tx_bps": "%.0f" % r["rx_bps"]})
    return out


def latency_pairs(vib):
    """How many ordered host pairs have latency samples in the VIB: the
    agents' round trips to each other, which the manager collects."""
    rows = read_vib(vib, "SELECT COUNT(*) AS n FROM (SELECT DISTINCT src, "
                         "dst FROM latency_samples)")
    return rows[0]["n"] if rows else 0


def latency_complete(row, scenario):
    """Whether every agent measured every other (n * (n - 1) pairs)."""
    n = len(scenario.topology.hosts)
    return str(row.get("latency_pairs", "")) == str(n * (n - 1))


def migration_timeout(scenario, state_mb):
    """Generous: the state over the slowest link on the topology, twice,
    plus the trigger's time."""
    bws = [ln["bw"] for ln in scenario.topology.links if ln["bw"]] + \
          [h["bw"] for h in scenario.topology.hosts if h["bw"]]
    slowest = min(bws) if bws else 100
    return 60 + 2 * state_mb * 8.0 / slowest


def explain(decision):
    """The decision as the demo shows it."""
    lines = ["decision %s by policy %s" % (decision.get("decision_id", "?"),
                                           decision.get("policy", "?")),
             "  trigger:     " + str(decision.get("trigger", "")),
             "  container:   %s on %s" % (decision.get("container"),
                                          decision.get("source")),
             "  destination: %s (%s)" % (decision.get("destination"),
                                         decision.get("choice", "")),
             "  candidates:  " + ", ".join(
                 ("%s %s" % (c.get("host"), c.get("score_text", ""))).strip()
                 for c in decision.get("candidates", [])),
             "  why:         " + str(decision.get("explanation", ""))]
    return "\n".join(lines)


def run_once(stack, scenario, policy, policy_file, run_no, args, results):
    """One run; returns its row (also written to the results)."""
    run_dir = os.path.join(args.out, "runs", "%s-%s-%d" % (scenario.name,
                                                           policy, run_no))
    # A VIB left by an earlier experiment in the same directory would hold
    # its migrations: every run starts from nothing.
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(run_dir)
    row = {k: "" for k in RUN_COLUMNS}
    row.update(scenario=scenario.name, policy=policy, run=run_no,
               source=scenario.server,
               expected="|".join(scenario.expected(policy)),
               decision_ok=0, reachable=0)
    tb.log("=== %s / %s / run %d" % (scenario.name, policy, run_no))
    reset(stack, scenario)
    start_services(stack, scenario, args.state_mb)
    t0 = time.time()
    # The scenario's parameters (the load-balancing threshold) mean nothing
    # to an MTD policy, which would refuse an unknown parameter.
    base = dict(MTD_PARAMS) if policy in MTD_POLICIES else dict(scenario.params)
    params = dict(base, **args.params)
    # The agents live through the scenario: their counts go on from here.
    agent_base = agent_migration_counts(stack) if stack.prometheus else None
    manager = stack.start_manager(policy_file, params, run_dir,
                                  seed=args.seed + run_no,
                                  brain={"mode": args.mode},
                                  web=getattr(args, "web", None))
    web_problems = None
    bandwidth = []
    try:
        migration = wait_until(lambda: finished_migration(manager.vib),
                               migration_timeout(scenario, args.state_mb), 1)
        decisions = [d for d in manager.decisions()
                     if d.get("action") == "dispatch"]
        if decisions:
            dest = decisions[0].get("destination") or ""
            row["destination"] = dest
            row["decision_ok"] = int(dest in scenario.expected(policy))
            if args.explain:
                print(explain(decisions[0]), flush=True)
        if not migration:
            row["note"] = "no migration finished in time; manager log: %s" % \
                manager.log_path
            return row
        row["destination"] = migration["destination"]
        row["started_t"] = "%.3f" % migration["started_t"]
        row["finished_t"] = "%.3f" % migration["finished_t"]
        if migration["state"] != "done":
            row["note"] = "migration %s: %s" % (migration["state"],
                                                migration["error"])
            return row
        decision_s = migration["decision_s"] or 0.0
        migration_s = migration["migration_s"] or 0.0
        row.update(decision_s="%.6f" % decision_s,
                   migration_s="%.3f" % migration_s,
                   total_s="%.3f" % (decision_s + migration_s),
                   bytes=migration["bytes_sent"],
                   **migration_columns(migration))
        if policy in MTD_POLICIES:
            row["key_s"] = "%.4f" % (migration.get("key_s") or 0.0)
            named = table_destination(scenario, migration)
            row["expected"] = named or "?"
            # The manager decided without knowing where: its decision names
            # no destination; the source's table did.
            hidden = bool(decisions) and decisions[0].get("destination") is None
            row["decision_ok"] = int(hidden and named == migration["destination"])
            if not hidden:
                row["note"] = "the manager's MTD decision named a destination"
        split = ""
        if row["mode"] == "checkpoint":
            split = (": dump %s + transfer %s + restore %s + redirect %s ms, "
                     "%.2f MB of memory"
                     % (row["dump_ms"], row["transfer_ms"], row["restore_ms"],
                        row["redirect_ms"], row["memory_bytes"] / 1e6))
        tb.log("migrated %s %s -> %s: decision %.1f ms, migration %.2f s "
               "(%s, freeze %.0f ms%s, %d rounds), %.2f MB" % (
                   SERVER, migration["source"], migration["destination"],
                   decision_s * 1000, migration_s, row["mode"] or "mode not reported",
                   migration.get("freeze_ms") or 0.0, split,
                   migration.get("rounds") or 0, migration["bytes_sent"] / 1e6))
        time.sleep(args.after)
        row["reachable"] = int(check_reachable(stack, scenario, migration,
                                               row))
        row["client_connections"] = client_connections(stack, scenario)
        if stack.prometheus:
            check_prometheus(stack, manager, run_dir, row, agent_base)
    finally:
        # The live view after the migration, in a real browser: the first
        # run of each policy, with --web --check.
        if manager.web_url and getattr(args, "check", False) and run_no == 1:
            web_problems = check_web_page(manager.web_url, scenario, run_dir)
            if web_problems:
                row["note"] = "; ".join(x for x in (row["note"], "live view: " +
                                                    "; ".join(web_problems)) if x)
        stack.stop_manager()
        row["latency_pairs"] = latency_pairs(manager.vib)
        if not latency_complete(row, scenario):
            n = len(scenario.topology.hosts)
            problem = "latency samples for %s of %d host pairs" % (
                row["latency_pairs"], n * (n - 1))
            tb.log("FAIL: " + problem)
            row["note"] = "; ".join(x for x in (row["note"], problem) if x)
        bandwidth = host_bandwidth(manager.vib, scenario.topology, t0 - 1,
                                   time.time() + 1)
        for b in bandwidth:
            b.update(scenario=scenario.name, policy=policy, run=run_no)
        results.add(row, bandwidth)
        if web_problems is not None:  # not a CSV column: the page's check
            row["web_ok"] = int(not web_problems)
    return row


# --------------------------------------------------------------- --prometheus

AGENT_MIGRATIONS = ('sum(roam_agent_migrations_total{job="roam-agent",role="%s",'
                    'result="success"}) or vector(0)')


def agent_migration_counts(stack):
    """The agents' successful migrations so far, as Prometheus has them:
    {"source": N, "destination": N}."""
    return {role: stack.prometheus.query(AGENT_MIGRATIONS % role) or 0.0
            for role in ("source", "destination")}


def check_prometheus(stack, manager, run_dir, row, agent_base):
    """Asks the Prometheus server that scrapes this run (roam_prometheus) for
    the manager's decisions and migrations and the agents' migrations, and
    compares them with what the run produced: the decision log's decisions
    and outcome lines. Saves the values (prometheus.json), each endpoint's
    /metrics and promtool's verdict on it (metrics/, promtool.txt) in the
    run's directory. Sets row["metrics_ok"]; a mismatch goes to the note."""
    prom = stack.prometheus
    lines = manager.decisions

    def count(pred):
        return lambda: float(sum(1 for d in lines() if pred(d)))

    decided = count(lambda d: d.get("action") != "outcome")
    ended = count(lambda d: d.get("action") == "outcome")
    succeeded = count(lambda d: d.get("action") == "outcome" and
                      d.get("result") == "success")
    targets = 1 + len(stack.agents)
    checks = [
        ("targets up", 'sum(up{job=~"roam-manager|roam-agent"})',
         lambda: float(targets)),
        ("decisions", 'sum(roam_decisions_total{job="roam-manager"}) or vector(0)',
         decided),
        ("migrations", 'sum(roam_migrations_total{job="roam-manager"}) or vector(0)',
         ended),
        ("successful migrations", 'sum(roam_migrations_total{job="roam-manager",'
         'result="success"}) or vector(0)', succeeded),
    ]
    for role in ("source", "destination"):
        checks.append(("agents' successful migrations as the " + role,
                       AGENT_MIGRATIONS % role,
                       lambda role=role: agent_base[role] + succeeded()))
    found, problems = [], []
    for what, expr, expected in checks:
        value, want = prom.wait_for(expr, expected)
        found.append({"what": what, "query": expr, "expected": want,
                      "prometheus": value})
        if value != want:
            problems.append("%s: Prometheus has %s, the run %s" % (what, value,
                                                                   want))
    with open(os.path.join(run_dir, "prometheus.json"), "w") as f:
        json.dump({"prometheus": prom.url, "targets": prom.targets_up(),
                   "checks": found}, f, indent=2)
    problems += prom.check_endpoints(run_dir)
    row["metrics_ok"] = int(not problems)
    summary = ", ".join("%s %s" % (c["what"], c["prometheus"]) for c in found[1:4])
    if problems:
        tb.log("FAIL: prometheus: " + "; ".join(problems))
        row["note"] = "; ".join(x for x in (row["note"], "prometheus: " +
                                            "; ".join(problems)) if x)
    else:
        tb.log("PASS: prometheus agrees with the run (%s); promtool accepts "
               "all %d endpoints" % (summary, targets))


def check_web_page(url, scenario, run_dir):
    """Opens the manager's live view in headless Chromium: every host and
    switch, the links with their load, both containers and the migration
    must be on the page. Saves run_dir/web.png; returns the problems."""
    import web_check  # Chromium is needed only here
    topo = scenario.topology
    shot = os.path.join(run_dir, "web.png")
    try:
        with web_check.Browser(log_path=os.path.join(run_dir,
                                                     "chromedriver.log")) as b:
            b.open(url)
            want = dict(hosts=[h["name"] for h in topo.hosts],
                        switches=sorted({h["switch"] for h in topo.hosts} |
                                        {ln["src"] for ln in topo.links} |
                                        {ln["dst"] for ln in topo.links}),
                        links=len(topo.links), containers=[SERVER, CLIENT],
                        migration=True)
            seen, _ = web_check.wait_for_page(
                b, lambda s: not web_check.missing_from_page(s, **want), 30)
            b.screenshot(shot)
    except (web_check.BrowserError, OSError) as e:
        return ["the browser failed: %s" % e]
    problems = web_check.missing_from_page(seen, **want)
    tb.log("live view checked in Chromium: %d hosts, %d links, %d containers, "
           "%d migration(s)%s; screenshot %s" % (
               len(seen.get("hosts", [])), len(seen.get("links", [])),
               len(seen.get("containers", [])), len(seen.get("migrations", [])),
               "" if not problems else ": " + "; ".join(problems), shot))
    return problems


def table_destination(scenario, migration):
    """The host the MTD lookup table names for this migration: the source
    reports its index ("MTD index N" in the migration's note); the table is
    the policy's candidates in name order, which for `where h in hosts` is
    every host but the source (docs/mtd.md). "" when the note has no index."""
    m = re.search(r"MTD index (\d+)", migration.get("note") or "")
    if not m:
        return ""
    table = sorted(h["name"] for h in scenario.topology.hosts
                   if h["name"] != migration["source"])
    return table[int(m.group(1)) % len(table)]


def log_unreachable(stack, checker, dest):
    """What a failed reachability check leaves to look at: whether the
    service listens on its new host, what the checking host's neighbour
    table says, and the flow rules of every switch."""
    listening = stack.bed.host(dest).cmd("ss -ltnH").strip()
    tb.log("unreachable: %s listens on: %s" % (dest, " | ".join(
        ln.split()[3] for ln in listening.splitlines() if len(ln.split()) > 3)
        or "nothing"))
    tb.log("unreachable: %s neighbours: %s" % (checker, " | ".join(
        stack.bed.host(checker).cmd("ip neigh").strip().splitlines())))
    for switch in stack.bed.net.switches:
        flows = tb.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows",
                        switch.name], check=False, quiet=True)
        for line in flows.splitlines():
            if "priority=" in line:
                tb.log("unreachable: %s %s" % (switch.name, " ".join(
                    f for f in line.split() if not f.startswith(
                        ("duration=", "idle_age=", "hard_age=")))))
    # The userspace datapath's cached flows (megaflows) for TCP: what packets
    # really get, whatever the OpenFlow tables say.
    cached = tb.run(["ovs-appctl", "dpctl/dump-flows"], check=False, quiet=True)
    for line in cached.splitlines():
        if "proto=6" in line:
            tb.log("unreachable: datapath %s" % " ".join(
                f for f in line.split() if not f.startswith(("used:", "flags:"))))


def flush_datapath_cache():
    """Drops the userspace datapath's cached flows; the next packets are
    looked up in the OpenFlow tables again."""
    tb.run(["ovs-appctl", "dpctl/del-flows"], check=False, quiet=True)


def check_reachable(stack, scenario, migration, row):
    dest, src = migration["destination"], migration["source"]
    running = stack.engine(dest).running(SERVER)
    gone = stack.engine(src).container(SERVER) is None
    server_ip = scenario.service_address
    # An MTD move may land on the client's own host, where the service
    # address is local: another host checks then, over the network.
    checker = scenario.client
    if checker == dest:
        checker = next(h["name"] for h in scenario.topology.hosts
                       if h["name"] not in (src, dest))
    connects = wait_until(lambda: tcp_connects(stack.bed.host(checker),
                                               server_ip, SERVICE_PORT), 10, 1)
    stale_cache = False
    if not connects:
        log_unreachable(stack, checker, dest)
        # Seen on these machines, always in the same run of a scenario: the
        # redirect rules are in every table and count the packets, yet the
        # first switch forwards them unrewritten, as a cached datapath flow
        # from before the rules said. A miss after flushing the cache is a
        # real failure; a hit is reported as such in the run's note.
        flush_datapath_cache()
        stale_cache = connects = wait_until(
            lambda: tcp_connects(stack.bed.host(checker), server_ip, SERVICE_PORT), 10, 1)
    ok = running and gone and connects
    tb.log("%s: service running on %s: %s; gone from %s: %s; %s reaches "
           "%s:%d: %s" % ("PASS" if ok else "FAIL", dest, running, src, gone,
                          checker, server_ip, SERVICE_PORT, connects))
    if stale_cache:
        tb.log("WARN: %s reached %s:%d only after the datapath flow cache was "
               "flushed (stale OVS megaflow)" % (checker, server_ip, SERVICE_PORT))
        row["note"] = "; ".join(x for x in (row.get("note"), "reachable after flushing "
                                            "a stale OVS datapath flow") if x)
    if not ok:
        row["note"] = ("service not reachable after the migration (running "
                       "on %s: %s, gone from %s: %s, connect: %s)" %
                       (dest, running, src, gone, connects))
    return ok


# --------------------------------------------------------------- leftovers

def leftovers(prefix):
    """What a torn-down testbed must not leave: namespaces, bridges, veths,
    engines, agents, managers of this prefix."""
    found = []
    ns = tb.run(["ip", "netns", "list"], check=False).split()
    found += ["netns " + n for n in ns if n.startswith(prefix)]
    if subprocess.run(["ovs-vsctl", "--timeout=3", "show"],
                      stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        found += ["bridge " + b for b in tb.run(
            ["ovs-vsctl", "--timeout=5", "list-br"], check=False).split()
            if b.startswith(prefix)]
    for line in tb.run(["ip", "-o", "link", "show"], check=False).splitlines():
        parts = line.split(":", 2)
        if len(parts) > 1 and parts[1].strip().startswith(prefix):
            found.append("link " + parts[1].strip().split("@")[0])
    engines_dir = "/run/roam-engines"
    if os.path.isdir(engines_dir):
        found += ["engine " + e for e in os.listdir(engines_dir)
                  if e.startswith(prefix)]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        argv = tb._cmdline(pid)  # noqa: SLF001 - same package
        joined = " ".join(argv)
        if ("/run/roam-engines/%s" % prefix in joined and "dockerd" in joined) \
                or roam_stack.config_tag(prefix) in joined \
                or ("mininet:" + prefix) in joined:
            found.append("process %s (%s)" % (pid, joined[:60]))
    return found
