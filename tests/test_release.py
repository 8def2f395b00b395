"""notebooks/ is what nbgrader generates from solutions/ now, and it gives nothing away."""

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
