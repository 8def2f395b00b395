"""The benchmark table shows each saved record with its date, and names the command for a missing one."""

import json

from bench_table import markdown, rows

RECORDS = {
    "notebooks": {"runs": 1, "seconds": {"01_losses/losses.ipynb": 4.71, "02_gradient_descent/gd.ipynb": 9.0}},
    "widget": {"frame": {"median_ms": 1.5, "p95_ms": 2.25, "runs": 200},
               "trajectories": {"median_ms": 180.0, "p95_ms": 210.0, "runs": 20}},
    "import": {"runs": 20, "bare_ms": 10.0, "import_ms": 12.5, "added_ms": 2.5},
    "suite": {"wall_s": 1234.5, "passed": 310, "failed": 1, "error": 0, "skipped": 2, "command": "pytest"},
    "autograde": {"students": 2, "chapters": ["01_losses", "02_gradient_descent"], "notebooks": 4, "cores": 2,
                  "serial_s": 100.0, "serial_s_per_notebook": 25.0, "parallel_s": 40.0,
                  "parallel_s_per_notebook": 10.0, "ratio": 2.5, "scores_identical": True,
                  "dask_workers": 2, "dask_s": 50.0, "dask_s_per_notebook": 12.5, "dask_ratio": 2.0,
                  "dask_scores_identical": True},
    "grading_profile": {"chapter": "01_losses", "students": 2, "notebooks": 4, "serial_wall_s": 20.0,
                        "parallel_wall_s": 8.0, "cpu_s": {"serial nbgrader: everything": 18.0,
                                                          "make autograde: everything": 6.0}},
}


def save(folder, name, date, figures):
    (folder / f"{name}.json").write_text(json.dumps({"date": date, **figures}))


def line(table, figure):
    [found] = [text for text in table.splitlines() if text.startswith(f"| {figure} ")]
    return found


def test_each_record_is_shown_with_its_figures_and_date(tmp_path):
    for name, figures in RECORDS.items():
        save(tmp_path, name, "2026-01-02T03:04:05+00:00", figures)
    table = markdown(rows(tmp_path))
    assert "no record" not in table
    assert len({len(text) for text in table.splitlines()}) == 1, "columns are not aligned"
    assert "4.7 s" in line(table, "notebook 01_losses/losses.ipynb")
    assert "13.7 s" in line(table, "notebooks, all solutions")
    assert "1.50 ms" in line(table, "race widget: one frame (step slider)")
    assert "180.00 ms" in line(table, "race widget: trajectories, 5 optimizers x 500 steps")
    assert "2.50 ms" in line(table, "import trainlab, fresh interpreter")
    suite = line(table, "test suite, wall time")
    assert "1234.5 s" in suite and "310 passed, 1 failed" in suite and "2026-01-02 03:04" in suite
    parallel = line(table, "autograde 2 students x 2 chapters = 4 notebooks, parallel")
    assert "40.0 s" in parallel and "2.50x" in parallel and "scores identical: yes" in parallel
    dask = line(table, "autograde 2 students x 2 chapters = 4 notebooks, 2 Dask workers")
    assert "50.0 s" in dask and "2.00x" in dask and "scores identical: yes" in dask
    serial = line(table, "grading CPU per notebook, serial nbgrader: everything")
    assert "4.5 s" in serial and "18.0 CPU-s in all, 2 students of 01_losses" in serial
    assert "1.5 s" in line(table, "grading CPU per notebook, make autograde: everything")


def test_a_missing_record_names_the_command_that_makes_it(tmp_path):
    save(tmp_path, "import", "2026-01-02T03:04:05+00:00", RECORDS["import"])
    table = markdown(rows(tmp_path))
    assert "no record: run `make test`" in line(table, "test suite, wall time")
    assert "bench_autograde.py --students 2" in line(table, "autograde, serial vs parallel")
    assert "bench_widget.py" in line(table, "race widget")
    assert "bench_grading_profile.py" in line(table, "grading CPU per notebook")
    assert "no record" not in line(table, "import trainlab, fresh interpreter")
