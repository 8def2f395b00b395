"""Right answers written differently (autograder/different.py) earn full marks: every visible and hidden
check of their exercises passes. One parallel batch for every chapter (2-3 notebooks each)."""

import json

import nbformat
import pytest

from autograder.different import NOTEBOOKS, SOLUTIONS, cell_of, code
from batch_grading import answer_sheet, grade, hand_in
from conftest import ROOT, class_environment

STUDENTS = {(chapter, f"different{number}"): cases for chapter, notebooks in NOTEBOOKS.items()
            for number, cases in enumerate(notebooks, 1)}


def notebook_name(chapter):
    return next((ROOT / "solutions" / chapter).glob("*.ipynb")).name


def grade_ids(chapter):
    cells = json.loads((ROOT / "solutions" / chapter / notebook_name(chapter)).read_text())["cells"]
    return {cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") for cell in cells}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    class_dir = tmp_path_factory.mktemp("different")
    env = class_environment(class_dir)
    for chapter in NOTEBOOKS:
        answers = answer_sheet(env, chapter)
        for (where, student), cases in STUDENTS.items():
            if where == chapter:
                cells = {cell_of(case): code(chapter, case) for case in cases}
                hand_in(class_dir, chapter, student, {notebook_name(chapter): nbformat.writes(answers(**cells))})
    run, scores = grade(class_dir, env, list(NOTEBOOKS), timeout=1800)
    return class_dir, run, scores


def failed_tests(class_dir, chapter, student):
    """{grade_id: the error's name and message} of the test cells that failed in the autograded notebook."""
    notebook = nbformat.read(class_dir / "autograded" / student / chapter / notebook_name(chapter), as_version=4)
    return {cell.metadata.nbgrader.grade_id: "; ".join(f"{e.ename}: {e.evalue}"[:300] for e in cell.outputs
                                                       if e.output_type == "error")
            for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")
            and any(output.output_type == "error" for output in cell.get("outputs", []))}


def test_every_case_replaces_a_solution_cell_of_its_chapter():
    for chapter, solutions in SOLUTIONS.items():
        cells = {cell_of(case) for case in solutions}
        assert cells <= grade_ids(chapter), cells - grade_ids(chapter)
        assert sorted(solutions) == sorted(case for cases in NOTEBOOKS[chapter] for case in cases)
        for cases in NOTEBOOKS[chapter]:
            assert len({cell_of(case) for case in cases}) == len(cases)
            compile("\n".join(code(chapter, case) for case in cases), chapter, "exec")


@pytest.mark.parametrize("key", STUDENTS, ids="/".join)
def test_a_right_answer_written_differently_earns_full_marks(key, graded):
    class_dir, run, scores = graded
    chapter, student = key
    failed = failed_tests(class_dir, chapter, student)
    assert failed == {}, f"{chapter} {student}: {json.dumps(failed, indent=1, ensure_ascii=False)}"
    reference = nbformat.read(ROOT / "solutions" / chapter / notebook_name(chapter), as_version=4)
    points = sum(cell.metadata.nbgrader.get("points", 0) for cell in reference.cells
                 if cell.metadata.get("nbgrader", {}).get("grade"))
    assert scores[key] == points
