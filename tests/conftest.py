"""Shared fixtures: the course's paths, its nbgrader environment, and the
suite's wall time (build/bench/suite.json, shown by tests/benchmarks/bench_table.py)."""

import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.settings import make_class
from report_class import graded_report

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
from timing import save_record  # noqa: E402  (the benchmarks' records, which bench_table.py reads)

CHAPTERS = sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*"))

# nbgrader finds the course configuration here and runs `alembic` from the venv.
os.environ["JUPYTER_CONFIG_PATH"] = str(ROOT / "autograder")
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
# Kernels run tiny torch models, as under nbgrader (see autograder/nbgrader_config.py).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# The grader runs each instructor notebook once for the whole test session, not once per test class.
REFERENCE_RECORDS = tempfile.mkdtemp(prefix="trainlab-reference-records-")


def class_environment(class_dir, **settings):
    """Make the class folder ``class_dir`` (its release in class_dir/release, the session's reference records,
    ``settings`` such as ``{"Execute.timeout": 10}``); the environment in which nbgrader grades it."""
    make_class(class_dir, **{"CourseDirectory.release_directory": str(Path(class_dir) / "release"),
                             "JudgeTestCells.cache_directory": REFERENCE_RECORDS, **settings})
    return os.environ | {"JUPYTER_CONFIG_PATH": f"{class_dir}{os.pathsep}{ROOT / 'autograder'}"}


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The class of `make demo` (autograder/demo.py), graded once per session: tests read it, never change it."""
    out = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "autograder/demo.py", str(out)], cwd=ROOT,
                            capture_output=True, text=True, timeout=1200)
    print(result.stdout)  # the score table and the seconds per notebook
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def report(demo, tmp_path_factory):
    """The demo class with a few students planted, graded, and its report (tests/report_class.py)."""
    return graded_report(demo, tmp_path_factory.mktemp("report") / "class")


_start = pytest.StashKey[float]()


def pytest_configure(config):
    config.stash[_start] = time.perf_counter()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if ran_whole_suite(config, terminalreporter.stats, exitstatus):
        record_suite_time(config, terminalreporter.stats)


def ran_whole_suite(config, stats, exitstatus):
    """No paths given, nothing deselected (-k, -m, --deselect), no --lf or --collect-only, not interrupted."""
    return (config.args_source is pytest.Config.ArgsSource.TESTPATHS and not stats.get("deselected")
            and not getattr(config.option, "lf", False) and not config.option.collectonly
            and exitstatus != pytest.ExitCode.INTERRUPTED)


def record_suite_time(config, stats):
    """Save the suite's wall time, its counts and the command line, dated, as build/bench/suite.json."""
    counts = {outcome: len(stats.get(outcome, [])) for outcome in ("passed", "failed", "error", "skipped")}
    save_record("suite", {"wall_s": time.perf_counter() - config.stash[_start], **counts,
                          "command": shlex.join(["pytest", *config.invocation_params.args])})


def solution_lines(notebook):
    """The lines strictly between the solution markers of every solution cell, less those the notebook
    also shows outside its solutions (chapter 6 gives a buggy script whose correct lines its solution keeps)."""
    lines, shown, inside = set(), set(), False
    for cell in notebook["cells"]:
        for line in "".join(cell["source"]).splitlines():
            if "### END SOLUTION" in line:
                inside = False
            elif inside and line.strip():
                lines.add(line.strip())
            elif "### BEGIN SOLUTION" in line:
                inside = True
            else:
                shown.add(line.strip())
    return lines - shown
