#!/usr/bin/python3
"""Unit tests of testbed/lib/roam_report.py and the testbed/report CLI:
statistics, table rendering, input errors with file:line, the Fig. 4 plot.
No root, no network; the plot tests need gnuplot (gnuplot-nox, installed by
scripts/install-deps)."""
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "testbed", "lib"))
import roam_report  # noqa: E402

REPORT_CLI = os.path.join(REPO, "testbed", "report")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
T0 = 1764047000.0


def run_row(scenario, policy, run, destination="h4", total=9.0, note="",
            decision_ok=1, reachable=1, expected="h4"):
    """A runs.csv row; total=None makes a failed run with empty measurements."""
    if total is None:
        return [scenario, policy, run, "h2", destination, expected, 0, 0,
                "", "", "", "", "", "", note]
    decision = 0.002
    started = T0 + 100 * run + 3
    return [scenario, policy, run, "h2", destination, expected, decision_ok, reachable,
            decision, total - decision, total, 9437184, started, started + total - decision, note]


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_runs(directory, rows):
    write_csv(os.path.join(directory, "runs.csv"), roam_report.RUN_COLUMNS, rows)


def write_bandwidth(directory, runs):
    """Ten one-second samples of h2 and h4 for each (scenario, policy, run)."""
    rows = []
    for scenario, policy, run in runs:
        for second in range(10):
            for host in ("h2", "h4"):
                rows.append([scenario, policy, run, T0 + 100 * run + second, host,
                             9_000_000 if host == "h2" else 1_000_000, 500_000])
    write_csv(os.path.join(directory, "bandwidth.csv"), roam_report.BANDWIDTH_COLUMNS, rows)


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="roam-report-test-")
        self.addCleanup(shutil.rmtree, self.dir)


class MeanCi95Test(unittest.TestCase):
    def test_four_values_use_t_with_three_degrees_of_freedom(self):
        mean, half = roam_report.mean_ci95([1, 2, 3, 4])
        self.assertAlmostEqual(mean, 2.5)
        # s = sqrt(5/3) = 1.290994, t(0.975, 3) = 3.182446, sqrt(4) = 2
        self.assertAlmostEqual(half, 3.182446 * 1.290994 / 2, places=5)

    def test_identical_values_have_no_spread(self):
        self.assertEqual(roam_report.mean_ci95([9.1] * 20), (9.1, 0.0))

    def test_one_value_has_no_interval(self):
        self.assertEqual(roam_report.mean_ci95([7.0]), (7.0, None))

    def test_no_values_is_an_error(self):
        with self.assertRaises(ValueError):
            roam_report.mean_ci95([])

    def test_t_beyond_the_table_continues_it_and_tends_to_normal(self):
        # Exact values: t(0.975, 30) = 2.042272, t(0.975, 40) = 2.021075, t(0.975, 120) = 1.979930.
        self.assertAlmostEqual(roam_report.student_t_975(40), 2.021075, places=4)
        self.assertAlmostEqual(roam_report.student_t_975(120), 1.979930, places=4)
        self.assertLess(roam_report.student_t_975(31), roam_report.student_t_975(30))
        self.assertAlmostEqual(roam_report.student_t_975(10**6), 1.959964, places=4)


