"""Grading as an ordinary user: the sandbox's path without root (bubblewrap in a user namespace,
memory capped by RLIMIT_DATA) earns the same scores as the corpus under root.

Run as root (as CI runs), the batch is graded as the user ``trainlab-grader`` (made if missing); run as
anyone else, as that user. One small batch of autograder/broken.py: a right submission, a memory
balloon, a process storm and a submission that tries to read the instructor notebook.
"""

import csv
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder.broken import CASES
from autograder.demo import submission
from autograder.settings import make_class
from conftest import ROOT

CHAPTER = "01_losses"
USER = "trainlab-grader"
STUDENTS = ("ada", "balloon", "storm", "peeker")


def unreachable_folder(path):
    """The outermost folder above ``path`` that others may not enter (root's home, where pyenv puts
    Python), or None."""
    for folder in reversed(Path(path).parents):
        if folder != Path("/") and not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def as_user(command):
    """``command`` (a list) run as USER, in a mount namespace of its own where the folder that hides
    Python from USER is an empty one holding only the way to Python; as it is when not run by root."""
    if os.geteuid() != 0:
        return command
    user = ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--init-groups", "--", *command]
    python = Path(os.path.realpath(sys.base_prefix))
    hidden = unreachable_folder(python)
    if hidden is None:
        return user
    top = hidden / python.relative_to(hidden).parts[0]  # /root/.pyenv
    script = (f"set -e; keep=$(mktemp -d); mount --bind {shlex.quote(str(top))} $keep; "
              f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(str(hidden))}; mkdir {shlex.quote(str(top))}; "
              f"mount --bind $keep {shlex.quote(str(top))}; exec {shlex.join(user)}")
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]


@pytest.fixture(scope="module")
def graded():
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                           check=True)
    folder = Path(tempfile.mkdtemp(prefix="trainlab-unprivileged-"))  # pytest's are root's alone
    try:
        yield grade(folder)
    finally:
        shutil.rmtree(folder)


def grade(folder):
    """{student: score} of the batch, graded as USER in a class in ``folder``, and {student: the text of
    their autograded notebook}."""
    class_dir, home = folder / "class", folder / "home"
    make_class(class_dir, **{"CourseDirectory.release_directory": str(class_dir / "release"),
                             "SandboxProvisioner.memory": 10**9, "SandboxProvisioner.processes": 64,
                             "SandboxProvisioner.disk": 20 * 10**6, "Execute.timeout": 10})
    release = nbformat.read(ROOT / "notebooks" / CHAPTER / "losses.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions" / CHAPTER / "losses.ipynb", as_version=4)
    for case in (case for case in CASES if case["student"] in STUDENTS):
        submitted = class_dir / "submitted" / case["student"] / CHAPTER
        submitted.mkdir(parents=True)
        for name, text in case["files"](lambda **cells: submission(release, solution, {
                "base": "solution", "cells": cells})).items():
            (submitted / name).write_text(text.replace("CLASS_DIR", str(class_dir)).replace("COURSE_DIR", str(ROOT)))
    home.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, USER, USER)
        for path in [home, *class_dir.rglob("*"), class_dir]:
            shutil.chown(path, USER, USER)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
           "JUPYTER_CONFIG_PATH": f"{class_dir}{os.pathsep}{ROOT / 'autograder'}"}
    for command in (["nbgrader", "generate_assignment", CHAPTER, "--force", "--log-level=ERROR"],
                    [sys.executable, str(ROOT / "autograder" / "parallel_autograde.py"), CHAPTER],
                    ["nbgrader", "export", "--to", str(class_dir / "grades.csv"), "--log-level=ERROR"]):
        run = subprocess.run(as_user(command), cwd=class_dir, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, f"{command}:\n{run.stdout}{run.stderr}"
    with open(class_dir / "grades.csv") as f:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    graded = {student: (class_dir / "autograded" / student / CHAPTER / "losses.ipynb").read_text()
              for student in STUDENTS}
    return scores, graded


def test_an_ordinary_user_grades_the_batch_as_root_does(graded):
    scores, notebooks = graded
    assert os.geteuid() != 0 or pwd.getpwnam(USER).pw_uid != 0  # an ordinary user graded them
    assert scores == {case["student"]: case["score"] for case in CASES if case["student"] in STUDENTS}
    for case in CASES:
        if case["student"] in ("balloon", "storm"):  # the caps are named without cgroups too
            assert case["says"] in notebooks[case["student"]], case["about"]
