"""Errors that are the instructor's, not the students': the parallel grader names the cause once, on the
console and in its closing table, exits with an error, grades nothing of that assignment and writes no
student a feedback page (autograder/parallel_autograde.py)."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.settings import make_class
from conftest import ROOT

CHAPTER, NOTEBOOK = "01_losses", "losses.ipynb"


def hand_in(class_dir, *students):
    for student in students:
        folder = class_dir / "submitted" / student / CHAPTER
        folder.mkdir(parents=True)
        nbformat.write(nbformat.read(ROOT / "notebooks" / CHAPTER / NOTEBOOK, as_version=4), folder / NOTEBOOK)


def environment(class_dir, **options):
    """The class's environment, its folder made with ``options`` ({"CourseDirectory.db_url": ...})."""
    make_class(class_dir, **{"CourseDirectory.release_directory": str(class_dir / "release"), **options})
    return os.environ | {"JUPYTER_CONFIG_PATH": f"{class_dir}{os.pathsep}{ROOT / 'autograder'}"}


def autograde(env, settings=None):
    """parallel_autograde on the class, with a configuration file ``settings`` read before the others."""
    if settings is not None:
        folder = Path(env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0]) / "settings"
        folder.mkdir()
        (folder / "nbgrader_config.py").write_text(settings)
        env = env | {"JUPYTER_CONFIG_PATH": f"{folder}{os.pathsep}{env['JUPYTER_CONFIG_PATH']}"}
    return subprocess.run([sys.executable, "autograder/parallel_autograde.py", CHAPTER], cwd=ROOT, text=True,
                          capture_output=True, timeout=300, env=env)


def generate(env):
    subprocess.run(["nbgrader", "generate_assignment", CHAPTER, "--force", "--log-level=ERROR"], cwd=ROOT, check=True,
                   capture_output=True, env=env)


def source_directory(folder):
    return f"c = get_config()  # noqa: F821\nc.CourseDirectory.source_directory = {str(folder)!r}\n"


CASES = {
    "the gradebook lacks the assignment": (
        lambda class_dir: {}, f"the gradebook sqlite:///{{class_dir}}/gradebook.db?timeout=60 has no assignment "
                              f"{CHAPTER}: run `nbgrader generate_assignment {CHAPTER}`"),
    "no solutions folder": (
        lambda class_dir: {"settings": source_directory(class_dir / "nowhere")},
        "the instructor notebooks' folder {class_dir}/nowhere does not exist"),
    "no instructor notebook": (
        lambda class_dir: (class_dir / "empty" / CHAPTER).mkdir(parents=True) or {
            "settings": source_directory(class_dir / "empty")},
        f"there is no instructor notebook in {{class_dir}}/empty/{CHAPTER}"),
    "a configuration file that does not load": (
        lambda class_dir: {"settings": "c = get_config()  # noqa: F821\nc.Execute.timeout = (\n"},
        "the configuration did not load: {class_dir}/settings/nbgrader_config.py"),
    "a gradebook that cannot be reached": (
        lambda class_dir: {"CourseDirectory.db_url": "postgresql://teacher:s3cret@127.0.0.1:9/class"},
        "the gradebook postgresql://teacher:***@127.0.0.1:9/class could not be opened: OperationalError"),
}


@pytest.mark.parametrize("case", CASES)
def test_an_instructor_error_is_told_to_the_instructor_once_and_to_no_student(case, tmp_path):
    make, cause = CASES[case]
    options = make(tmp_path)
    unreachable = "CourseDirectory.db_url" in options
    settings = options.pop("settings", None)
    env = environment(tmp_path, **options)
    if case != "the gradebook lacks the assignment" and not unreachable:
        generate(env)
    hand_in(tmp_path, "ada", "bo")
    run = autograde(env, settings)
    cause = cause.format(class_dir=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert cause in run.stdout, run.stdout + run.stderr
    if case != "a configuration file that does not load":  # nothing is known of the class then
        assert run.stdout.count(cause) == 2, run.stdout  # the first line, and the closing table's
        assert f"  {CHAPTER} (2 submission(s), no feedback written): instructor error: {cause}" in run.stdout
    assert "s3cret" not in run.stdout + run.stderr
    assert not (tmp_path / "feedback").exists() or not any((tmp_path / "feedback").rglob("*.html"))
    assert not (tmp_path / "autograded").exists() or not any((tmp_path / "autograded").rglob("*.ipynb"))
