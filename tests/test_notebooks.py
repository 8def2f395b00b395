"""Every solution notebook runs and passes its tests; every student notebook's tests fail cleanly."""

import pytest

from conftest import CHAPTERS, ROOT, errors, grade_cells


def notebooks(folder):
    return [p for chapter in CHAPTERS for p in sorted((ROOT / folder / chapter).glob("*.ipynb"))]


@pytest.mark.parametrize("path", notebooks("solutions"), ids=lambda p: p.parent.name)
def test_solution_notebook_runs_and_passes_its_tests(path, run_notebook):
    notebook = run_notebook(path)
    failed = [(i, e.ename, e.evalue) for i, c in enumerate(notebook.cells) for e in errors(c)]
    assert not failed, f"cells raised: {failed}"
    tests = grade_cells(notebook)
    assert tests, "the notebook has no test cells"
    for cell in tests:
        stderr = [o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        assert not stderr, f"{cell.metadata.nbgrader.grade_id} wrote to stderr: {stderr}"


@pytest.mark.parametrize("path", notebooks("notebooks"), ids=lambda p: p.parent.name)
def test_student_notebook_runs_and_its_visible_tests_fail_cleanly(path, run_notebook):
    notebook = run_notebook(path, allow_errors=True)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert not errors(code[0]), "the set-up cell must run in the student notebook"
    assert not errors(code[-1]), "the quiz must run in the student notebook"
    visible = [c for c in grade_cells(notebook) if c.source.strip() and not all(
        line.startswith("#") for line in c.source.strip().splitlines())]
    assert visible
    for cell in visible:
        names = [e.ename for e in errors(cell)]
        assert names == ["NotImplementedError"], (
            f"{cell.metadata.nbgrader.grade_id} should fail with NotImplementedError, got {names}")
