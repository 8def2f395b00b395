"""Tests of trainlab.grading: loading reference solutions and comparing students with them."""

import re

import nbformat
import numpy as np
import pytest
import torch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import trainlab.grading
from trainlab.checks import CheckFailed
from trainlab.grading import check_against_reference, reference

CHAPTER = "07_toy"


def nbgrader(grade_id, solution):
    return {"nbgrader": {"grade": False, "grade_id": grade_id, "locked": not solution,
                         "schema_version": 3, "solution": solution, "task": False}}


@pytest.fixture
def toy_solutions(tmp_path, monkeypatch):
    """An instructor notebook in tmp_path/07_toy with a setup cell, two solutions and traps."""
    notebook = new_notebook(cells=[
        new_markdown_cell("# A toy chapter"),
        new_code_cell("import numpy as np", metadata=nbgrader("setup", False)),
        new_code_cell("def double(x):\n    return 2 * x", metadata=nbgrader("double", True)),
        new_code_cell('raise RuntimeError("must not run")'),
        new_code_cell('raise RuntimeError("a test cell must not run either")',
                      metadata={"nbgrader": {"grade": True, "grade_id": "test_double", "locked": True,
                                             "points": 1, "schema_version": 3, "solution": False,
                                             "task": False}}),
        new_code_cell("def relu_inplace(x):\n    np.maximum(x, 0, out=x)\n    return x",
                      metadata=nbgrader("relu_inplace", True)),
    ])
    folder = tmp_path / CHAPTER
    folder.mkdir()
    nbformat.write(notebook, folder / "x.ipynb")
    monkeypatch.setenv("TRAINLAB_SOLUTIONS", str(tmp_path))
    trainlab.grading._reference_namespace.cache_clear()
    yield tmp_path
    trainlab.grading._reference_namespace.cache_clear()


# --- reference ---------------------------------------------------------------------------

def test_reference_runs_setup_and_solution_cells_only(toy_solutions):
    double = reference(CHAPTER, "double")
    assert double(np.array([1.5, -2.0])).tolist() == [3.0, -4.0]
    assert reference(CHAPTER, "np") is np  # the setup cell ran


def test_reference_of_an_unknown_name_is_a_key_error_naming_it(toy_solutions):
    with pytest.raises(KeyError, match="triple"):
        reference(CHAPTER, "triple")


def test_reference_of_a_missing_chapter_is_a_file_not_found_error(toy_solutions):
    with pytest.raises(FileNotFoundError, match="99_missing"):
        reference("99_missing", "double")


# --- check_against_reference -------------------------------------------------------------

CASES = {
    "a vector": (np.array([1.0, -2.0, 3.0]),),
    "a matrix": (np.arange(6.0).reshape(2, 3),),
    "a batch of one": (np.array([0.25]),),
}


def test_the_reference_passes_against_itself(toy_solutions, capsys):
    double = reference(CHAPTER, "double")
    check_against_reference(double, double, CASES)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CASES), lines
    for line, label in zip(lines, CASES):
        assert line.startswith(f"✓ double ({label}) matches the reference solution"), line


def test_a_wrong_function_fails_naming_the_case(toy_solutions, capsys):
    def student(x):
        return 2 * x if x.ndim == 1 else x + x.T.T + 1  # wrong for matrices only

    with pytest.raises(CheckFailed) as info:
        check_against_reference(student, reference(CHAPTER, "double"), CASES)
    message = str(info.value)
    assert message.startswith("✗ double (a matrix)"), message
    assert "6 of 6 values differ from the reference solution" in message, message
    assert capsys.readouterr().out.startswith("✓ double (a vector)")  # the first case passed


def test_the_name_can_be_given(toy_solutions):
    with pytest.raises(CheckFailed, match=r"^✗ twice \(a vector\)"):
        check_against_reference(lambda x: 3 * x, reference(CHAPTER, "double"), CASES, name="twice")


def test_tolerances_are_passed_on(toy_solutions):
    double = reference(CHAPTER, "double")
    check_against_reference(lambda x: 2 * x * (1 + 1e-4), double, CASES, rtol=1e-3, quiet=True)
    with pytest.raises(CheckFailed, match="dtype float32, expected float64"):
        check_against_reference(lambda x: (2 * x).astype(np.float32), double, CASES, check_dtype=True)


def test_a_student_exception_is_reported_with_its_type_and_case(toy_solutions):
    def student(x):
        if x.ndim == 2:
            raise ValueError("shapes do not align")
        return 2 * x

    with pytest.raises(CheckFailed) as info:
        check_against_reference(student, reference(CHAPTER, "double"), CASES)
    message = str(info.value)
    assert "ValueError" in message, message
    assert "'a matrix'" in message, message
    assert "shapes do not align" in message, message


def test_not_implemented_is_reported_as_such(toy_solutions):
    def student(x):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not implemented"):
        check_against_reference(student, reference(CHAPTER, "double"), CASES)


def test_arguments_are_copied_so_a_student_cannot_change_what_the_reference_sees(toy_solutions):
    """relu_inplace returns its own argument: had the student got the same array, its
    scribbling would change the expected value after the reference computed it."""
    x = np.array([-1.0, 2.0, -3.0, 4.0])

    def student(v):
        result = np.maximum(v, 0)
        v[:] = 123.0
        return result

    check_against_reference(student, reference(CHAPTER, "relu_inplace"),
                            {"first": (x,), "again": (x,)}, quiet=True)
    assert x.tolist() == [-1.0, 2.0, -3.0, 4.0], "the caller's case was modified"
