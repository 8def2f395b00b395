"""Tests of trainlab.grading: loading reference solutions and comparing students with them."""

import re

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
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


@pytest.fixture
def real_solutions(monkeypatch):
    monkeypatch.delenv("TRAINLAB_SOLUTIONS", raising=False)
    trainlab.grading._reference_namespace.cache_clear()
    yield
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


# --- the real reference solutions of 01_losses -------------------------------------------

def test_real_sigmoid_agrees_with_torch(real_solutions):
    sigmoid = reference("01_losses", "sigmoid")
    z = np.array([-1000.0, -40.0, -3.0, -0.5, 0.0, 0.5, 3.0, 40.0, 1000.0])
    np.testing.assert_allclose(sigmoid(z), torch.sigmoid(torch.from_numpy(z)).numpy(), rtol=1e-12, atol=0)
    z32 = z.astype(np.float32)
    got = sigmoid(z32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, torch.sigmoid(torch.from_numpy(z32)).numpy(), rtol=1e-6)


def test_real_bce_with_logits_agrees_with_torch_on_extreme_logits(real_solutions):
    bce_with_logits = reference("01_losses", "bce_with_logits")
    z = np.array([-1000.0, 1000.0, -1000.0, 1000.0, 0.0, 2.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    got = bce_with_logits(z, y)
    want = F.binary_cross_entropy_with_logits(torch.from_numpy(z), torch.from_numpy(y)).item()
    assert np.isfinite(got)
    assert got == pytest.approx(want, rel=1e-12)
    assert got == pytest.approx((1000 + 1000 + np.log(2) + 2.5 + np.log1p(np.exp(-2.5))) / 6, rel=1e-12)


def test_real_log_softmax_agrees_with_torch(real_solutions):
    log_softmax = reference("01_losses", "log_softmax")
    rng = np.random.default_rng(0)
    z = np.vstack([rng.normal(size=(3, 5)), [[1000.0, 999.0, 0.0, -1000.0, 998.0]], [[-800.0] * 5]])
    np.testing.assert_allclose(log_softmax(z), F.log_softmax(torch.from_numpy(z), dim=-1).numpy(),
                               rtol=1e-12, atol=1e-12)


def test_real_cross_entropy_agrees_with_torch(real_solutions):
    cross_entropy = reference("01_losses", "cross_entropy")
    rng = np.random.default_rng(1)
    logits = np.vstack([rng.normal(size=(6, 4)), [[900.0, -900.0, 0.0, 10.0]]])
    target = np.array([0, 3, 1, 2, 2, 0, 1])
    want = F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(target)).item()
    assert cross_entropy(logits, target) == pytest.approx(want, rel=1e-12)