class RenderTablesTest(TempDirTest):
    def render(self, rows):
        write_runs(self.dir, rows)
        return roam_report.render_tables(roam_report.read_runs(os.path.join(self.dir, "runs.csv")))

    def test_time_table_cells_in_the_papers_order(self):
        text = self.render([
            run_row("tree-7", "prf", 1, total=5.0),
            run_row("homogeneous", "random", 1, total=20.0),
            run_row("heterogeneous", "bandwidth", 1, total=1.0),
            run_row("heterogeneous", "bandwidth", 2, total=2.0),
            run_row("heterogeneous", "bandwidth", 3, total=3.0),
            run_row("heterogeneous", "bandwidth", 4, total=4.0),
        ])
        half = 3.182446 * 1.290994 / 2
        self.assertIn("| scenario | bandwidth | random | prf |", text)
        self.assertIn(f"| heterogeneous | 2.50 ± {half:.2f} | — | — |", text)
        self.assertIn("| homogeneous | — | 20.00 ± n/a | — |", text)
        self.assertIn("| tree-7 | — | — | 5.00 ± n/a |", text)

    def test_failed_runs_show_n_and_are_listed_with_their_note(self):
        text = self.render([
            run_row("heterogeneous", "random", 1, destination="h3", total=10.0),
            run_row("heterogeneous", "random", 2, destination="h5", total=12.0),
            run_row("heterogeneous", "random", 3, destination="", total=None,
                    note="agent h2: timeout"),
            run_row("homogeneous", "bandwidth", 1, destination="", total=None, note="no route"),
        ])
        self.assertIn("| heterogeneous | — | 11.00 ± 12.71 (n=2/3) |", text)
        self.assertIn("| homogeneous | — | — |", text)
        self.assertIn("- heterogeneous / random run 3: agent h2: timeout", text)
        self.assertIn("- homogeneous / bandwidth run 1: no route", text)

    def test_details_count_destinations_matches_and_reachability(self):
        rows = [run_row("heterogeneous", "random", i, destination=d, total=10.0,
                        decision_ok=int(d == "h4"), reachable=int(i != 2), expected="h3|h4|h5")
                for i, d in enumerate(["h10", "h3", "h4", "h3", "h5", "h4", "h3"], start=1)]
        text = self.render(rows)
        self.assertIn("| heterogeneous | random | 7 | 2.00 ± 0.00 | 10.00 ± 0.00 | — | — | 9.44 "
                      "| h3×3 h4×2 h5×1 h10×1 | 2/7 | 6/7 |", text)
        self.assertIn("## Failed runs\n\nNone.", text)

    def test_key_gathering_shown_for_mtd_runs(self):
        rows = [run_row("homogeneous", "shamir", i, destination="h3", total=10.0) + [k]
                for i, k in enumerate([0.5, 0.7], start=1)]
        write_csv(os.path.join(self.dir, "runs.csv"), list(roam_report.RUN_COLUMNS) + ["key_s"], rows)
        text = roam_report.render_tables(roam_report.read_runs(os.path.join(self.dir, "runs.csv")))
        self.assertIn("| homogeneous | shamir | 2 | 2.00 ± 0.00 | 10.00 ± 0.00 | 0.60 ± 1.27 |",
                      text)

    def test_freeze_shown_for_pre_copy_runs(self):
        rows = [run_row("heterogeneous", "bandwidth", i) + ["", f, 3]
                for i, f in enumerate([200.0, 240.0], start=1)]
        write_csv(os.path.join(self.dir, "runs.csv"),
                  list(roam_report.RUN_COLUMNS) + ["key_s", "freeze_ms", "rounds"], rows)
        runs = roam_report.read_runs(os.path.join(self.dir, "runs.csv"))
        self.assertEqual([r.rounds for r in runs], [3, 3])
        text = roam_report.render_tables(runs)
        self.assertIn("| heterogeneous | bandwidth | 2 | 2.00 ± 0.00 | 9.00 ± 0.00 | — | "
                      "220.00 ± 254.12 |", text)

    def test_details_count_runs_whose_client_kept_its_connection(self):
        columns = list(roam_report.RUN_COLUMNS) + ["client_connections"]
        rows = [run_row("heterogeneous", "bandwidth", i) + [c]
                for i, c in enumerate(["1", "1", "3"], start=1)]
        write_csv(os.path.join(self.dir, "runs.csv"), columns, rows)
        runs = roam_report.read_runs(os.path.join(self.dir, "runs.csv"))
        self.assertEqual([r.client_connections for r in runs], [1, 1, 3])
        text = roam_report.render_tables(runs)
        self.assertIn("| 3/3 | 3/3 | — | 2/3 |", text)  # paper, reachable, mode, kept
        self.assertIn("| reachable after | mode | connection kept |", text)

    def test_no_checkpoint_section_without_checkpoint_runs(self):
        text = self.render([run_row("heterogeneous", "bandwidth", 1)])
        self.assertNotIn("Checkpoint migrations", text)
        self.assertIn("| 1/1 | 1/1 | — |", text)  # as in the paper, reachable, mode

    def test_papers_values_and_mtd_only_when_such_policies_ran(self):
        text = self.render([run_row("heterogeneous", "bandwidth", 1)])
        self.assertIn("| heterogeneous (Table I) | 9.10 ± 0.15 | 40.10 ± 0.15 | 23.60 ± 7.12 |", text)
        self.assertIn("| homogeneous (Table II) | 18.60 ± 0.91 | 17.10 ± 0.16 | 18.70 ± 0.91 |", text)
        self.assertNotIn("Table III", text)
        text = self.render([run_row("homogeneous", "shamir", 1), run_row("homogeneous", "prf", 1)])
        self.assertIn("| paper | shamir | prf (Random (PRF)) |", text)
        self.assertIn("| homogeneous, MTD (Table III) | 40.10 ± 6.60 | 27.20 ± 3.70 |", text)

    def test_a_pipe_in_a_note_does_not_break_the_table(self):
        text = self.render([run_row("heterogeneous", "bandwidth", 1, total=None, note="a | b\nc")])
        self.assertIn("run 1: a \\| b c", text)


