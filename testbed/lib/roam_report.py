"""Turns an experiment results directory into the paper's tables and Fig. 4.

The experiment runner reproduces Tables I and II of the paper (load balancing:
migration time, mean ± 95% confidence interval over 20 runs), Table III (Moving
Target Defense) and Fig. 4 (bandwidth of the migration's source and destination
hosts around one migration). It writes two CSV files (comma-separated, header
row, Python's csv module); this module reads them and writes

    RESULTS/tables.md   measured tables beside the paper's values, details, failures
    RESULTS/fig4.png    the Fig. 4-style plot of one run, drawn by gnuplot
    RESULTS/fig4.dat    the plotted data  } kept so people can restyle the plot:
    RESULTS/fig4.gp     the gnuplot script}  cd RESULTS && gnuplot fig4.gp

RESULTS/runs.csv, one row per run:

    scenario,policy,run,source,destination,expected,decision_ok,reachable,
    decision_s,migration_s,total_s,bytes,started_t,finished_t,note

  scenario      heterogeneous | homogeneous | any other name (e.g. tree-7)
  policy        bandwidth | shortest-path | random | any other (shamir, fountain, prf)
  run           1, 2, ...
  source, destination   host names (destination empty when nothing was chosen)
  expected      what the paper expects, as text ("h4", "h3|h4|h5")
  decision_ok   1 when the decision matches the paper, else 0
  reachable     1 when the service answered after the migration, else 0
  decision_s, migration_s, total_s (= decision + migration), bytes
                empty for a failed run; a run counts as successful when total_s is set
  started_t, finished_t   Unix times (float) of the migration's start and end
  note          why a run failed (free text)
  freeze_ms, rounds (optional columns) the pre-copy migration's freeze (source
                frozen until the destination's copy ran) and its rounds
  mode          (optional column) the mode the migration ran in, as the source's
                DONE reported it: snapshot or checkpoint (auto when an agent
                did not resolve it); empty when no DONE came
  dump_ms, transfer_ms, restore_ms, memory_bytes (optional columns) checkpoint
                migrations only, empty otherwise: the freeze split into CRIU's
                dump, the transfer of the final delta and the checkpoint
                images, and the destination's restore; the images' bytes (the
                process memory moved)
  redirect_ms   (optional column) checkpoint migrations only: the freeze's last
                part, the service address moving to the destination (plus the
                manager's rewrite rules for a service without an address)
  client_connections (optional column) how many connections the iperf3
                client opened during the run: 1 when its connection survived
                the migration (checkpoint mode), more when it reconnected
  key_s         (optional column) MTD only: the source's key gathering, part of
                migration_s; shown as "key gathering (s)" in the details

RESULTS/bandwidth.csv, one row per host per second of every run:

    scenario,policy,run,t,host,rx_bps,tx_bps

  t is a Unix time (float); rx_bps/tx_bps are bit/s on the host's link.

Import it (the runner does) or use the CLI testbed/report:

    sys.path.insert(0, "<repo>/testbed/lib")
    import roam_report
    paths = roam_report.write_report("results/", plot_run=("heterogeneous", "bandwidth", 1))

Every problem with the input is raised as ReportError with a message naming
the file and line ("results/runs.csv:5: bad total_s 'x'").
"""

import collections
import csv
import dataclasses
import math
import os
import re
import shutil
import statistics
import subprocess
import types

RUNS_FILE = "runs.csv"
BANDWIDTH_FILE = "bandwidth.csv"
TABLES_FILE = "tables.md"
FIG4_STEM = "fig4"
GNUPLOT_PACKAGE = "gnuplot-nox"

# The order the paper presents things in; anything else follows in first-seen order.
POLICY_ORDER = ("bandwidth", "shortest-path", "random")
SCENARIO_ORDER = ("heterogeneous", "homogeneous")
DEFAULT_PLOT = ("heterogeneous", "bandwidth")
# The migration modes a DONE reports (runs.csv's optional mode column).
MODES = ("", "auto", "snapshot", "checkpoint")

