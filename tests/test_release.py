"""notebooks/ is what nbgrader generates from solutions/ now, and it gives nothing away."""

import ast
import json
import os
import subprocess
import sys

import pytest

from conftest import CHAPTERS, ROOT, class_environment, solution_lines


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    """Generate every chapter with nbgrader into a temporary release folder."""
    tmp = tmp_path_factory.mktemp("release")
    env = class_environment(tmp)
    for chapter in CHAPTERS:
        subprocess.run(["nbgrader", "generate_assignment", chapter, "--log-level=WARN"],
                       cwd=ROOT, env=env, check=True)
    return tmp / "release"


def without_patch_version(notebook):
    """The notebook with its kernel's Python version cut to major.minor (3.11.7 -> 3.11): the release writes the
    version of the kernel it ran, and a contributor whose Python differs only in that is still in sync."""
    language_info = notebook["metadata"]["language_info"]
    language_info["version"] = ".".join(language_info["version"].split(".")[:2])
    return notebook


def files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebooks_are_in_sync_with_solutions(chapter, fresh_release):
    committed, fresh = ROOT / "notebooks" / chapter, fresh_release / chapter
    assert files(committed) == files(fresh), "run `make release`: the files differ"
    for name in files(fresh):
        if name.suffix == ".ipynb":
            assert (without_patch_version(json.loads((committed / name).read_text()))
                    == without_patch_version(json.loads((fresh / name).read_text()))), (
                f"notebooks/{chapter}/{name} is stale: run `make release` and commit it")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebooks_carry_the_language_info_their_kernel_reports(chapter, fresh_release):
    """So that JupyterLab has nothing to write when the kernel starts (see tests/browser/test_widgets_fit.py)."""
    from ipykernel.ipkernel import IPythonKernel

    for path in (fresh_release / chapter).glob("*.ipynb"):
        assert json.loads(path.read_text())["metadata"]["language_info"] == IPythonKernel.language_info


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_sealed_quiz_is_in_sync_with_its_key(chapter):
    result = subprocess.run([sys.executable, "-m", "trainlab.quiz", "check-sealed",
                             f"solutions/{chapter}/quiz_key.py", f"lib/trainlab/quizzes/{chapter}.json"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"run `make release`: {result.stdout}{result.stderr}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebooks_reveal_no_solution_hidden_test_or_quiz_key(chapter):
    folder = ROOT / "notebooks" / chapter
    assert not (folder / "quiz_key.py").exists()
    for path in (ROOT / "solutions" / chapter).glob("*.ipynb"):
        released = (folder / path.name).read_text()
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "check_against_reference", "trainlab.grading"):
            assert marker not in released
        source = json.loads(released)
        released_lines = {line.strip() for cell in source["cells"] for line in "".join(cell["source"]).splitlines()}
        leaked = solution_lines(json.loads(path.read_text())) & released_lines
        assert not leaked, f"solution lines in the student notebook: {leaked}"


# Every chapter's test cells follow the protocol of README's "How to write a test cell".
CONVERTED = CHAPTERS
CHECKS = {"check", "check_close", "check_equal"}
ORACLES = {"oracle", "torch_result"}


def called(node):
    """The name a call calls (``f`` of ``f(...)`` or ``m.f(...)``), or None."""
    if isinstance(node, ast.Call):
        return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
    return None


def protocol_problems(source):
    """What in a test cell's source breaks the protocol: asserts, plain expected values, oracle_uses_student."""
    tree = ast.parse(source)
    deferred = {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and called(node.value) in ORACLES
                for target in node.targets if isinstance(target, ast.Name)}
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) or isinstance(node, ast.Raise) and "AssertionError" in ast.unparse(node):
            problems.append(f"line {node.lineno}: a verdict in the kernel: {ast.unparse(node)[:60]}")
        if isinstance(node, ast.Call) and called(node) in CHECKS:
            if any(keyword.arg == "oracle_uses_student" for keyword in node.keywords):
                problems.append(f"line {node.lineno}: oracle_uses_student")
            given = [keyword.value for keyword in node.keywords if keyword.arg == "expected"] or node.args[1:2]
            for expected in given:
                if not (called(expected) in ORACLES or isinstance(expected, ast.Name) and expected.id in deferred):
                    problems.append(f"line {node.lineno}: a plain expected value: {ast.unparse(expected)[:60]}")
    return problems


@pytest.mark.parametrize("chapter", CONVERTED)
def test_test_cells_defer_every_expected_value_and_make_no_verdict(chapter):
    for path in (ROOT / "solutions" / chapter).glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            marks = cell["metadata"].get("nbgrader", {})
            if cell["cell_type"] == "code" and marks.get("grade") and not marks.get("solution"):
                problems = protocol_problems("".join(cell["source"]))
                assert not problems, f"{marks['grade_id']}: {problems}"


def test_the_scan_finds_what_breaks_the_protocol():
    assert protocol_problems("check_close(f(x), oracle(g, x))\ny = torch_result(h, x)\ncheck_close(f(x), y)") == []
    found = protocol_problems("check_close(f(x), g(x))\nassert f(1) == 2\nraise AssertionError('no')\n"
                              "check_equal(f(x), expected=3)\ncheck_close(a, b, oracle_uses_student=True)")
    assert sorted(problem.split(":")[0] for problem in found) == ["line 1", "line 2", "line 3", "line 4", "line 5",
                                                                  "line 5"], found
