"""Tests of trainlab.progress() (trainlab.exercises): each exercise's status from its visible test."""

import nbformat
import pytest
from nbclient import NotebookClient

import trainlab


def grade_cell(source, grade_id, points, **fields):
    cell = nbformat.v4.new_code_cell(source, **fields)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": points}
    return cell


def chapter(tmp_path, cells):
    notebook = nbformat.v4.new_notebook(cells=cells)
    path = tmp_path / "chapter.ipynb"
    nbformat.write(notebook, path)
    return path


def test_saved_outputs_give_pass_fail_and_not_yet_and_hidden_tests_are_left_out(tmp_path):
    error = nbformat.v4.new_output("error", ename="CheckFailed", evalue="✗ mse", traceback=[])
    path = chapter(tmp_path, [
        nbformat.v4.new_code_cell("def mse(p, t): ..."),
        grade_cell("check_close(mse(1, 2), 1.0)", "test_mse", 1, execution_count=3),
        grade_cell("check_close(l1(1, 2), 1.0)", "test_l1", 1, execution_count=4, outputs=[error]),
        grade_cell("# Hidden tests: mse against the reference (2 points)", "hidden_mse", 2),
        grade_cell("check_close(bce(0.5, 1), 0.69)", "test_bce", 2),
    ])
    table = trainlab.progress(path)
    assert [(e.name, e.points, e.status) for e in table.exercises] == [
        ("mse", 1, "pass"), ("l1", 1, "fail"), ("bce", 2, "not yet")]
    assert repr(table).splitlines() == [
        "chapter.ipynb: 1 of 3 exercises pass, 1 fail, 1 not run yet (visible tests; hidden tests run when graded)",
        "",
        "exercise  points  status",
        "mse            1  pass",
        "l1             1  fail",
        "bce            2  not yet"]


def test_in_a_kernel_the_last_run_of_each_test_cell_counts_even_unsaved(tmp_path):
    cells = [
        nbformat.v4.new_code_cell("import numpy as np\nfrom trainlab.checks import check_close"),
        grade_cell("check_close(np.ones(2), np.ones(2))", "test_right", 1),
        grade_cell("check_close(np.ones(2), np.zeros(2))", "test_wrong", 1),
        grade_cell("raise NotImplementedError()", "test_todo", 1),
        grade_cell("check_close(1.0, 1.0)", "test_later", 1),
        nbformat.v4.new_code_cell("import trainlab\nprint(trainlab.progress('chapter.ipynb'))"),
    ]
    chapter(tmp_path, cells)  # saved without outputs: what the kernel saw is all there is
    notebook = nbformat.v4.new_notebook(cells=cells[:4] + cells[5:])  # the test of "later" is not run
    client = NotebookClient(notebook, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": tmp_path}})
    client.execute()
    printed = notebook.cells[-1].outputs[0].text
    assert printed.startswith("chapter.ipynb: 1 of 4 exercises pass, 2 fail, 1 not run yet"), printed
    assert [line.split()[-1] for line in printed.splitlines()[3:]] == ["pass", "fail", "fail", "yet"], printed


def test_without_a_notebook_it_says_which_to_pass(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    with pytest.raises(FileNotFoundError, match="Which notebook"):
        trainlab.progress()
    chapter(tmp_path, [grade_cell("check_close(1, 1)", "test_one", 1)])
    assert trainlab.progress().notebook.name == "chapter.ipynb"  # the only one here