# The paper's results, (mean, 95% CI half-width) in seconds.
# Tables I (heterogeneous) and II (homogeneous): load balancing.
PAPER_LOAD_BALANCING = types.MappingProxyType({
    ("heterogeneous", "bandwidth"): (9.1, 0.15),
    ("heterogeneous", "shortest-path"): (40.1, 0.15),
    ("heterogeneous", "random"): (23.6, 7.12),
    ("homogeneous", "bandwidth"): (18.6, 0.91),
    ("homogeneous", "shortest-path"): (17.1, 0.16),
    ("homogeneous", "random"): (18.7, 0.91),
})
# Table III: Moving Target Defense on the homogeneous topology. The paper's
# "Random" column there is the PRF lookup policy, hence the key "prf".
PAPER_MTD = types.MappingProxyType({
    "fountain": (36.6, 5.20),
    "shamir": (40.1, 6.60),
    "prf": (27.2, 3.70),
})
PAPER_MTD_TITLES = types.MappingProxyType({
    "fountain": "Digital Fountain", "shamir": "Shamir", "prf": "Random (PRF)"})

# Two-sided 95% critical values of Student's t, t(0.975, df) for df = 1..30
# (index df-1), to 6 decimals as in any statistics table. Beyond 30 degrees of
# freedom student_t_975() uses the Cornish-Fisher expansion around the normal
# quantile, which agrees with exact values to better than 1e-4 there.
T_975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624,
         2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787,
         2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614,
         2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407,
         2.045230, 2.042272)
Z_975 = 1.959964

RUN_COLUMNS = ("scenario", "policy", "run", "source", "destination", "expected",
               "decision_ok", "reachable", "decision_s", "migration_s", "total_s",
               "bytes", "started_t", "finished_t", "note")
BANDWIDTH_COLUMNS = ("scenario", "policy", "run", "t", "host", "rx_bps", "tx_bps")


class ReportError(Exception):
    """Bad or missing input, or a tool that failed; the message says which."""


@dataclasses.dataclass(frozen=True)
class Run:
    scenario: str
    policy: str
    run: int
    source: str
    destination: str
    expected: str
    decision_ok: bool
    reachable: bool
    decision_s: float | None
    migration_s: float | None
    total_s: float | None
    bytes: float | None
    started_t: float | None
    finished_t: float | None
    note: str
    # MTD only: the source's key gathering, included in migration_s (the
    # manager times the migration from MTD_MIGRATE to DONE). Optional column.
    key_s: float | None = None
    # Pre-copy: the source copy frozen until the destination's ran, and the
    # rounds (the frozen one included). Optional columns (older runs lack them).
    freeze_ms: float | None = None
    rounds: int | None = None
    # The mode the migration ran in ("" when unknown) and, for a checkpoint
    # migration, its freeze's split and the process memory moved. Optional
    # columns (older runs lack them).
    mode: str = ""
    dump_ms: float | None = None
    transfer_ms: float | None = None
    restore_ms: float | None = None
    redirect_ms: float | None = None
    memory_bytes: int | None = None
    # The client's connections during the run (optional; 1 = it survived).
    client_connections: int | None = None

    @property
    def key(self):
        return (self.scenario, self.policy, self.run)

    @property
    def succeeded(self):
        return self.total_s is not None


@dataclasses.dataclass(frozen=True)
class Sample:
    scenario: str
    policy: str
    run: int
    t: float
    host: str
    rx_bps: float
    tx_bps: float

    @property
    def run_key(self):
        return (self.scenario, self.policy, self.run)


# --- statistics -------------------------------------------------------------

