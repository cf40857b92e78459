#!/usr/bin/python3
"""End-to-end test of the manager (issue 5) with real agents and real Docker
engines. Run as root:

    tests/integration/manager_e2e.py --roam build/roam

The two hosts of tests/integration/agent_migration.py (network namespaces
rmig-a and rmig-b, a Docker Engine and a `roam agent` in each, joined by a
veth pair). The manager runs in rmig-a with a fixed STATE.json (the network
of the two hosts; no SDN controller here: tests/integration/measure_check.py
covers live measurement) and learns where containers run from the agents'
STATUS. The policy moves a container to the host its `move_to` label names.

  1. the policy fires: the decision log gets a dispatch line, the container
     really moves to b (same tokens served by b), and `roam repl --connect`
     shows the migration done with its decision and migration times;
  2. hot reload: an invalid policy is written: the manager logs the located
     error and keeps running the old one; SIGHUP with the file still broken
     logs it again; a valid policy that targets a restored;
  3. manual migration from the REPL (`migrate stateful to a`) moves it back;
  4. a restarted manager finds nothing to reconcile and the container stays.
Everything is removed at the end, also on failure.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_migration as am  # noqa: E402

POLICY = """
policy follow-label "move a container to the host its move_to label names" {
  param interval: duration = 500ms "how often the manager evaluates this policy"

  let misplaced = {c in containers where c.labels.move_to != "" and c.labels.move_to != c.host.name}

  when every interval {
    count(misplaced) > 0
  }

  which c in containers {
    require c in misplaced
    order by c.name
    limit 1
  }

  where h in hosts - {source} {
    require h.name == container.labels.move_to
    minimize hops(source, h)
  }
}
"""

STATE = {
    "switches": [{"name": "s1", "dpid": "0000000000000001"}],
    "hosts": [
        {"name": "a", "ip": am.HOSTS["a"][1], "mac": "", "switch": "s1", "port": 1,
         "capacity_bps": 1e9},
        {"name": "b", "ip": am.HOSTS["b"][1], "mac": "", "switch": "s1", "port": 2,
         "capacity_bps": 1e9},
    ],
    "links": [],
    "containers": [],
    "port_stats": [{"switch": "s1", "port": 1, "rx_bps": 1000, "tx_bps": 1000, "t": 1000}],
    "switch_stats": [],
    "latency": [],
}


class Manager:
    def __init__(self, roam, work, certs, policy):
        self.roam, self.work = roam, work
        self.socket = os.path.join(work, "manager.sock")
        self.decisions = os.path.join(work, "decisions.jsonl")
        self.log_path = os.path.join(work, "manager.log")
        self.args = [roam, "manager", "--state", os.path.join(work, "state.json"),
                     "--policy", policy, "--vib", os.path.join(work, "vib.sqlite"),
                     "--decision-log", self.decisions, "--admin-socket", self.socket,
                     "--certs", certs, "--identity", "manager", "--cooldown", "1s",
                     "--agent", f"a={am.HOSTS['a'][1]}:{am.AGENT_PORT}",
                     "--agent", f"b={am.HOSTS['b'][1]}:{am.AGENT_PORT}"]
        self.proc = None

    def start(self):
        self.logf = open(self.log_path, "a")
        self.proc = subprocess.Popen(am.in_ns("a", self.args), stdout=self.logf, stderr=self.logf)
        for _ in range(100):
            if os.path.exists(self.socket) and "admin socket" in self.log_text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("manager did not start:\n" + self.log_text()[-3000:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def log_text(self):
        return am.read_text(self.log_path)

    def repl(self, line):
        r = am.run([self.roam, "repl", "--connect", self.socket, "--json", "-e", line],
                   check_rc=False)
        try:
            return r.returncode, json.loads(r.stdout)
        except json.JSONDecodeError:
            return r.returncode, {"raw": r.stdout, "stderr": r.stderr}

    def decision_lines(self):
        try:
            with open(self.decisions) as f:
                return [json.loads(line) for line in f if line.strip()]
        except OSError:
            return []


def wait_for(what, predicate, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    am.check(False, f"{what} (waited {timeout}s)")
    return None


def start_labelled(engine, move_to):
    """The stateful container of agent_migration.py with a move_to label."""
    orig = engine.api

    def api(method, path, body=None):
        if path.startswith("/containers/create") and body is not None:
            body = dict(body)
            body["Labels"] = {**body.get("Labels", {}), "move_to": move_to}
        return orig(method, path, body)

    engine.api = api
    try:
        return am.start_stateful(engine)
    finally:
        engine.api = orig


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--roam", required=True)
    args = ap.parse_args()
    roam = os.path.abspath(args.roam)
    work = tempfile.mkdtemp(prefix="roam-manager-it-")
    os.chmod(work, 0o755)
    agents, engines, manager = [], [], None
    try:
        a, b = am.make_hosts()
        engines = [a, b]
        certs, _ = am.make_certs(roam, work)
        am.run([roam, "certs", "issue", certs, "manager"])
        with open(os.path.join(work, "state.json"), "w") as f:
            json.dump(STATE, f)
        policy = os.path.join(work, "follow.policy")
        with open(policy, "w") as f:
            f.write(POLICY)
        am.run([roam, "check", policy])

        agents = [am.Agent(roam, "a", a, certs, work), am.Agent(roam, "b", b, certs, work)]
        for agent in agents:
            agent.start()
        tokens = start_labelled(a, "b")
        am.log("agents up; `stateful` runs on a, labelled move_to=b")

        # 1. The policy fires and the container moves.
        manager = Manager(roam, work, certs, policy)
        manager.start()
        dispatch = wait_for("a dispatch line in the decision log",
                            lambda: [d for d in manager.decision_lines() if d["action"] == "dispatch"])
        if dispatch:
            d = dispatch[0]
            am.check(d["container"] == "stateful" and d["source"] == "a" and d["destination"] == "b",
                     f"the decision moves stateful a -> b: {d['container']} {d['source']} -> {d['destination']}")
            am.check(d["decision_id"].startswith("d-") and "decision_seconds" in d and "time" in d,
                     "the decision line has an id, a time and the decision time")

        def migrations():
            rc, out = manager.repl("migrations")
            return out.get("migrations") if rc == 0 and isinstance(out, dict) else None

        done = wait_for("the migration is done (roam repl --connect ... migrations)",
                        lambda: [m for m in (migrations() or []) if m.get("state") == "done"])
        if done:
            m = done[0]
            am.check(m["migration_seconds"] is not None and m["migration_seconds"] > 0,
                     f"migration time recorded: {m['migration_seconds']}")
            am.check(m["decision_seconds"] > 0, f"decision time recorded: {m['decision_seconds']}")
            am.check(dispatch and m["decision_id"] == dispatch[0]["decision_id"],
                     "the migration names its decision")
            outcome = wait_for("an outcome line in the decision log",
                               lambda: [d for d in manager.decision_lines()
                                        if d["action"] == "outcome"])
            if outcome:
                o = outcome[0]
                am.check(dispatch and o["decision_id"] == dispatch[0]["decision_id"]
                         and o["result"] == "success" and o["migration_id"] == m["migration_id"],
                         "the decision log's outcome line names the decision and its migration")
                am.check(o["freeze_ms"] > 0 and o["round_count"] == len(o["rounds"]) >= 1
                         and o["rounds"][-1]["frozen"],
                         f"the outcome line has the freeze and the rounds: {o['freeze_ms']} ms, "
                         f"{len(o['rounds'])} rounds")
        c = b.container("stateful")
        am.check(c is not None and c["State"]["Running"], "stateful runs on b")
        am.check(a.container("stateful") is None, "stateful is gone from a")
        am.check((am.http_get("b", "/fs-token"), am.http_get("b", "/vol-token")) == tokens,
                 "b serves the container's file-system and volume tokens")
        time.sleep(2)
        am.check(len([d for d in manager.decision_lines() if d["action"] == "dispatch"]) == 1,
                 "the placed container is not moved again")

        # 2. Hot reload: a broken policy is rejected, the old one keeps running.
        with open(policy, "w") as f:
            f.write(POLICY.replace("count(misplaced) > 0", "count(misplaced) >"))
        wait_for("the broken policy is rejected with a located error",
                 lambda: f"{policy}:" in manager.log_text() and "rejected" in manager.log_text(),
                 timeout=20)
        am.check(manager.proc.poll() is None, "the manager survives a broken policy")
        manager.proc.send_signal(signal.SIGHUP)
        wait_for("SIGHUP reloads (and rejects again)",
                 lambda: "reload (SIGHUP)" in manager.log_text(), timeout=20)
        rc, out = manager.repl("policy show")
        am.check(rc == 0 and "follow-label" in json.dumps(out), "policy show: the old policy is active")
        before = manager.log_text().count(" unchanged")
        with open(policy, "w") as f:
            f.write(POLICY)
        # The running version never changed, so the repaired file reads "unchanged".
        wait_for("the repaired file is taken again",
                 lambda: manager.log_text().count(" unchanged") > before, timeout=20)

        # 3. Manual migration back to a from the REPL. The label still says
        # b, so after the 1 s cooldown the policy moves it to b again: both
        # paths in one go.
        rc, out = manager.repl("migrate stateful to a")
        am.check(rc == 0 and out.get("ok"), f"manual migration accepted: {out}")
        wait_for("the manual migration is done",
                 lambda: [m for m in (migrations() or [])
                          if m.get("policy") == "manual" and m.get("state") == "done"])
        wait_for("the policy moves it back to b after the cooldown",
                 lambda: len([d for d in manager.decision_lines() if d["action"] == "dispatch"]) >= 2)
        wait_for("stateful runs on b again",
                 lambda: (b.container("stateful") or {}).get("State", {}).get("Running"))
        am.check((am.http_get("b", "/fs-token"), am.http_get("b", "/vol-token")) == tokens,
                 "after three moves b serves the same tokens")

        # 4. A restart finds nothing to reconcile.
        am.check(manager.stop() == 0, "the manager exits 0 on SIGTERM")
        manager.start()
        time.sleep(3)
        am.check("reconciling" not in manager.log_text().split("admin socket")[-1],
                 "a restarted manager has nothing to reconcile")
        am.check(len([d for d in manager.decision_lines() if d["action"] == "dispatch"]) == 2,
                 "and moves nothing")
    except Exception as e:  # noqa: BLE001
        am.failures.append(f"exception: {e!r}")
    finally:
        if manager:
            manager.stop()
            if am.failures:
                print("---- manager log ----\n" + manager.log_text()[-6000:], file=sys.stderr)
        for agent in agents:
            if am.failures:
                print(f"---- agent {agent.host} log ----\n" + agent.log_text()[-3000:], file=sys.stderr)
        am.teardown(agents, engines, work)
    if am.failures:
        print("FAILED:\n  " + "\n  ".join(am.failures), file=sys.stderr)
        return 1
    print("manager end-to-end: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
