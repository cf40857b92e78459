#!/usr/bin/python3
"""Unit tests of lossless_migration.py's analysis (no root, no engines, well
under a second): a lossless migration passes every check, including a
freeze between the volume write and the counter write, and today's losses
are named exactly.

    tests/integration/lossless_migration_test.py
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lossless_migration as lm  # noqa: E402


def lines(first, last, boot):
    return [(n, boot) for n in range(first, last + 1)]


def polls(host, start, end, step=0.01, body="1"):
    out, t = [], start
    while t <= end + 1e-9:
        out.append({"host": host, "sent": t - 0.001, "t": t, "status": "200", "body": body})
        t += step
    return out


class AnalysisTest(unittest.TestCase):
    def setUp(self):
        del lm.failures[:]

    def test_ranges(self):
        self.assertEqual(lm.ranges([9, 3, 4, 5, 5]), "3-5, 9")
        self.assertEqual(lm.ranges([7]), "7")
        self.assertEqual(lm.ranges([]), "")

    def test_parse_log_drops_a_partial_last_line(self):
        self.assertEqual(lm.parse_log("1 ab\n2 ab\n3 a"), [(1, "ab"), (2, "ab")])
        self.assertEqual(lm.parse_log("1 ab\n2 ab\n"), [(1, "ab"), (2, "ab")])
        self.assertEqual(lm.parse_log(""), [])

    def test_parse_starts(self):
        self.assertEqual(lm.parse_starts("s1 c=0 v=0\nd1 c=100 v=100\n")[-1],
                         {"boot": "d1", "c": 100, "v": 100})
        with self.assertRaises(RuntimeError):
            lm.parse_starts("")

    def test_lossless_migration_passes(self):
        src = lines(1, 100, "s")
        dst = src + lines(101, 150, "d")
        row = lm.check_lines("m", src, dst, "s", {"boot": "d", "c": 100, "v": 100})
        self.assertEqual(lm.check_counter("m", {"boot": "d", "c": 100, "v": 100}), "same")
        self.assertEqual(lm.failures, [])
        self.assertEqual((row["missing"], row["duplicates"], row["gaps"], row["resumed_at"]),
                         (0, 0, 0, 101))

    def test_freeze_between_the_two_writes_passes(self):
        # Frozen after line 100 reached the volume, before the counter said
        # 100: the copy starts with c=99, v=100 and goes on at 101.
        src = lines(1, 100, "s")
        dst = src + lines(101, 120, "d")
        lm.check_lines("m", src, dst, "s", {"boot": "d", "c": 99, "v": 100})
        self.assertEqual(lm.check_counter("m", {"boot": "d", "c": 99, "v": 100}), "same")
        self.assertEqual(lm.failures, [])

    def test_a_later_migration_checks_only_its_own_part(self):
        # An earlier copy "s0" wrote 1..50; the source "s" 51..100.
        src = lines(1, 50, "s0") + lines(51, 100, "s")
        dst = src + lines(101, 110, "d")
        lm.check_lines("m", src, dst, "s", {"boot": "d", "c": 100, "v": 100})
        self.assertEqual(lm.failures, [])

    def test_todays_losses_are_named(self):
        # The volume was archived at 192, the file system at 187; the source
        # went on to 381; the destination restarted from 187.
        src = lines(1, 381, "s")
        dst = lines(1, 192, "s") + lines(188, 250, "d")
        row = lm.check_lines("#1 A->B", src, dst, "s", {"boot": "d", "c": 187, "v": 192})
        counter = lm.check_counter("#1 A->B", {"boot": "d", "c": 187, "v": 192})
        self.assertEqual((row["missing"], row["duplicates"], row["gaps"]), (189, 5, 0))
        self.assertEqual(counter, "fs -5")
        text = "\n".join(lm.failures)
        self.assertIn("lines 193-381 written by the source missing on the destination", text)
        self.assertIn("line numbers 188-192 written twice on the destination", text)
        self.assertIn("first line is 188, the source's last was 381 (expected 382)", text)
        self.assertIn("the file system is 5 writes older than the volume", text)

    def test_a_gap_and_a_newer_file_system_are_named(self):
        src = lines(1, 100, "s")
        dst = lines(1, 100, "s") + lines(104, 110, "d")
        row = lm.check_lines("m", src, dst, "s", {"boot": "d", "c": 103, "v": 100})
        self.assertEqual(row["gaps"], 3)
        self.assertEqual(lm.check_counter("m", {"boot": "d", "c": 103, "v": 100}), "fs +3")
        text = "\n".join(lm.failures)
        self.assertIn("line numbers 101-103 never written on the destination", text)
        self.assertIn("the volume is 3 writes older than the file system", text)

    def test_lines_out_of_order_fail(self):
        src = lines(1, 3, "s")
        dst = [(1, "s"), (3, "s"), (2, "s")] + lines(4, 5, "d")
        lm.check_lines("m", src, dst, "s", {"boot": "d", "c": 3, "v": 3})
        self.assertTrue(any("not in the source's order" in f for f in lm.failures))

    def test_one_copy_serving_at_a_time_passes_and_reports_the_gap(self):
        p = polls("a", 10.0, 12.0) + polls("b", 12.25, 14.0)
        row = lm.check_serving("m", p, "a", "b", 9.0, 15.0)
        self.assertEqual(lm.failures, [])
        self.assertEqual(row["double_ms"], 0.0)
        self.assertAlmostEqual(row["gap_ms"], 250.0, delta=1.0)

    def test_two_copies_serving_is_measured(self):
        # A answers until 13.8, B from 11.0: 2.8 s of two copies serving.
        p = polls("a", 10.0, 13.8) + polls("b", 11.0, 14.0)
        row = lm.check_serving("m", p, "a", "b", 9.0, 15.0)
        self.assertAlmostEqual(row["double_ms"], 2800.0, delta=1.0)
        self.assertTrue(any("both hosts answered for 2800 ms" in f for f in lm.failures))

    def test_an_answer_read_late_to_a_request_sent_before_is_not_double_serving(self):
        # A's last request went out at 11.995, before B answered at 12.0; its
        # answer was read at 12.004 (a busy client): served before the freeze.
        p = polls("a", 10.0, 11.9) + polls("b", 12.0, 14.0)
        p.append({"host": "a", "sent": 11.995, "t": 12.004, "status": "200", "body": "41"})
        row = lm.check_serving("m", p, "a", "b", 9.0, 15.0)
        self.assertEqual(lm.failures, [])
        self.assertEqual(row["double_ms"], 0.0)

    def test_errors_are_not_answers(self):
        p = polls("a", 10.0, 11.0) + polls("b", 11.1, 12.0)
        p.append({"host": "a", "sent": 11.5, "t": 11.8, "status": "ConnectionResetError", "body": ""})
        lm.check_serving("m", p, "a", "b", 9.0, 15.0)
        self.assertEqual(lm.failures, [])

    def test_no_answer_from_the_destination_fails(self):
        lm.check_serving("m", polls("a", 10.0, 11.0), "a", "b", 9.0, 15.0)
        self.assertEqual(lm.failures, ["m: the destination never answered HTTP"])


if __name__ == "__main__":
    unittest.main(verbosity=1)
