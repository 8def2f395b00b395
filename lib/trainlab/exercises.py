"""Where a student stands in a chapter: each exercise's visible test passes, fails or has not run yet.

    import trainlab
    trainlab.progress()          # in any cell of a chapter's notebook: a short table

The exercises are the notebook's visible test cells (nbgrader grade cells with code; the hidden
tests run only when the notebook is graded). A test cell's status is what happened when it last
ran in this kernel (``watch`` records it; ``trainlab.checks`` starts watching when it is imported),
or else what its saved outputs show: an error is a fail, a run without error a pass.
"""

import os
from dataclasses import dataclass
from pathlib import Path

# ("id", cell id) and ("source", its code) -> True (ran without error) / False (raised), for the cells
# run in this kernel. JupyterLab sends each cell's id; other front ends (nbclient) only its code.
_RESULTS = {}


def _record(result):
    cell_id = getattr(result.info, "cell_id", None)
    if cell_id:
        _RESULTS["id", cell_id] = result.success
    _RESULTS["source", (result.info.raw_cell or "").strip()] = result.success


def watch():
    """Record, in this IPython kernel, whether each cell that runs raises (once; no-op outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and _record not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _record)


@dataclass(frozen=True)
class Exercise:
    name: str  # the test's grade id without "test_"
    points: float
    status: str  # "pass", "fail" or "not yet"


class Progress:
    """The exercises of ``notebook`` and their status; its repr is a short table with a one-line count."""

    def __init__(self, notebook, exercises):
        self.notebook, self.exercises = Path(notebook), exercises

    def summary(self):
        """One line: how many exercises pass, fail and have not run."""
        count = {status: sum(e.status == status for e in self.exercises) for status in ("pass", "fail", "not yet")}
        return (f"{self.notebook.name}: {count['pass']} of {len(self.exercises)} exercises pass, "
                f"{count['fail']} fail, {count['not yet']} not run yet (visible tests; hidden tests run when graded)")

    def __repr__(self):
        width = max([len("exercise"), *(len(e.name) for e in self.exercises)])
        lines = [self.summary(), "", f"{'exercise':<{width}}  points  status"]
        lines += [f"{e.name:<{width}}  {e.points:>6g}  {e.status}" for e in self.exercises]
        return "\n".join(lines)


def _visible_tests(notebook):
    """The grade cells with code (a released hidden-test cell holds only a comment)."""
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        code = [line for line in cell.source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        if cell.cell_type == "code" and grading.get("grade") and code:
            yield cell, grading


def _saved_status(cell):
    if any(output.output_type == "error" for output in cell.outputs):
        return "fail"
    return "not yet" if cell.execution_count is None else "pass"


def find_notebook():
    """The notebook this kernel runs: JupyterLab's session path (JPY_SESSION_NAME), else the only one here."""
    session = os.environ.get("JPY_SESSION_NAME")
    if session and session.endswith(".ipynb"):
        for path in (Path(session), Path.cwd() / Path(session).name):
            if path.is_file():
                return path
    notebooks = sorted(Path.cwd().glob("*.ipynb"))
    if len(notebooks) != 1:
        raise FileNotFoundError(f"Which notebook? Found {len(notebooks)} in {Path.cwd()}: "
                                "pass it, e.g. progress('losses.ipynb').")
    return notebooks[0]


def progress(notebook=None):
    """Each exercise of ``notebook`` (default: this kernel's) with pass / fail / not yet, as a table.

    Reads the notebook as last saved for its cells; the status of a test cell run in this kernel
    comes from that run, so an unsaved notebook is judged by what just happened.
    """
    import nbformat

    path = Path(notebook) if notebook else find_notebook()
    saved = nbformat.read(path, as_version=4)
    exercises = []
    for cell, grading in _visible_tests(saved):
        ran = _RESULTS.get(("id", cell.get("id")), _RESULTS.get(("source", cell.source.strip())))
        status = _saved_status(cell) if ran is None else ("pass" if ran else "fail")
        exercises.append(Exercise(grading.get("grade_id", "").removeprefix("test_"), grading.get("points", 0), status))
    return Progress(path, exercises)
