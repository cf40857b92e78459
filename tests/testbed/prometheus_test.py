#!/usr/bin/python3
"""testbed/lib/roam_prometheus.py with the real programs, without a testbed:
a `roam manager --dry-run --metrics` on a fixed state and Debian's Prometheus
on loopback scraping it. Prometheus's HTTP API must count the decisions the
decision log has, promtool must accept the endpoint, and stop() must leave no
server and no data directory. No root, no Mininet (the testbed run with
agents is integration:experiment-mtd, with --prometheus).

    prometheus_test.py --roam build/roam
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
import roam_prometheus  # noqa: E402

ROAM = os.path.join(REPO, "build", "roam")


class PrometheusScrapesTheManager(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="roam-prom-test-")
        self.address = "127.0.0.1:%d" % roam_prometheus.free_port()
        self.log = os.path.join(self.dir, "decisions.jsonl")
        self.manager = subprocess.Popen(
            [ROAM, "manager", "--policy", "policies/load-balancing/shortest-path.policy",
             "--state", "examples/states/paper-heterogeneous.json", "--dry-run",
             "--interval", "30s", "--duration", "60s",
             "--vib", os.path.join(self.dir, "vib.sqlite"),
             "--admin-socket", os.path.join(self.dir, "m.sock"),
             "--decision-log", self.log, "--metrics", self.address],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.prom = roam_prometheus.Prometheus(os.path.join(self.dir, "prom"), "pt",
                                               self.address, [])

    def tearDown(self):
        self.prom.stop()
        self.manager.terminate()
        self.manager.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def decisions(self):
        try:
            with open(self.log) as f:
                return float(sum(1 for line in f if line.strip()))
        except OSError:
            return 0.0

    def test_the_api_counts_what_the_decision_log_has(self):
        self.prom.start()
        value, want = self.prom.wait_for(
            'sum(roam_decisions_total{job="roam-manager",outcome="dry-run"})',
            self.decisions, timeout=20)
        self.assertEqual(want, 1)  # one evaluation at start, the next in 30 s
        self.assertEqual(value, want)
        self.assertEqual(self.prom.query('sum(roam_migrations_total) or vector(0)'), 0.0)
        self.assertEqual(self.prom.query('roam_build_info{job="roam-manager"}'), 1.0)
        self.assertEqual(self.prom.targets_up(), {self.address: "up"})
        self.assertIsNone(self.prom.query("this is not promql"))
        out = os.path.join(self.dir, "out")
        self.assertEqual(self.prom.check_endpoints(out), [])
        with open(os.path.join(out, "promtool.txt")) as f:
            self.assertIn("promtool check metrics: exit 0", f.read())
        self.assertTrue(os.path.exists(os.path.join(out, "metrics", "manager.prom")))

        pid = self.prom.proc.pid
        self.prom.stop()
        time.sleep(0.2)
        self.assertFalse(os.path.exists("/proc/%d" % pid) and
                         "prometheus" in open("/proc/%d/cmdline" % pid).read())
        self.assertFalse(os.path.exists(self.prom.data))

    def test_promtool_refuses_a_broken_exposition(self):
        status, output = roam_prometheus.promtool_check("roam_x_total{a=\"b} 1\n")
        self.assertNotEqual(status, 0)
        self.assertTrue(output)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--roam", default=ROAM)
    args, rest = ap.parse_known_args()
    ROAM = os.path.abspath(args.roam)
    unittest.main(argv=[sys.argv[0]] + rest)