# A VIB `migrations` row as the experiment reads it (SELECT *): the columns
# the manager fills from the source's DONE (docs/vib.md, schema version 6).
def vib_migration(mode, freeze_ms, **split):
    row = {"state": "done", "source": "h2", "destination": "h4", "mode": "auto",
           "reported_mode": mode, "freeze_ms": freeze_ms, "rounds": 3,
           "dump_ms": 0.0, "transfer_ms": 0.0, "restore_ms": 0.0, "redirect_ms": 0.0,
           "memory_bytes": 0}
    row.update(split)
    return row


class ExperimentColumnsTest(TempDirTest):
    """The experiment's runs.csv (testbed/lib/roam_experiment.py) and the
    report reading it back: the mode, and the checkpoint migration's split."""

    def setUp(self):
        super().setUp()
        import roam_experiment  # noqa: E402 (after sys.path; needs no root)
        self.experiment = roam_experiment

    def test_new_columns_are_appended_after_the_existing_ones(self):
        self.assertEqual(self.experiment.RUN_COLUMNS, [
            "scenario", "policy", "run", "source", "destination", "expected",
            "decision_ok", "reachable", "decision_s", "migration_s", "total_s", "bytes",
            "started_t", "finished_t", "note", "key_s", "latency_pairs", "freeze_ms",
            "rounds", "mode", "dump_ms", "transfer_ms", "restore_ms", "memory_bytes",
            "client_connections", "redirect_ms"])

    def test_a_checkpoint_migration_keeps_its_split(self):
        columns = self.experiment.migration_columns(vib_migration(
            "checkpoint", 212.0, dump_ms=81.5, transfer_ms=60.25, restore_ms=65.25,
            redirect_ms=5.0, memory_bytes=104857600))
        self.assertEqual(columns, {"freeze_ms": "212.0", "rounds": 3, "mode": "checkpoint",
                                   "dump_ms": "81.5", "transfer_ms": "60.2",
                                   "restore_ms": "65.2", "redirect_ms": "5.0",
                                   "memory_bytes": 104857600})

    def test_a_snapshot_migration_has_a_mode_and_no_split(self):
        columns = self.experiment.migration_columns(vib_migration("snapshot", 150.0))
        self.assertEqual(columns, {"freeze_ms": "150.0", "rounds": 3, "mode": "snapshot",
                                   "dump_ms": "", "transfer_ms": "", "restore_ms": "",
                                   "redirect_ms": "", "memory_bytes": ""})
        # A row written before the VIB kept the mode (schema 4): no mode.
        old = vib_migration("", 150.0)
        del old["reported_mode"]
        self.assertEqual(self.experiment.migration_columns(old)["mode"], "")

    def test_the_report_reads_what_the_experiment_wrote(self):
        results = self.experiment.Results(self.dir)
        splits = [("checkpoint", 200.0, 80.0, 60.0, 55.0, 5.0, 10_000_000),
                  ("checkpoint", 240.0, 100.0, 80.0, 53.0, 7.0, 12_000_000),
                  ("snapshot", 150.0, 0, 0, 0, 0, 0)]
        for run, (mode, freeze, dump, transfer, restore, redirect, memory) in enumerate(
                splits, start=1):
            fields = run_row("heterogeneous", "bandwidth", run)
            row = dict(zip(roam_report.RUN_COLUMNS, fields))
            row.update(self.experiment.migration_columns(vib_migration(
                mode, freeze, dump_ms=dump, transfer_ms=transfer, restore_ms=restore,
                redirect_ms=redirect, memory_bytes=memory)))
            results.add(row, [])
        # A failed checkpoint run counts in the runs, not in the means.
        failed = dict(zip(roam_report.RUN_COLUMNS,
                          run_row("heterogeneous", "bandwidth", 4, total=None, note="x")))
        failed["mode"] = "checkpoint"
        results.add(failed, [])

        runs = roam_report.read_runs(os.path.join(self.dir, "runs.csv"))
        self.assertEqual([r.mode for r in runs], ["checkpoint", "checkpoint", "snapshot",
                                                  "checkpoint"])
        self.assertEqual([r.dump_ms for r in runs], [80.0, 100.0, None, None])
        self.assertEqual([r.memory_bytes for r in runs], [10_000_000, 12_000_000, None, None])
        text = roam_report.render_tables(runs)
        # The details count the modes; the new section splits the freeze.
        self.assertIn("| 3/4 | 3/4 | checkpoint×3 snapshot×1 |", text)
        self.assertIn("## Checkpoint migrations: the freeze split", text)
        self.assertIn("| scenario | policy | checkpoint runs | freeze (ms) | dump (ms) | "
                      "transfer (ms) | restore (ms) | redirect (ms) | memory (MB) |", text)
        self.assertIn("| heterogeneous | bandwidth | 2/4 | 220.00 ± 254.12 | 90.00 ± 127.06 | "
                      "70.00 ± 127.06 | 54.00 ± 12.71 | 6.00 ± 12.71 | 11.00 ± 12.71 |", text)
        self.assertLess(text.index("## Details"), text.index("## Checkpoint migrations"))
        self.assertLess(text.index("## Checkpoint migrations"), text.index("## Failed runs"))


