#!/usr/bin/python3
"""Unit tests of testbed/lib/topogen.py and the testbed/topology CLI.
No root, no mininet, well under 2 s:

    tests/testbed/topogen_test.py
"""

import collections
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "testbed", "lib"))

import roam_testbed  # noqa: E402
import topogen  # noqa: E402

CLI = os.path.join(ROOT, "testbed", "topology")


def reachable(d):
    """Switches reached by BFS from the first switch over the links."""
    adj = collections.defaultdict(set)
    for ln in d["links"]:
        adj[ln["src"]].add(ln["dst"])
        adj[ln["dst"]].add(ln["src"])
    start = d["switches"][0]
    seen, queue = {start}, collections.deque([start])
    while queue:
        for nxt in adj[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


class Counts(unittest.TestCase):
    def counts(self, d):
        return len(d["switches"]), len(d["hosts"]), len(d["links"])

    def test_tree(self):
        self.assertEqual(self.counts(topogen.tree(2, 3)), (4, 3, 3))
        self.assertEqual(self.counts(topogen.tree(3, 2, hosts_per_switch=2)),
                         (7, 8, 6))
        self.assertEqual(self.counts(topogen.tree(1, 5, 4)), (1, 4, 0))

    def test_tree_breadth_first(self):
        d = topogen.tree(3, 2)
        self.assertEqual([(ln["src"], ln["dst"]) for ln in d["links"]],
                         [("s1", "s2"), ("s1", "s3"), ("s2", "s4"),
                          ("s2", "s5"), ("s3", "s6"), ("s3", "s7")])
        self.assertEqual([(h["name"], h["switch"]) for h in d["hosts"]],
                         [("h1", "s4"), ("h2", "s5"), ("h3", "s6"),
                          ("h4", "s7")])

    def test_linear(self):
        self.assertEqual(self.counts(topogen.linear(1)), (1, 1, 0))
        self.assertEqual(self.counts(topogen.linear(5, 2)), (5, 10, 4))

    def test_star(self):
        self.assertEqual(self.counts(topogen.star(3)), (4, 3, 3))
        d = topogen.star(4, hosts_per_switch=3)
        self.assertEqual(self.counts(d), (5, 12, 4))
        self.assertNotIn("s1", {h["switch"] for h in d["hosts"]})
        self.assertTrue(all(ln["src"] == "s1" for ln in d["links"]))

    def test_full(self):
        for n in (1, 2, 3, 5, 8):
            d = topogen.full(n)
            self.assertEqual(self.counts(d), (n, n, n * (n - 1) // 2))
            pairs = {frozenset((ln["src"], ln["dst"])) for ln in d["links"]}
            self.assertEqual(len(pairs), n * (n - 1) // 2)
            self.assertEqual(d["loops"], n >= 3)
            self.assertEqual(topogen.loop_free(d), n < 3)
        self.assertIn("loops", topogen.full(4)["_comment"])

    def test_limits_reachable(self):
        self.assertEqual(len(topogen.linear(64)["switches"]), 64)
        self.assertEqual(len(topogen.star(63)["switches"]), 64)
        self.assertEqual(len(topogen.tree(6, 2)["switches"]), 63)
        d = topogen.linear(50, hosts_per_switch=5)
        self.assertEqual(len(d["hosts"]), 250)
        self.assertEqual(d["hosts"][-1]["ip"], "10.0.0.250")
        self.assertEqual(d["hosts"][-1]["mac"], "00:00:00:00:00:fa")


class Shape(unittest.TestCase):
    LOOP_FREE = [topogen.tree(2, 3), topogen.tree(4, 2, 2),
                 topogen.tree(3, 1), topogen.linear(1), topogen.linear(7),
                 topogen.star(1), topogen.star(9, 2)]

    def test_connected_and_loop_free(self):
        for d in self.LOOP_FREE:
            with self.subTest(d["_comment"]):
                self.assertEqual(len(d["links"]), len(d["switches"]) - 1)
                self.assertEqual(reachable(d), set(d["switches"]))
                self.assertFalse(d["loops"])
                self.assertTrue(topogen.loop_free(d))
                self.assertEqual(topogen.components(d), 1)

    def test_full_connected(self):
        d = topogen.full(6)
        self.assertEqual(reachable(d), set(d["switches"]))

    def test_bandwidths(self):
        d = topogen.linear(3, bw=10, host_bw=2.5)
        self.assertTrue(all(ln["bw"] == 10 for ln in d["links"]))
        self.assertTrue(all(h["bw"] == 2.5 for h in d["hosts"]))
        d = topogen.linear(3)
        self.assertFalse(any("bw" in x for x in d["links"] + d["hosts"]))

    def test_comment(self):
        d = topogen.tree(2, 3, bw=5)
        self.assertIn("tree(depth=2, fanout=3", d["_comment"])
        self.assertIn("bw=5", d["_comment"])

    def test_from_dict_accepts_all(self):
        for d in self.LOOP_FREE + [topogen.full(1), topogen.full(4, 2)]:
            with self.subTest(d["_comment"]):
                topo = roam_testbed.Topology.from_dict(d)
                self.assertEqual(len(topo.switches), len(d["switches"]))
                self.assertEqual(len(topo.hosts), len(d["hosts"]))
                self.assertEqual(len(topo.links), len(d["links"]))
                ports = collections.defaultdict(list)
                for h in topo.hosts:
                    ports[h["switch"]].append(h["port"])
                for ln in topo.links:
                    ports[ln["src"]].append(ln["src_port"])
                    ports[ln["dst"]].append(ln["dst_port"])
                for sw, ps in ports.items():
                    self.assertEqual(len(ps), len(set(ps)), sw)
                # The roam measure file must be JSON-able.
                json.dumps(topo.roam_json())
                self.assertEqual(len({h["ip"] for h in topo.hosts}),
                                 len(topo.hosts))


class Errors(unittest.TestCase):
    def test_bad_parameters(self):
        bad = [
            (topogen.tree, (0, 2)), (topogen.tree, (2, 0)),
            (topogen.tree, (7, 2)), (topogen.tree, (64, 64)),
            (topogen.tree, (2.0, 2)), (topogen.tree, (True, 2)),
            (topogen.tree, ("2", 2)),
            (topogen.linear, (0,)), (topogen.linear, (65,)),
            (topogen.linear, (-1,)), (topogen.linear, (51, 5)),
            (topogen.star, (0,)), (topogen.star, (64,)),
            (topogen.full, (0,)), (topogen.full, (65,)),
            (topogen.full, (3, 0)), (topogen.full, (2, 251)),
        ]
        for fn, args in bad:
            with self.subTest(fn=fn.__name__, args=args):
                with self.assertRaises(ValueError):
                    fn(*args)

    def test_bad_bandwidths(self):
        for kw in ({"bw": 0}, {"bw": -1}, {"bw": 1001}, {"bw": "10"},
                   {"host_bw": 0}, {"host_bw": True}):
            with self.subTest(kw=kw):
                with self.assertRaises(ValueError):
                    topogen.linear(2, **kw)

    def test_messages_name_the_parameter(self):
        with self.assertRaisesRegex(ValueError, "fanout"):
            topogen.tree(2, 0)
        with self.assertRaisesRegex(ValueError, "at most 64"):
            topogen.tree(7, 2)
        with self.assertRaisesRegex(ValueError, "at most 250"):
            topogen.linear(51, 5)


class Cli(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([sys.executable, CLI] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=30)

    def test_generate_and_check(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "tree.json")
            r = self.run_cli("tree", "--depth", "2", "--fanout", "3",
                             "--hosts-per-switch", "2", "--bw", "10",
                             "--host-bw", "2.5", "-o", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(path) as f:
                self.assertEqual(json.load(f),
                                 topogen.tree(2, 3, 2, bw=10, host_bw=2.5))
            r = self.run_cli("check", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("4 switches, 6 hosts, 3 links", r.stdout)
            self.assertIn("loop-free", r.stdout)

            path = os.path.join(tmp, "full.json")
            self.assertEqual(self.run_cli("full", "--switches", "4",
                                          "-o", path).returncode, 0)
            r = self.run_cli("check", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("6 links", r.stdout)
            self.assertIn("has loops", r.stdout)

            path = os.path.join(tmp, "bad.json")
            with open(path, "w") as f:
                json.dump({"switches": ["s1"],
                           "hosts": [{"name": "h1", "switch": "s9"}]}, f)
            r = self.run_cli("check", path)
            self.assertEqual(r.returncode, 1)
            self.assertTrue(r.stderr.startswith("topology: %s: " % path),
                            r.stderr)

    def test_stdout_and_argument_errors(self):
        r = self.run_cli("star", "--leaves", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), topogen.star(3))
        r = self.run_cli("linear", "--switches", "0")
        self.assertEqual(r.returncode, 2)
        self.assertIn("switches must be between 1 and 64", r.stderr)
        self.assertEqual(self.run_cli("tree", "--depth", "2").returncode, 2)


class NoMininet(unittest.TestCase):
    def test_mininet_not_imported(self):
        self.assertNotIn("mininet", sys.modules)


if __name__ == "__main__":
    unittest.main()
