"""Cells tagged ``skip-when-grading`` only demonstrate: the grader skips them (Execute.skip_cells_with_tag, in
the reference run too), so nothing that runs after them may need what they define or change
(autograder/demos.py)."""

import copy

import nbformat
import pytest

from autograder.demos import TAG, SkipDemoCells, needed_from_skipped
from autograder.preprocessors import RecordingExecute
from autograder.settings import course_config
from conftest import ROOT

NOTEBOOKS = sorted(ROOT.glob("solutions/*/*.ipynb"))


def test_the_rule_finds_a_name_defined_or_changed_in_a_skipped_cell():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nw = np.zeros(3)"),
        nbformat.v4.new_code_cell("losses = [1.0]\nw[0] = 5\nfor step in range(3):\n    pass",
                                  metadata={"tags": [TAG]}),
        nbformat.v4.new_code_cell("def f(x):\n    return x + losses[-1]"),
        nbformat.v4.new_code_cell("print(w, np.pi)"),
        nbformat.v4.new_code_cell("step = 1\nstep += 1\nprint(step)"),
    ])
    assert needed_from_skipped(notebook) == [(1, 2, ["losses"]), (1, 3, ["w"])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.parent.name for path in NOTEBOOKS])
def test_no_cell_that_runs_when_grading_needs_a_skipped_one(path):
    notebook = nbformat.read(path, as_version=4)
    skipped = [cell for cell in notebook.cells if TAG in cell.metadata.get("tags", [])]
    assert skipped, "the chapter skips no demo when grading"
    assert all(cell.cell_type == "code" and "nbgrader" not in cell.metadata for cell in skipped), (
        "only ordinary code cells (no solution, no test) may be skipped when grading")
    problems = needed_from_skipped(notebook)
    assert not problems, "\n".join(f"cell {later + 1} uses {', '.join(names)} of skipped cell {number + 1}"
                                   for number, later, names in problems)


def test_the_grader_and_its_reference_run_skip_the_tag():
    config = course_config()
    assert RecordingExecute(config=config).skip_cells_with_tag == TAG
    assert SkipDemoCells in config.Autograde.sanitize_preprocessors


def skipped_when_graded(nb):
    resources = {"nbgrader": {"assignment": "01_losses", "notebook": "losses"}}
    nb, _ = SkipDemoCells(source_directory=str(ROOT / "solutions")).preprocess(nb, resources)
    return {number for number, cell in enumerate(nb.cells) if TAG in cell.metadata.get("tags", [])}


def test_a_submission_skips_only_the_instructors_demos_unchanged_and_unneeded():
    solution = nbformat.read(ROOT / "solutions" / "01_losses" / "losses.ipynb", as_version=4)
    demos = {number for number, cell in enumerate(solution.cells) if TAG in cell.metadata.get("tags", [])}
    untagged = copy.deepcopy(solution)  # saved by a tool that drops tags: the grader's tags come back
    for cell in untagged.cells:
        cell.metadata.pop("tags", None)
    assert skipped_when_graded(untagged) == demos

    first, *_ = sorted(demos)
    edited = copy.deepcopy(solution)  # a demo the student changed runs
    edited.cells[first].source += "\nprint('mine')"
    assert skipped_when_graded(edited) == demos - {first}

    needed = copy.deepcopy(solution)  # the student's bce, below the first demo, uses a name of it: the demo runs
    assert "import diabetes" in solution.cells[first].source
    bce = next(cell for cell in needed.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "bce")
    bce.source += "\nscale = diabetes()[1].std()"
    assert skipped_when_graded(needed) == demos - {first}

    tagged = copy.deepcopy(solution)  # a tag the student put on a test cell is dropped
    test = next(n for n, cell in enumerate(tagged.cells) if cell.metadata.get("nbgrader", {}).get("grade")
                and n > first)
    tagged.cells[test].metadata["tags"] = [TAG]
    assert test not in skipped_when_graded(tagged)
