"""Cells tagged ``skip-when-grading`` only demonstrate: the grader skips them (Execute.skip_cells_with_tag, in
the reference run too), so nothing that runs after them may need what they define or change."""

import ast
import builtins
import warnings

import nbformat
import pytest

from conftest import ROOT

TAG = "skip-when-grading"
NOTEBOOKS = sorted(ROOT.glob("solutions/*/*.ipynb"))


def bound(tree):
    """Names a cell binds at any depth: assigned, imported, defined, parameters, loop and with targets."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def changed(tree):
    """Names whose objects a cell changes in place: ``x[i] = ...``, ``x.a = ...``, ``x += ...``, ``del x[i]``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            while isinstance(node, (ast.Subscript, ast.Attribute)):
                node = node.value
            if isinstance(node, ast.Name):
                names.add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def used(tree):
    """Names a cell reads that it does not bind itself (at any depth), builtins aside."""
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return read - bound(tree) - set(dir(builtins))


def parsed(cell):
    """The cell's syntax tree, IPython's magics and shell lines left out."""
    lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    with warnings.catch_warnings():  # a cell's own "\\l" in a string is its business
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse("\n".join(lines))


def needed_from_skipped(notebook):
    """[(skipped cell, later cell, names)]: what a cell that runs when grading needs from a skipped one."""
    cells = [(number, cell) for number, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    problems = []
    for position, (number, cell) in enumerate(cells):
        if TAG not in cell.metadata.get("tags", []):
            continue
        tree = parsed(cell)
        made = bound(tree) | changed(tree)
        for later_number, later in cells[position + 1:]:
            if TAG in later.metadata.get("tags", []):
                continue
            tree_later = parsed(later)
            names = made & (used(tree_later) | (changed(tree_later) - bound(tree_later)))
            if names:
                problems.append((number, later_number, sorted(names)))
    return problems


def test_the_rule_finds_a_name_defined_or_changed_in_a_skipped_cell():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nw = np.zeros(3)"),
        nbformat.v4.new_code_cell("losses = [1.0]\nw[0] = 5\nfor step in range(3):\n    pass",
                                  metadata={"tags": [TAG]}),
        nbformat.v4.new_code_cell("def f(x):\n    return x + losses[-1]"),
        nbformat.v4.new_code_cell("print(w, np.pi)"),
        nbformat.v4.new_code_cell("step = 1\nprint(step)"),
    ])
    assert needed_from_skipped(notebook) == [(1, 2, ["losses"]), (1, 3, ["w"])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.parent.name for path in NOTEBOOKS])
def test_no_cell_that_runs_when_grading_needs_a_skipped_one(path):
    notebook = nbformat.read(path, as_version=4)
    skipped = [cell for cell in notebook.cells if TAG in cell.metadata.get("tags", [])]
    assert all(cell.cell_type == "code" and "nbgrader" not in cell.metadata for cell in skipped), (
        "only ordinary code cells (no solution, no test) may be skipped when grading")
    problems = needed_from_skipped(notebook)
    assert not problems, "\n".join(f"cell {later + 1} uses {', '.join(names)} of skipped cell {number + 1}"
                                   for number, later, names in problems)


def test_the_grader_and_its_reference_run_skip_the_tag():
    from autograder.preprocessors import RecordingExecute
    from autograder.settings import course_config

    assert RecordingExecute(config=course_config()).skip_cells_with_tag == TAG
