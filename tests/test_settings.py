"""The grader's settings: one table in the README, and a class folder that takes the class's files."""

import os
import stat
import subprocess

from autograder.settings import make_class, table
from conftest import ROOT


def test_the_readme_lists_every_setting_with_the_courses_default():
    assert table() in (ROOT / "README.md").read_text(), "run `python -m autograder.settings table` into README.md"


def test_a_class_folder_gets_the_gradebook_and_an_exchange_every_student_may_write_to(tmp_path):
    make_class(tmp_path / "class", **{"CourseDirectory.course_id": "trainlab"})
    env = os.environ | {"JUPYTER_CONFIG_PATH": f"{tmp_path / 'class'}{os.pathsep}{ROOT / 'autograder'}"}
    subprocess.run(["nbgrader", "db", "student", "add", "ada", "--log-level=ERROR"], cwd=ROOT, env=env, check=True)
    listed = subprocess.run(["nbgrader", "db", "student", "list"], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True).stdout
    assert "ada" in listed
    assert (tmp_path / "class" / "gradebook.db").is_file()  # the class's configuration won over the course's
    assert stat.S_IMODE((tmp_path / "class" / "exchange").stat().st_mode) == 0o777
