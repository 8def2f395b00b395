"""Tests of autograder/preprocessors.py: nothing the kernel printed while hidden tests ran reaches feedback,
hidden tests are cleared from test cells only, and a submission's script is shown, not run."""


import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.preprocessors import ClearHiddenTestsOfTestCells, SanitiseSubmissionHtml, grader_words

SECRET = "check_against_reference(f, reference('01_losses', 'f'), SECRET_CASES)"
HIDDEN_SOURCE = f"# Hidden tests (2 points)\n### BEGIN HIDDEN TESTS\n{SECRET}\n### END HIDDEN TESTS\n"
TEST = {"nbgrader": {"grade": True, "grade_id": "hidden_f", "locked": True, "points": 2, "schema_version": 3,
                     "solution": False, "task": False}}
SOLUTION = {"nbgrader": {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3,
                         "solution": True, "task": False}}


def error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"Cell In[7], line 3\n----> 3 {SECRET}",
                                                                       f"{ename}: {evalue}"])


def test_hidden_test_outputs_keep_only_the_names_of_errors():
    said = grader_words([
        new_output("stream", name="stdout", text=SECRET),
        new_output("display_data", data={"text/plain": SECRET}),
        error("ValueError", SECRET),
        error("CellTimeoutError", ""),
    ])
    assert [(output.ename, output.evalue) for output in said] == [
        ("ValueError", "raised while the hidden tests called your code"),
        ("CellTimeoutError", "the hidden tests ran past the grader's time limit for one cell")]
    assert SECRET not in str(said)


@pytest.mark.parametrize("ename", ["check_against_reference(f", "MyError", "SECRET_CASES"])
def test_an_error_of_the_students_own_class_is_not_named(ename):
    (said,) = grader_words([error(ename, "")])
    assert said.ename == "an exception of your own" and ename not in str(said)


def run(cells):
    notebook, _ = ClearHiddenTestsOfTestCells().preprocess(new_notebook(cells=cells), {})
    return notebook.cells


def test_hidden_tests_are_cleared_from_test_cells():
    (cell,) = run([new_code_cell(HIDDEN_SOURCE, metadata=TEST)])
    assert SECRET not in cell.source and "# Hidden tests (2 points)" in cell.source


def test_the_delimiter_in_a_students_own_cell_is_their_text():
    source = "### BEGIN HIDDEN TESTS (mine)\ndef f(x):\n    return x\n"
    student, markdown = run([new_code_cell(source, metadata=SOLUTION), new_markdown_cell(HIDDEN_SOURCE)])
    assert student.source == source and markdown.source == HIDDEN_SOURCE


SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_script_in_a_students_markdown_and_outputs_is_made_text_or_dropped():
    student = new_markdown_cell(f"My notes {SCRIPT}")
    course = new_markdown_cell(f"<details>{SCRIPT}</details>", metadata={"nbgrader": {"locked": True}})
    code = new_code_cell("", outputs=[new_output("display_data", data={"application/javascript": "alert(3)"}),
                                      new_output("display_data", data={"text/html": SCRIPT, "text/plain": "x"})])
    notebook, _ = SanitiseSubmissionHtml().preprocess(new_notebook(cells=[student, course, code]), {})
    student, course, code = notebook.cells
    assert "<script>" not in student.source and "<img" not in student.source
    assert "My notes &lt;script&gt;" in student.source
    assert course.source == f"<details>{SCRIPT}</details>"  # the instructor's, put back by OverwriteCells
    assert code.outputs[0].data == {"text/plain": "(a Javascript output: the grader does not show it)"}
    assert "<script>" not in code.outputs[1].data["text/html"] and "<img" not in code.outputs[1].data["text/html"]