def student_t_975(df):
    """t(0.975, df): the table up to 30, the Cornish-Fisher expansion beyond."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df <= len(T_975):
        return T_975[df - 1]
    z = Z_975
    return (z
            + (z**3 + z) / (4 * df)
            + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3))


def mean_ci95(values):
    """(mean, half-width of the 95% confidence interval of the mean).

    half = t(0.975, n-1) * s / sqrt(n), s the sample standard deviation.
    With one value there is no spread to estimate: half is None.
    """
    values = list(values)
    if not values:
        raise ValueError("mean_ci95 of no values")
    mean = statistics.fmean(values)
    if len(values) == 1:
        return mean, None
    n = len(values)
    half = student_t_975(n - 1) * statistics.stdev(values) / math.sqrt(n)
    return mean, half


# --- reading ----------------------------------------------------------------

def _parse_float(text, column, where):
    try:
        value = float(text)
    except ValueError:
        raise ReportError(f"{where}: bad {column} {text!r}") from None
    if not math.isfinite(value):
        raise ReportError(f"{where}: bad {column} {text!r}")
    return value


def _parse_optional_float(text, column, where):
    return None if text.strip() == "" else _parse_float(text, column, where)


def _parse_int(text, column, where):
    try:
        return int(text)
    except ValueError:
        raise ReportError(f"{where}: bad {column} {text!r}") from None


def _parse_optional_int(text, column, where):
    return None if (text or "").strip() == "" else _parse_int(text, column, where)


def _parse_mode(text, where):
    mode = (text or "").strip()
    if mode not in MODES:
        raise ReportError(f"{where}: bad mode {mode!r} (want "
                          + ", ".join(m for m in MODES if m) + " or empty)")
    return mode


def _parse_flag(text, column, where):
    # A failed run may leave the flags empty: nothing was confirmed, so false.
    if text.strip() in ("", "0"):
        return False
    if text.strip() == "1":
        return True
    raise ReportError(f"{where}: bad {column} {text!r} (want 0 or 1)")


def _read_csv_rows(path, columns):
    """Yields (where, {column: text}) for each data row; checks shape and header."""
    try:
        handle = open(path, newline="", encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except OSError as error:
        raise ReportError(f"{path}: {error.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise ReportError(f"{path}: empty file, expected a header row")
            missing = [c for c in columns if c not in header]
            if missing:
                raise ReportError(f"{path}:1: missing column(s) {', '.join(missing)}")
            for fields in reader:
                where = f"{path}:{reader.line_num}"
                if not fields:
                    continue  # a blank line carries nothing
                if len(fields) != len(header):
                    raise ReportError(
                        f"{where}: expected {len(header)} fields, got {len(fields)}")
                yield where, dict(zip(header, fields))
        except csv.Error as error:
            raise ReportError(f"{path}:{reader.line_num}: {error}") from None
        except UnicodeDecodeError as error:
            raise ReportError(f"{path}: not UTF-8 text ({error.reason})") from None


def _run_from_row(row, where):
    return Run(
        scenario=row["scenario"],
        policy=row["policy"],
        run=_parse_int(row["run"], "run", where),
        source=row["source"],
        destination=row["destination"],
        expected=row["expected"],
        decision_ok=_parse_flag(row["decision_ok"], "decision_ok", where),
        reachable=_parse_flag(row["reachable"], "reachable", where),
        decision_s=_parse_optional_float(row["decision_s"], "decision_s", where),
        migration_s=_parse_optional_float(row["migration_s"], "migration_s", where),
        total_s=_parse_optional_float(row["total_s"], "total_s", where),
        bytes=_parse_optional_float(row["bytes"], "bytes", where),
        started_t=_parse_optional_float(row["started_t"], "started_t", where),
        finished_t=_parse_optional_float(row["finished_t"], "finished_t", where),
        note=row["note"],
        key_s=_parse_optional_float(row.get("key_s", ""), "key_s", where),
        freeze_ms=_parse_optional_float(row.get("freeze_ms", ""), "freeze_ms", where),
        rounds=_parse_optional_int(row.get("rounds", ""), "rounds", where),
        mode=_parse_mode(row.get("mode", ""), where),
        dump_ms=_parse_optional_float(row.get("dump_ms", ""), "dump_ms", where),
        transfer_ms=_parse_optional_float(row.get("transfer_ms", ""), "transfer_ms", where),
        restore_ms=_parse_optional_float(row.get("restore_ms", ""), "restore_ms", where),
        redirect_ms=_parse_optional_float(row.get("redirect_ms", ""), "redirect_ms", where),
        memory_bytes=_parse_optional_int(row.get("memory_bytes", ""), "memory_bytes", where),
        client_connections=_parse_optional_int(row.get("client_connections", ""),
                                               "client_connections", where),
    )


def read_runs(path):
    """The rows of runs.csv as Run objects, in file order."""
    return [_run_from_row(row, where) for where, row in _read_csv_rows(path, RUN_COLUMNS)]


def _sample_from_row(row, where):
    return Sample(
        scenario=row["scenario"],
        policy=row["policy"],
        run=_parse_int(row["run"], "run", where),
        t=_parse_float(row["t"], "t", where),
        host=row["host"],
        rx_bps=_parse_float(row["rx_bps"], "rx_bps", where),
        tx_bps=_parse_float(row["tx_bps"], "tx_bps", where),
    )


def read_bandwidth(path):
    """The rows of bandwidth.csv as Sample objects, in file order."""
    return [_sample_from_row(row, where)
            for where, row in _read_csv_rows(path, BANDWIDTH_COLUMNS)]


# --- tables -----------------------------------------------------------------

def ordered(values, preferred):
    """The preferred names that occur first, in their order, then the rest as seen."""
    seen = list(dict.fromkeys(values))
    return [v for v in preferred if v in seen] + [v for v in seen if v not in preferred]


def natural_key(name):
    # h10 after h9: compare digit runs as numbers.
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def format_ci(mean, half, scale=1.0):
    if half is None:
        return f"{mean * scale:.2f} ± n/a"
    return f"{mean * scale:.2f} ± {half * scale:.2f}"


def format_mean_ci(values, scale=1.0):
    """'9.10 ± 0.15' of the values (multiplied by scale), '—' when there are none."""
    if not values:
        return "—"
    return format_ci(*mean_ci95(values), scale=scale)


def markdown_cell(text):
    # A '|' would end the cell and a newline the row.
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown_table(header, rows):
    lines = ["| " + " | ".join(markdown_cell(h) for h in header) + " |",
             "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def group_runs(runs):
    """{(scenario, policy): [Run, ...]} in file order."""
    groups = collections.defaultdict(list)
    for run in runs:
        groups[(run.scenario, run.policy)].append(run)
    return groups


def time_cell(group):
    """Mean ± CI of total_s over the successful runs, with n when some failed."""
    times = [r.total_s for r in group if r.succeeded]
    cell = format_mean_ci(times)
    if times and len(times) != len(group):
        cell += f" (n={len(times)}/{len(group)})"
    return cell


def render_time_table(runs):
    groups = group_runs(runs)
    policies = ordered((r.policy for r in runs), POLICY_ORDER)
    scenarios = ordered((r.scenario for r in runs), SCENARIO_ORDER)
    rows = [[scenario] + [time_cell(groups.get((scenario, policy), [])) for policy in policies]
            for scenario in scenarios]
    return markdown_table(["scenario"] + policies, rows)


def policy_with_paper_title(policy):
    title = PAPER_MTD_TITLES[policy]
    return policy if title.lower() == policy else f"{policy} ({title})"


def render_paper_tables(runs):
    lb_rows = [[f"{scenario} (Table {table})"]
               + [format_ci(*PAPER_LOAD_BALANCING[(scenario, policy)]) for policy in POLICY_ORDER]
               for table, scenario in (("I", "heterogeneous"), ("II", "homogeneous"))]
    text = markdown_table(["paper"] + list(POLICY_ORDER), lb_rows)
    mtd_policies = [p for p in PAPER_MTD if any(r.policy == p for r in runs)]
    if mtd_policies:
        header = ["paper"] + [policy_with_paper_title(p) for p in mtd_policies]
        row = ["homogeneous, MTD (Table III)"] + [format_ci(*PAPER_MTD[p]) for p in mtd_policies]
        text += "\n\n" + markdown_table(header, [row])
    return text


def destination_counts(group):
    """'h3×7 h4×8 h5×5': how often each destination was chosen."""
    counts = collections.Counter(r.destination for r in group if r.destination)
    if not counts:
        return "—"
    return " ".join(f"{host}×{counts[host]}" for host in sorted(counts, key=natural_key))


def mode_counts(group):
    """'checkpoint×4 snapshot×1': the modes the migrations ran in."""
    counts = collections.Counter(r.mode for r in group if r.mode)
    if not counts:
        return "—"
    return " ".join(f"{mode}×{counts[mode]}" for mode in sorted(counts))


def connections_kept(group):
    """'2/3': of the runs that counted the client's connections, those where
    one connection lasted the whole run (the migration did not break it)."""
    counted = [r.client_connections for r in group if r.client_connections]
    if not counted:
        return "—"
    return f"{sum(1 for c in counted if c == 1)}/{len(counted)}"


def detail_row(scenario, policy, group):
    def present(field):
        return [getattr(r, field) for r in group if getattr(r, field) is not None]
    byte_counts = present("bytes")
    n = len(group)
    return [
        scenario, policy, n,
        format_mean_ci(present("decision_s"), scale=1000.0),
        format_mean_ci(present("migration_s")),
        format_mean_ci(present("key_s")),
        format_mean_ci([v for v in present("freeze_ms") if v > 0]),
        f"{statistics.fmean(byte_counts) / 1e6:.2f}" if byte_counts else "—",
        destination_counts(group),
        f"{sum(r.decision_ok for r in group)}/{n}",
        f"{sum(r.reachable for r in group)}/{n}",
        mode_counts(group),
        connections_kept(group),
    ]


def render_detail_table(runs):
    groups = group_runs(runs)
    policies = ordered((r.policy for r in runs), POLICY_ORDER)
    scenarios = ordered((r.scenario for r in runs), SCENARIO_ORDER)
    rows = [detail_row(s, p, groups[(s, p)])
            for s in scenarios for p in policies if (s, p) in groups]
    header = ["scenario", "policy", "runs", "decision (ms)", "migration (s)",
              "key gathering (s)", "freeze (ms)", "data (MB)", "destinations", "as in the paper",
              "reachable after", "mode", "connection kept"]
    return markdown_table(header, rows)


def checkpoint_runs(group):
    """The successful checkpoint migrations of a group."""
    return [r for r in group if r.succeeded and r.mode == "checkpoint"]


def checkpoint_row(scenario, policy, group):
    mine = checkpoint_runs(group)

    def present(field, scale=1.0):
        return [getattr(r, field) * scale for r in mine if getattr(r, field) is not None]
    return [
        scenario, policy, f"{len(mine)}/{len(group)}",
        format_mean_ci([v for v in present("freeze_ms") if v > 0]),
        format_mean_ci(present("dump_ms")),
        format_mean_ci(present("transfer_ms")),
        format_mean_ci(present("restore_ms")),
        format_mean_ci(present("redirect_ms")),
        format_mean_ci(present("memory_bytes", 1e-6)),
    ]


def render_checkpoint_table(runs):
    """The freeze split of the checkpoint migrations, or None when no run was one."""
    if not checkpoint_runs(runs):
        return None
    groups = group_runs(runs)
    policies = ordered((r.policy for r in runs), POLICY_ORDER)
    scenarios = ordered((r.scenario for r in runs), SCENARIO_ORDER)
    rows = [checkpoint_row(s, p, groups[(s, p)])
            for s in scenarios for p in policies
            if (s, p) in groups and checkpoint_runs(groups[(s, p)])]
    header = ["scenario", "policy", "checkpoint runs", "freeze (ms)", "dump (ms)",
              "transfer (ms)", "restore (ms)", "redirect (ms)", "memory (MB)"]
    return markdown_table(header, rows)


def render_failed_runs(runs):
    failed = [r for r in runs if not r.succeeded]
    if not failed:
        return "None."
    return "\n".join(f"- {r.scenario} / {r.policy} run {r.run}: "
                     f"{markdown_cell(r.note) or '(no note)'}" for r in failed)


def checkpoint_section(runs):
    """tables.md's lines on the checkpoint migrations' freeze; none without such runs."""
    table = render_checkpoint_table(runs)
    if table is None:
        return []
    return [
        "## Checkpoint migrations: the freeze split",
        "",
        "Means ± 95% CI over the successful checkpoint migrations: the freeze "
        "(source frozen until the destination's copy ran) split into CRIU's dump, "
        "the transfer of the final delta and the checkpoint images, the "
        "restore, and the redirection (the service address moving to the "
        "destination); memory is the images' size (10^6 bytes). A run "
        "recorded before redirection was measured shows no redirect.",
        "",
        table,
        "",
    ]


def render_tables(runs):
    """The whole tables.md text for these runs."""
    return "\n".join([
        "# Results",
        "",
        "## Migration time (s), mean ± 95% CI",
        "",
        "Decision plus migration (total_s) over the successful runs; "
        "(n=k/m) when only k of m runs succeeded.",
        "",
        render_time_table(runs),
        "",
        "The paper's values:",
        "",
        render_paper_tables(runs),
        "",
        "## Details",
        "",
        "Means ± 95% CI; data is the mean amount transferred (10^6 bytes); "
        "'as in the paper' counts decisions matching the paper's expectation; "
        "'mode' counts the modes the migrations ran in; 'connection kept' counts "
        "the runs whose client kept its one TCP connection through the migration.",
        "",
        render_detail_table(runs),
        "",
    ] + checkpoint_section(runs) + [
        "## Failed runs",
        "",
        render_failed_runs(runs),
        "",
    ])


# --- Fig. 4 -----------------------------------------------------------------

def choose_plot_run(runs, plot_run=None):
    """The run to plot: the one asked for, else the first successful
    heterogeneous/bandwidth run, else the first successful run, else None."""
    if plot_run is not None:
        wanted = (plot_run[0], plot_run[1], int(plot_run[2]))
        for run in runs:
            if run.key == wanted:
                return run
        raise ReportError("no run {}/{}/{} in runs.csv".format(*wanted))
    successful = [r for r in runs if r.succeeded]
    preferred = [r for r in successful if (r.scenario, r.policy) == DEFAULT_PLOT]
    return (preferred or successful or [None])[0]


def fig4_series(run, samples):
    """[(seconds since the run's first sample, source Mbit/s, destination Mbit/s)].

    Each host's value is rx + tx, as the paper plots "the sum of sent and
    received bandwidth"; None where a host has no sample at that time.
    """
    mine = [s for s in samples if s.run_key == run.key]
    if not mine:
        raise ReportError("no bandwidth samples for run {}/{}/{}".format(*run.key))
    mbps = {(s.t, s.host): (s.rx_bps + s.tx_bps) / 1e6 for s in mine}
    start = min(s.t for s in mine)
    return [(t - start, mbps.get((t, run.source)), mbps.get((t, run.destination)))
            for t in sorted({s.t for s in mine})]


def fig4_data_text(run, series):
    def value(v):
        return "?" if v is None else f"{v:.6f}"  # '?' is gnuplot's missing value here
    lines = ["# Fig. 4: {}/{}/{}; Mbit/s = (rx + tx) / 1e6".format(*run.key),
             f"# seconds  source_{run.source}  destination_{run.destination or 'none'}"]
    lines += [f"{x:.3f} {value(src)} {value(dst)}" for x, src, dst in series]
    return "\n".join(lines) + "\n"


def gnuplot_string(text):
    # In single-quoted gnuplot strings only the quote itself needs escaping ('').
    return "'" + text.replace("'", "''") + "'"


def migration_markers(run, first_sample_t):
    """gnuplot commands for dashed vertical lines at the migration's start and end."""
    commands = []
    for number, (label, t, height) in enumerate(
            (("migration start", run.started_t, 0.95), ("migration end", run.finished_t, 0.88)),
            start=1):
        if t is None:
            continue
        x = t - first_sample_t
        commands.append(f"set arrow {number} from first {x:.3f}, graph 0 to first {x:.3f}, "
                        "graph 1 nohead dashtype 2 linecolor rgb 'gray40'")
        commands.append(f"set label {number} {gnuplot_string(label)} "
                        f"at first {x:.3f}, graph {height} left offset 0.5,0")
    return commands


def fig4_script_text(run, first_sample_t, data_name, png_name):
    """A gnuplot script drawing data_name into png_name (paths relative to its directory)."""
    title = "Fig. 4: {}/{} run {}".format(*run.key)
    lines = [
        "# Regenerate with: gnuplot " + FIG4_STEM + ".gp (in this directory)",
        "# pngcairo draws nicer lines; plain png (libgd) is the fallback.",
        'if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {',
        "  set terminal pngcairo size 900,500 noenhanced",
        "} else {",
        "  set terminal png size 900,500 noenhanced",
        "}",
        f"set output {gnuplot_string(png_name)}",
        f"set title {gnuplot_string(title)}",
        "set xlabel 'time (s)'",
        "set ylabel 'bandwidth (Mbit/s, sent + received)'",
        "set datafile missing '?'",
        "set key below horizontal",
        "set grid",
        "set yrange [0:*]",
        "# headroom above the lines for the migration labels",
        "set offsets 0, 0, graph 0.2, 0",
    ]
    lines += migration_markers(run, first_sample_t)
    plots = [f"{gnuplot_string(data_name)} using 1:2 with lines linewidth 2 "
             f"title {gnuplot_string('source ' + run.source)}"]
    if run.destination:
        plots.append(f"'' using 1:3 with lines linewidth 2 "
                     f"title {gnuplot_string('destination ' + run.destination)}")
    lines.append("plot " + ", \\\n     ".join(plots))
    return "\n".join(lines) + "\n"


def find_gnuplot(gnuplot=None):
    return gnuplot if gnuplot is not None else shutil.which("gnuplot")


def run_gnuplot(gnuplot, directory, script_name, png_path):
    if gnuplot is None or not os.path.exists(gnuplot):
        raise ReportError(
            f"gnuplot not found (install the Debian package {GNUPLOT_PACKAGE}); "
            f"the data and script are in {os.path.join(directory, script_name)}")
    result = subprocess.run([gnuplot, script_name], cwd=directory, capture_output=True,
                            text=True, timeout=60, check=False)
    if result.returncode != 0 or not os.path.exists(png_path):
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        raise ReportError(f"gnuplot failed on {os.path.join(directory, script_name)}: {detail}")


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def plot_fig4(results_dir, run, samples, gnuplot=None):
    """Writes fig4.dat, fig4.gp and (with gnuplot) fig4.png for run; returns their paths.

    Without gnuplot the .dat and .gp are still written, then ReportError says
    which package to install.
    """
    series = fig4_series(run, samples)
    first_sample_t = min(s.t for s in samples if s.run_key == run.key)
    data_name, script_name, png_name = (FIG4_STEM + ext for ext in (".dat", ".gp", ".png"))
    data_path, script_path, png_path = (os.path.join(results_dir, name)
                                        for name in (data_name, script_name, png_name))
    write_text(data_path, fig4_data_text(run, series))
    write_text(script_path, fig4_script_text(run, first_sample_t, data_name, png_name))
    if os.path.exists(png_path):
        os.remove(png_path)  # so a failed redraw cannot pass off the old picture
    run_gnuplot(find_gnuplot(gnuplot), results_dir, script_name, png_path)
    return [png_path, data_path, script_path]


# --- everything -------------------------------------------------------------

def write_report(results_dir, plot_run=None, gnuplot=None):
    """Writes tables.md and the Fig. 4 files into results_dir; returns the paths written.

    plot_run is an optional (scenario, policy, run) tuple choosing the run of
    Fig. 4 (default: see choose_plot_run). When no run qualifies, there is no
    plot. Raises ReportError on bad input or a failed gnuplot.
    """
    runs = read_runs(os.path.join(results_dir, RUNS_FILE))
    tables_path = os.path.join(results_dir, TABLES_FILE)
    write_text(tables_path, render_tables(runs))
    written = [tables_path]
    run = choose_plot_run(runs, plot_run)
    if run is not None:
        samples = read_bandwidth(os.path.join(results_dir, BANDWIDTH_FILE))
        written += plot_fig4(results_dir, run, samples, gnuplot=gnuplot)
    return written
