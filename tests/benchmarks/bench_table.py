"""The benchmarks in one table: ``python tests/benchmarks/bench_table.py``.

Reads what the benchmarks saved under build/bench/ (each record dated) and what the last whole
``make test`` run recorded (tests/conftest.py), and prints one aligned markdown table. A figure
without its record says which command makes it.
"""

import json

from timing import BENCH_DIR

HEADER = ("figure", "time", "measured", "how")
TIME = HEADER.index("time")  # the one column aligned right


def duration(seconds):
    """Milliseconds below a second, else seconds."""
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.1f} s"


def notebook_rows(record):
    rows = [(f"notebook {name}", duration(seconds), "") for name, seconds in record["seconds"].items()]
    return rows + [("notebooks, all solutions", duration(sum(record["seconds"].values())),
                    f"the sum; each headless (nbclient, OMP_NUM_THREADS=1), median of {record['runs']} run(s)")]


def widget_rows(record):
    def row(what, figures):
        return (what, duration(figures["median_ms"] / 1e3),
                f"median of {figures['runs']}, p95 {duration(figures['p95_ms'] / 1e3)}")
    return [row("race widget: one frame (step slider)", record["frame"]),
            row("race widget: trajectories, 5 optimizers x 500 steps", record["trajectories"])]


def import_rows(record):
    return [("import trainlab, fresh interpreter", duration(record["added_ms"] / 1e3),
             f"`python -c \"import trainlab\"` {duration(record['import_ms'] / 1e3)} minus `python -c pass` "
             f"{duration(record['bare_ms'] / 1e3)}, medians of {record['runs']}")]


def suite_rows(record):
    counts = ", ".join(f"{record[outcome]} {outcome}" for outcome in ("passed", "failed", "error", "skipped"))
    return [("test suite, wall time", duration(record["wall_s"]), f"{counts}: `{record['command']}`")]


def autograde_rows(record):
    graded = f"{record['students']} students x {len(record['chapters'])} chapters = {record['notebooks']} notebooks"
    return [(f"autograde {graded}, serial nbgrader", duration(record["serial_s"]),
             f"{duration(record['serial_s_per_notebook'])} per notebook"),
            (f"autograde {graded}, parallel", duration(record["parallel_s"]),
             f"{duration(record['parallel_s_per_notebook'])} per notebook, {record['ratio']:.2f}x on "
             f"{record['cores']} cores, scores identical: {'yes' if record['scores_identical'] else 'NO'}")] + ([
            (f"autograde {graded}, {record['dask_workers']} Dask workers", duration(record["dask_s"]),
             f"{duration(record['dask_s_per_notebook'])} per notebook, {record['dask_ratio']:.2f}x, "
             f"scores identical: {'yes' if record['dask_scores_identical'] else 'NO'}")] if "dask_s" in record else [])


def profile_rows(record):
    graded = f"{record['students']} students of {record['chapter']}"
    return [(f"grading CPU per notebook, {what}", duration(seconds / record["notebooks"]),
             f"{seconds:.1f} CPU-s in all, {graded}") for what, seconds in record["cpu_s"].items()]


# record name, its rows, what the table says without it
SECTIONS = [
    ("notebooks", notebook_rows, "solution notebooks", "`python tests/benchmarks/bench_notebooks.py`"),
    ("widget", widget_rows, "race widget", "`python tests/benchmarks/bench_widget.py`"),
    ("import", import_rows, "import trainlab", "`python tests/benchmarks/bench_import.py`"),
    ("suite", suite_rows, "test suite, wall time", "`make test`"),
    ("autograde", autograde_rows, "autograde, serial vs parallel",
     "`make bench` (40 students: about 25 min) or `python tests/benchmarks/bench_autograde.py --students 2`"),
    ("grading_profile", profile_rows, "grading CPU per notebook",
     "`make bench` or `python tests/benchmarks/bench_grading_profile.py --students 2`"),
]


def rows(bench_dir):
    """Every row of the table: (figure, time, date measured, how)."""
    table = []
    for name, make_rows, what, command in SECTIONS:
        path = bench_dir / f"{name}.json"
        if not path.exists():
            table.append((what, "-", "-", f"no record: run {command}"))
            continue
        record = json.loads(path.read_text())
        date = record["date"][:16].replace("T", " ")
        table += [(figure, time, date, how) for figure, time, how in make_rows(record)]
    return table


def markdown(table):
    """An aligned markdown table under HEADER."""
    widths = [max(len(cells[i]) for cells in [HEADER, *table]) for i in range(len(HEADER))]
    rule = ["-" * (w - 1) + ":" if i == TIME else ":" + "-" * (w - 1) for i, w in enumerate(widths)]

    def line(cells):
        return "| " + " | ".join(c.rjust(w) if i == TIME else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    return "\n".join(line(cells) for cells in [HEADER, rule, *table])


def main():
    print(markdown(rows(BENCH_DIR)))


if __name__ == "__main__":
    main()