class ReadErrorTest(TempDirTest):
    def test_bad_mode_names_file_and_line(self):
        rows = [run_row("heterogeneous", "bandwidth", 1) + ["live"]]
        path = os.path.join(self.dir, "runs.csv")
        write_csv(path, list(roam_report.RUN_COLUMNS) + ["mode"], rows)
        with self.assertRaises(roam_report.ReportError) as caught:
            roam_report.read_runs(path)
        self.assertEqual(str(caught.exception), f"{path}:2: bad mode 'live' "
                         "(want auto, snapshot, checkpoint or empty)")

    def test_bad_number_names_file_line_and_column(self):
        rows = [run_row("heterogeneous", "bandwidth", i) for i in (1, 2, 3)]
        rows[2][10] = "x"  # total_s of the third data row: line 4
        write_runs(self.dir, rows)
        path = os.path.join(self.dir, "runs.csv")
        with self.assertRaises(roam_report.ReportError) as caught:
            roam_report.read_runs(path)
        self.assertEqual(str(caught.exception), f"{path}:4: bad total_s 'x'")

    def test_wrong_field_count_and_missing_column(self):
        path = os.path.join(self.dir, "bandwidth.csv")
        with open(path, "w") as handle:
            handle.write("scenario,policy,run,t,host,rx_bps,tx_bps\nhet,bw,1,2.0,h2,3\n")
        with self.assertRaisesRegex(roam_report.ReportError, r"bandwidth.csv:2: expected 7 fields, got 6"):
            roam_report.read_bandwidth(path)
        with open(path, "w") as handle:
            handle.write("scenario,policy,run,t,host\n")
        with self.assertRaisesRegex(roam_report.ReportError, r"bandwidth.csv:1: missing column\(s\) rx_bps, tx_bps"):
            roam_report.read_bandwidth(path)


