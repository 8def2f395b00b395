"""Tests of autograder/preprocessors.py: hidden test code never shows in tracebacks."""

import copy

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.preprocessors import ShortenHiddenTestErrors

SECRET = "check_against_reference(f, reference('01_losses', 'f'), SECRET_CASES)"
HIDDEN_SOURCE = f"# Hidden tests (2 points)\n### BEGIN HIDDEN TESTS\n{SECRET}\n### END HIDDEN TESTS\n"
TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mCheckFailed\x1b[0m                               Traceback (most recent call last)",
    f"Cell \x1b[0;32mIn[7], line 3\x1b[0m\n\x1b[0;32m----> 3\x1b[0m {SECRET}\n",
    "\x1b[0;31mCheckFailed\x1b[0m: ✗ f (random): 3 of 5 values differ",
]


def error_output():
    return new_output("error", ename="CheckFailed", evalue="✗ f (random): 3 of 5 values differ",
                      traceback=list(TRACEBACK))


def run(cells):
    notebook = new_notebook(cells=cells)
    notebook, _ = ShortenHiddenTestErrors().preprocess(notebook, {})
    return notebook.cells


def test_hidden_test_tracebacks_are_reduced_to_their_last_line():
    stream = new_output("stream", name="stdout", text="✓ f (one case) matches the reference solution\n")
    cell = new_code_cell(HIDDEN_SOURCE, outputs=[stream, error_output()])
    (cell,) = run([cell])
    error = cell.outputs[1]
    assert error.traceback == ["CheckFailed: ✗ f (random): 3 of 5 values differ"]
    assert not any(SECRET in line for line in error.traceback)
    assert error.ename == "CheckFailed" and error.evalue == "✗ f (random): 3 of 5 values differ"
    assert cell.outputs[0] == new_output("stream", name="stdout",
                                         text="✓ f (one case) matches the reference solution\n")


def test_cells_without_hidden_tests_keep_their_traceback():
    visible = new_code_cell(f"# Test (1 point)\n{SECRET}\n", outputs=[error_output()])
    hidden = new_code_cell(HIDDEN_SOURCE, outputs=[error_output()])
    visible_after, hidden_after = run([visible, hidden])
    assert visible_after.outputs[0].traceback == TRACEBACK
    assert len(hidden_after.outputs[0].traceback) == 1


def test_non_error_outputs_are_untouched():
    outputs = [
        new_output("stream", name="stdout", text="line one\nline two\n"),
        new_output("execute_result", data={"text/plain": "42"}, execution_count=3),
        new_output("display_data", data={"text/plain": "<Figure>"}),
    ]
    cell = new_code_cell(HIDDEN_SOURCE, outputs=copy.deepcopy(outputs))
    (cell,) = run([cell])
    assert cell.outputs == outputs


def test_markdown_cells_mentioning_the_delimiter_are_left_alone():
    cell = new_markdown_cell("Hidden tests sit between `### BEGIN HIDDEN TESTS` and the end marker.")
    (after,) = run([cell.copy()])
    assert after == cell
