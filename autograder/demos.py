"""Cells that only demonstrate, skipped when grading.

A code cell of an instructor notebook tagged ``skip-when-grading`` (a timing, a long demo training, a
picture) is skipped by the grader: nbclient skips cells with ``Execute.skip_cells_with_tag``, in the
reference run too. tests/test_skip_when_grading.py checks that no cell that runs when grading needs what
a skipped cell defines or changes (:func:`needed_from_skipped`).

A submission's tags are the student's, so ``SkipDemoCells`` decides them again: a cell is skipped when its
source is one of the instructor's skipped cells, unchanged, and no later cell of the submission needs it.
A demo cell the student edited, or whose names the student's own code uses, runs as in their Run All.
"""

import ast
import builtins
import warnings
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

TAG = "skip-when-grading"
BUILTINS = frozenset(dir(builtins))


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
    """Names whose objects a cell changes in place: ``x[i] = ...``, ``x.a = ...``, ``del x[i]``, ``x += ...``."""
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
    return read - bound(tree) - BUILTINS


def parsed(cell):
    """The cell's syntax tree (IPython's magics and shell lines left out), or None if it is no Python."""
    lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    with warnings.catch_warnings():  # a cell's own "\l" in a string is its business
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return ast.parse("\n".join(lines))
        except (SyntaxError, ValueError):
            return None


def wanted(cell):
    """The names a cell uses, or changes without binding them; None if it is no Python (it may want any)."""
    tree = parsed(cell)
    return None if tree is None else used(tree) | (changed(tree) - bound(tree))


def needed_from_skipped(nb, skipped=None):
    """[(skipped cell, later cell, names)]: what a cell that runs when grading needs of a skipped one.
    skipped: the indices of the skipped cells (default: the cells tagged TAG)."""
    if skipped is None:
        skipped = {number for number, cell in enumerate(nb.cells) if TAG in cell.metadata.get("tags", [])}
    running = {number: wanted(cell) for number, cell in enumerate(nb.cells)
               if cell.cell_type == "code" and number not in skipped}
    problems = []
    for number in sorted(skipped):
        tree = parsed(nb.cells[number])
        made = bound(tree) | changed(tree) if tree is not None else set()
        for later in sorted(n for n in running if n > number):
            names = set(made) if running[later] is None else made & running[later]
            if names:
                problems.append((number, later, sorted(names)))
    return problems


class SkipDemoCells(NbGraderPreprocessor):
    """Tag the submission's cells the grader skips (TAG): those whose source is one of the instructor notebook's
    skipped cells, unchanged, and that no later cell of the submission needs; any other cell loses the tag.
    Run among Autograde's sanitize_preprocessors, before the notebook runs."""

    source_directory = Unicode(help="the instructor notebooks: <source_directory>/<assignment>/").tag(config=True)

    def preprocess(self, nb, resources):
        assignment, notebook = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
        source = nbformat.read(Path(self.source_directory) / assignment / f"{notebook}.ipynb", as_version=4)
        demos = {cell.source for cell in source.cells if TAG in cell.metadata.get("tags", [])}
        skipped = {number for number, cell in enumerate(nb.cells)
                   if cell.cell_type == "code" and cell.source in demos and "nbgrader" not in cell.metadata}
        while True:  # a cell needed by a later one runs, and then what it needs runs too
            needed = {number for number, _, _ in needed_from_skipped(nb, skipped)}
            if not needed:
                break
            skipped -= needed
        for number, cell in enumerate(nb.cells):
            tags = [tag for tag in cell.metadata.get("tags", []) if tag != TAG]
            if number in skipped:
                tags.append(TAG)
            if tags:
                cell.metadata["tags"] = tags
            else:
                cell.metadata.pop("tags", None)
        return nb, resources