class CliTest(TempDirTest):
    def report(self, *args):
        return subprocess.run([sys.executable, REPORT_CLI, *args], capture_output=True,
                              text=True, timeout=30, check=False)

    def test_malformed_line_is_reported_with_file_and_line(self):
        rows = [run_row("heterogeneous", "bandwidth", i) for i in (1, 2, 3, 4)]
        rows[3][10] = "x"  # line 5
        write_runs(self.dir, rows)
        result = self.report(self.dir)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stderr,
                         f"report: {os.path.join(self.dir, 'runs.csv')}:5: bad total_s 'x'\n")
        self.assertEqual(result.stdout, "")

    def test_missing_runs_file(self):
        result = self.report(self.dir)
        self.assertEqual(result.returncode, 1)
        self.assertIn("runs.csv: no such file", result.stderr)
        self.assertTrue(result.stderr.startswith("report: "))

    def test_bad_plot_argument(self):
        write_runs(self.dir, [run_row("heterogeneous", "bandwidth", 1)])
        result = self.report(self.dir, "--plot", "heterogeneous/bandwidth")
        self.assertEqual(result.returncode, 1)
        self.assertIn("report: --plot wants SCENARIO/POLICY/RUN", result.stderr)

    def test_unknown_plot_run(self):
        write_runs(self.dir, [run_row("heterogeneous", "bandwidth", 1)])
        write_bandwidth(self.dir, [("heterogeneous", "bandwidth", 1)])
        result = self.report(self.dir, "--plot", "homogeneous/bandwidth/1")
        self.assertEqual(result.returncode, 1)
        self.assertIn("report: no run homogeneous/bandwidth/1", result.stderr)


class PlotChoiceTest(TempDirTest):
    def test_default_prefers_heterogeneous_bandwidth_then_any_success(self):
        write_runs(self.dir, [run_row("homogeneous", "random", 1),
                              run_row("heterogeneous", "bandwidth", 1, total=None),
                              run_row("heterogeneous", "bandwidth", 2)])
        runs = roam_report.read_runs(os.path.join(self.dir, "runs.csv"))
        self.assertEqual(roam_report.choose_plot_run(runs).key, ("heterogeneous", "bandwidth", 2))
        self.assertEqual(roam_report.choose_plot_run(runs[:2]).key, ("homogeneous", "random", 1))
        self.assertIsNone(roam_report.choose_plot_run(runs[1:2]))
        chosen = roam_report.choose_plot_run(runs, ("heterogeneous", "bandwidth", 1))
        self.assertEqual(chosen.key, ("heterogeneous", "bandwidth", 1))


class PlotTest(TempDirTest):
    def setUp(self):
        super().setUp()
        write_runs(self.dir, [run_row("homogeneous", "bandwidth", 1),
                              run_row("heterogeneous", "bandwidth", 2, total=5.0)])
        write_bandwidth(self.dir, [("homogeneous", "bandwidth", 1),
                                   ("heterogeneous", "bandwidth", 2)])

    def test_data_is_relative_seconds_and_summed_mbits(self):
        with self.assertRaises(roam_report.ReportError):  # no gnuplot: .dat and .gp still written
            roam_report.write_report(self.dir, gnuplot="/nonexistent/gnuplot")
        with open(os.path.join(self.dir, "fig4.dat")) as handle:
            lines = [l.split() for l in handle if not l.startswith("#")]
        self.assertEqual(lines[0], ["0.000", "9.500000", "1.500000"])
        self.assertEqual(len(lines), 10)
        with open(os.path.join(self.dir, "fig4.gp")) as handle:
            script = handle.read()
        self.assertIn("title 'source h2'", script)
        self.assertIn("title 'destination h4'", script)
        self.assertIn("set arrow 1 from first 3.000", script)  # started 3 s after the first sample
        self.assertIn("set arrow 2 from first 7.998", script)

    def test_missing_gnuplot_names_the_package(self):
        with self.assertRaisesRegex(roam_report.ReportError, "gnuplot-nox"):
            roam_report.write_report(self.dir, gnuplot="/nonexistent/gnuplot")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "fig4.png")))

    def test_cli_draws_a_png(self):
        result = subprocess.run([sys.executable, REPORT_CLI, self.dir, "--plot",
                                 "homogeneous/bandwidth/1"],
                                capture_output=True, text=True, timeout=30, check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        names = ["tables.md", "fig4.png", "fig4.dat", "fig4.gp"]
        self.assertEqual(result.stdout.split(), [os.path.join(self.dir, n) for n in names])
        with open(os.path.join(self.dir, "fig4.png"), "rb") as handle:
            self.assertEqual(handle.read(8), PNG_MAGIC)


if __name__ == "__main__":
    unittest.main()
