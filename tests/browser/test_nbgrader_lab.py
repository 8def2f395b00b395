"""nbgrader's JupyterLab extensions on the course: a student fetches and validates a chapter from the
Assignment List, the instructor's formgrader lists the chapters and their gradebook, and script in a
submission runs neither in formgrader nor in the feedback page.

The chapters are released from notebooks/ to the exchange of a temporary class folder, as
`make release-assignment` does; the student has a home and configuration of their own, as on a
JupyterHub (autograder/classroom.py).
"""

import os
import subprocess
import sys

import pytest
from nbformat import read

from conftest import CHAPTERS, REFERENCE_RECORDS, ROOT

from .conftest import jupyterlab_server, open_lab
from .jupyterlab import timed

from autograder.broken import CASES
from autograder.classroom import Student
from autograder.demo import submission
from autograder.settings import make_class

# `nbgrader release_assignment` for every chapter in one process: importing nbgrader takes seconds.
RELEASE_CHAPTERS = """
import sys
from nbgrader.apps.releaseassignmentapp import ReleaseAssignmentApp
for chapter in sys.argv[1:]:
    app = ReleaseAssignmentApp()
    app.initialize([chapter, "--force", "--log-level=WARN"])
    app.start()
"""
CHAPTER, NOTEBOOK = "01_losses", "losses.ipynb"


def class_configured(class_dir):
    """The environment of nbgrader commands on the class in ``class_dir``: its configuration, then the course's."""
    return {**os.environ, "JUPYTER_CONFIG_PATH": f"{class_dir}{os.pathsep}{ROOT / 'autograder'}"}


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory):
    """A class folder with every chapter released to its exchange."""
    class_dir = tmp_path_factory.mktemp("class")
    make_class(class_dir, **{"JudgeTestCells.cache_directory": REFERENCE_RECORDS})
    environment = class_configured(class_dir)
    with timed("nbgrader: release every chapter"):
        subprocess.run([sys.executable, "-c", RELEASE_CHAPTERS, *CHAPTERS], cwd=ROOT, env=environment, check=True)
    return class_dir


@pytest.fixture(scope="module")
def student(browser, class_dir, tmp_path_factory):
    """JupyterLab of the student ada, in her home, with her nbgrader configuration (not the instructor's)."""
    home = tmp_path_factory.mktemp("home") / "ada"
    Student("ada", home, exchange=class_dir / "exchange")
    env = {"HOME": str(home), "USER": "ada", "LOGNAME": "ada", "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
           "JUPYTER_CONFIG_PATH": None}
    with jupyterlab_server(home, tmp_path_factory.mktemp("student-lab"), env) as server:
        yield open_lab(browser, *server), home


@pytest.fixture(scope="module")
def instructor(browser, class_dir, tmp_path_factory):
    """JupyterLab of the instructor, rooted at the course, with its nbgrader configuration and the class."""
    env = {"JUPYTER_CONFIG_PATH": class_configured(class_dir)["JUPYTER_CONFIG_PATH"]}
    with jupyterlab_server(ROOT, tmp_path_factory.mktemp("instructor"), env) as server:
        yield open_lab(browser, *server)


def test_student_fetches_a_chapter_and_validates_it(student, checked):
    lab, home = student
    checked(lab)
    lab.menu("Nbgrader", "Assignment List")
    released = lab.page.locator("#released_assignments_list")
    for chapter in CHAPTERS:
        released.get_by_text(chapter, exact=True).wait_for()

    with timed("nbgrader: fetch a chapter"):
        released.locator(".list_item").filter(has_text=CHAPTER).get_by_role("button", name="Fetch").click()
        fetched = lab.page.locator("#fetched_assignments_list")
        fetched.get_by_role("button", name=CHAPTER).wait_for()
    assert (home / CHAPTER / NOTEBOOK).is_file()

    with timed("nbgrader: validate the fetched chapter"):
        fetched.get_by_role("button", name=CHAPTER).click()  # shows its notebooks
        fetched.get_by_role("button", name="Validate").click()
        dialog = lab.page.locator(".jp-Dialog")
        dialog.get_by_text("Validation Results").wait_for(timeout=120_000)
    result = dialog.inner_text()
    assert "NotImplementedError" in result and "Success!" not in result, result
    dialog.get_by_role("button", name="Ok").click()


def test_instructor_sees_every_chapter_in_formgrader_and_its_gradebook(instructor, checked):
    checked(instructor)
    instructor.menu("Nbgrader", "Formgrader")
    formgrader = instructor.page.frame_locator("iframe").first
    for chapter in CHAPTERS:
        row = formgrader.locator("tr").filter(has=formgrader.get_by_text(chapter, exact=True))
        assert "released" in row.inner_text(), row.inner_text()

    formgrader.get_by_role("link", name="Manual Grading").click()  # the gradebook
    for chapter in CHAPTERS:
        formgrader.locator(f"a[href$='/formgrader/gradebook/{chapter}']").wait_for()


def test_script_in_a_submission_does_not_run_in_formgrader_or_feedback(instructor, class_dir, checked):
    """A submission whose Markdown and outputs hold script (autograder/broken.py, "scripter"), graded and
    opened in formgrader and in its feedback page: the script is shown or dropped, never run."""
    case = next(case for case in CASES if case["student"] == "scripter")
    release, solution = (read(ROOT / folder / CHAPTER / NOTEBOOK, as_version=4)
                         for folder in ("notebooks", "solutions"))
    folder = class_dir / "submitted" / "scripter" / CHAPTER
    folder.mkdir(parents=True)
    for name, text in case["files"](lambda **cells: submission(release, solution, {"base": "solution",
                                                                                     "cells": cells})).items():
        (folder / name).write_text(text)
    environment = class_configured(class_dir)
    with timed("grade one submission, write its feedback"):
        for command in (["-m", "nbgrader", "generate_assignment", CHAPTER, "--force",
                         f"--CourseDirectory.release_directory={class_dir / 'release'}"],
                        ["autograder/parallel_autograde.py", CHAPTER, "--student", "scripter"],
                        ["-m", "nbgrader", "generate_feedback", CHAPTER, "--student", "scripter"]):
            subprocess.run([sys.executable, *command], cwd=ROOT, env=environment, check=True, capture_output=True)
    checked(instructor)
    pages = {"formgrader": f"{instructor.url}/formgrader/submissions/{submission_id(class_dir)}/",
             "feedback": (class_dir / "feedback" / "scripter" / CHAPTER / "losses.html").as_uri()}
    for where, address in pages.items():
        page = instructor.page.context.new_page()
        page.goto(address)
        page.get_by_text("My notes").wait_for()  # the Markdown cell is there
        page.wait_for_timeout(1000)  # time for an image's onerror to fire
        assert "pwned" not in page.title(), f"script ran in {where}: {page.title()}"
        planted = page.evaluate("[...document.querySelectorAll('script, [onerror]')]"
                                ".filter(e => e.outerHTML.includes('pwned')).length")
        assert planted == 0, f"{where} holds the submission's script"
        page.close()


def submission_id(class_dir):
    """The gradebook's id of scripter's chapter 1 notebook."""
    environment = class_configured(class_dir)
    code = ("from nbgrader.apps import NbGraderAPI; from nbgrader.apps.nbgraderapp import NbGraderApp\n"
            "app = NbGraderApp(); app.load_config_file()\n"
            f"with NbGraderAPI(config=app.config).gradebook as gb: print(gb.find_submission_notebook("
            f"'losses', {CHAPTER!r}, 'scripter').id)")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, check=True, capture_output=True,
                          text=True).stdout.strip()
