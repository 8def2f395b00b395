"""The instructor's class workflow beyond the demo: zip_collect, and the parallel grader's
resume, budget and gradebook (autograder/parallel_autograde.py)."""

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

from conftest import ROOT, class_environment

from autograder.demo import submission
from autograder.sandbox import PREFIX, Cgroups, grader_gone, private_parent

CHAPTER, NOTEBOOK = "01_losses", "losses.ipynb"


def environment(class_dir):
    return class_environment(class_dir)


def nbgrader(class_dir, *args):
    return subprocess.run(["nbgrader", *args, "--log-level=WARN"], cwd=ROOT, env=environment(class_dir),
                          capture_output=True, text=True, check=True)


def autograde(class_dir, *args):
    return subprocess.run([sys.executable, "autograder/parallel_autograde.py", CHAPTER, *args], cwd=ROOT,
                          env=environment(class_dir), capture_output=True, text=True, timeout=600)


def answers(**cells):
    """A chapter 1 submission: the reference solution with some cells replaced."""
    return submission(nbformat.read(ROOT / "notebooks" / CHAPTER / NOTEBOOK, as_version=4),
                      nbformat.read(ROOT / "solutions" / CHAPTER / NOTEBOOK, as_version=4),
                      {"base": "solution", "cells": cells})


def hand_in(class_dir, student, notebook):
    folder = class_dir / "submitted" / student / CHAPTER
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / NOTEBOOK)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")


def scores(class_dir):
    nbgrader(class_dir, "export", "--to", str(class_dir / "grades.csv"))
    with open(class_dir / "grades.csv") as f:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(f) if row["timestamp"]}


@pytest.fixture
def class_dir(tmp_path):
    nbgrader(tmp_path, "generate_assignment", CHAPTER, "--force")
    return tmp_path


def test_zip_collect_files_loose_and_zipped_notebooks_under_their_students(class_dir):
    archive = class_dir / "downloaded" / CHAPTER / "archive"
    archive.mkdir(parents=True)
    notebook = answers()
    nbformat.write(notebook, archive / f"ada_{NOTEBOOK}")
    with zipfile.ZipFile(archive / "lms-download.zip", "w") as zipped:
        for student in ("bo", "cy"):
            zipped.writestr(f"{student}_{NOTEBOOK}", nbformat.writes(notebook))
    nbgrader(class_dir, "zip_collect", CHAPTER)
    for student in ("ada", "bo", "cy"):
        collected = nbformat.read(class_dir / "submitted" / student / CHAPTER / NOTEBOOK, as_version=4)
        assert [c.source for c in collected.cells] == [c.source for c in notebook.cells]


def test_a_second_run_grades_only_what_is_new_or_changed(class_dir):
    hand_in(class_dir, "ada", answers())
    hand_in(class_dir, "bo", answers(mse="def mse(y_pred, y):\n    return np.mean(np.abs(y_pred - y))\n"))
    first = autograde(class_dir)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "graded 2 of 2" in first.stdout
    assert scores(class_dir) == {"ada": 27.0, "bo": 24.0}

    hand_in(class_dir, "bo", answers())  # bo hands in again, now right
    hand_in(class_dir, "cy", answers())  # and cy for the first time
    second = autograde(class_dir)
    assert "1 submission(s) unchanged since they were graded: skipped" in second.stdout
    assert "graded 2 of 2" in second.stdout
    assert scores(class_dir) == {"ada": 27.0, "bo": 27.0, "cy": 27.0}
    state = json.loads((class_dir / "autograde_state.json").read_text())
    assert {key: entry["status"] for key, entry in state.items()} == {
        f"{CHAPTER}/{student}": "graded" for student in ("ada", "bo", "cy")}


def test_a_submission_over_budget_is_stopped_with_its_kernel_and_tried_again_next_time(class_dir):
    hand_in(class_dir, "slow", answers(sigmoid="import time\ntime.sleep(50)\n"))  # cells may take 60 s
    result = autograde(class_dir, "--budget", "10")
    assert result.returncode == 1
    assert "01_losses slow: over budget after 1" in result.stdout  # 10.x seconds
    left = [p.info for p in psutil.process_iter(["cmdline", "cwd", "status"]) if "ipykernel" in
            " ".join(p.info["cmdline"] or []) and (str(p.info["cwd"]).startswith(str(class_dir))
                                                   or "/trainlab-dask-" in str(p.info["cwd"]))
            and p.info["status"] != psutil.STATUS_ZOMBIE]  # nbgrader runs kernels in a Dask worker's folder
    assert not left, f"kernels left running: {left}"
    behind = [path for parent in {private_parent(), *Cgroups.parents().values()} for path in parent.glob(f"{PREFIX}*")
              if grader_gone(path.name)]
    assert not behind, f"the killed grader's kernel left its private folder or cgroups: {behind}"

    again = autograde(class_dir, "--budget", "5")  # not skipped: only graded submissions are
    assert "unchanged" not in again.stdout and "01_losses slow: over budget after 5" in again.stdout


def test_a_submission_that_cannot_be_graded_still_gets_its_explanation_through_the_exchange(class_dir):
    from autograder.classroom import Student

    nbgrader(class_dir, "release_assignment", CHAPTER, "--force")
    students = {name: Student(name, class_dir / "home" / name, class_dir / "exchange") for name in ("ada", "cy")}
    for name, student in students.items():
        folder = student.fetch(CHAPTER)
        if name == "ada":
            nbformat.write(answers(), folder / NOTEBOOK)
        else:  # saved only in part
            (folder / NOTEBOOK).write_text('{"cells": [{"cell_type": "code", "source": "def sigmoid(z')
        student.submit(CHAPTER)
    nbgrader(class_dir, "collect", CHAPTER)
    assert autograde(class_dir).returncode == 1  # cy could not be graded
    nbgrader(class_dir, "generate_feedback", CHAPTER)
    nbgrader(class_dir, "release_feedback", CHAPTER)  # cy's explanation page does not stop it
    for name, says in [("ada", "Score: 27"), ("cy", "not valid JSON")]:
        (page,) = students[name].fetch_feedback(CHAPTER).glob(f"*/{Path(NOTEBOOK).stem}.html")
        assert says in page.read_text()


WRONG_MSE = "def mse(y_pred, y):\n    return np.mean(np.abs(y_pred - y))\n"


def test_collect_copies_regular_files_and_refuses_what_a_student_linked(class_dir):
    """A student owns their inbound folder: a link there to the instructor notebook earned full marks."""
    from autograder.classroom import Student

    nbgrader(class_dir, "release_assignment", CHAPTER, "--force")
    for name, notebook in [("ada", answers()), ("eve", answers(mse=WRONG_MSE))]:
        student = Student(name, class_dir / "home" / name, class_dir / "exchange")
        nbformat.write(notebook, student.fetch(CHAPTER) / NOTEBOOK)
        student.submit(CHAPTER)
    (inbound,) = (class_dir / "exchange" / "trainlab" / "inbound").glob(f"eve+{CHAPTER}+*")
    (inbound / NOTEBOOK).unlink()
    (inbound / NOTEBOOK).symlink_to(ROOT / "solutions" / CHAPTER / NOTEBOOK)
    os.mkfifo(inbound / "pipe")  # copying it would wait for a writer forever
    (inbound / "big.bin").write_bytes(bytes(300_000))
    collected = nbgrader(class_dir, "collect", CHAPTER, "--CourseDirectory.max_file_size=200")  # kB
    for says in (f"{NOTEBOOK}: a link", "pipe: a fifo", "big.bin: 300,000 bytes, over the limit of 200,000"):
        assert says in collected.stderr, collected.stderr
    eve = class_dir / "submitted" / "eve" / CHAPTER
    assert {path.name for path in eve.iterdir()} == {"timestamp.txt", "submission_secret.txt"}
    assert (eve / "timestamp.txt").is_file()
    graded = autograde(class_dir)
    assert f"{CHAPTER} eve: failed" in graded.stdout and f"No notebook named {NOTEBOOK}" in graded.stdout
    assert scores(class_dir) == {"ada": 27.0}



def test_collect_refuses_a_folder_named_after_a_classmate(class_dir):
    """Where students are users of the machine, another user's folder named ada+... with a later timestamp
    would replace ada's submission: nbgrader only warns."""
    from autograder.classroom import Student

    nbgrader(class_dir, "release_assignment", CHAPTER, "--force")
    ada = Student("ada", class_dir / "home" / "ada", class_dir / "exchange")
    nbformat.write(answers(), ada.fetch(CHAPTER) / NOTEBOOK)
    ada.submit(CHAPTER)
    (genuine,) = (class_dir / "exchange" / "trainlab" / "inbound").glob(f"ada+{CHAPTER}+*")
    student, assignment, timestamp = genuine.name.split("+", 2)
    impostor = genuine.with_name(f"{student}+{assignment}+2099{timestamp[4:]}")
    shutil.copytree(genuine, impostor)
    nbformat.write(answers(mse=WRONG_MSE), impostor / NOTEBOOK)
    for path in (impostor, *impostor.iterdir()):
        os.chown(path, 4242, 4242)  # a uid no account has: another student's
    collected = nbgrader(class_dir, "collect", CHAPTER)
    assert f"{impostor.name} names ada but was made by uid 4242" in collected.stderr, collected.stderr
    submitted = class_dir / "submitted" / "ada" / CHAPTER
    assert (submitted / "timestamp.txt").read_text() == (genuine / "timestamp.txt").read_text()
    assert (submitted / NOTEBOOK).read_text() == (genuine / NOTEBOOK).read_text()

def lms_download(class_dir, members):
    """The LMS's download of chapter 1: a zip of ``members`` ({name: bytes}) in the archive folder."""
    archive = class_dir / "downloaded" / CHAPTER / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms-download.zip", "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)


def zipped(members):
    with zipfile.ZipFile(buffer := __import__("io").BytesIO(), "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_collect_takes_ids_from_the_lms_and_skips_what_a_student_packed_with_a_report(class_dir):
    right, wrong = nbformat.writes(answers()), nbformat.writes(answers(mse=WRONG_MSE))
    lms_download(class_dir, {
        f"ada_{NOTEBOOK}": wrong,
        f"bo_{NOTEBOOK}": wrong,
        # eve's upload, a zip the LMS passed on: a right notebook in bo's name, and names that escape
        "eve_losses.zip": zipped({f"bo_{NOTEBOOK}": right, f"../cy_{NOTEBOOK}": right, f"*_{NOTEBOOK}": right}),
        f"../../dan_{NOTEBOOK}": right,
        f"[ab]da_{NOTEBOOK}": right,
    })
    collected = nbgrader(class_dir, "zip_collect", CHAPTER)
    for says in ["eve_losses.zip in lms-download.zip: an archive inside the instructor's archive",
                 f"../../dan_{NOTEBOOK} in lms-download.zip: an unsafe name",
                 f"[ab]da_{NOTEBOOK}: its name does not start with a valid student id"]:
        assert says in collected.stderr, collected.stderr
    assert sorted(path.name for path in (class_dir / "submitted").iterdir()) == ["ada", "bo"]
    assert not list(class_dir.rglob(f"*dan_{NOTEBOOK}")) and not list(class_dir.rglob(f"cy_{NOTEBOOK}"))
    autograde(class_dir)
    assert scores(class_dir) == {"ada": 24.0, "bo": 24.0}


def test_release_feedback_works_for_zip_collected_students(class_dir):
    from autograder.classroom import Student

    nbgrader(class_dir, "release_assignment", CHAPTER, "--force")
    ada = Student("ada", class_dir / "home" / "ada", class_dir / "exchange")
    nbformat.write(answers(), ada.fetch(CHAPTER) / NOTEBOOK)
    ada.submit(CHAPTER)
    nbgrader(class_dir, "collect", CHAPTER)
    lms_download(class_dir, {f"bo_{NOTEBOOK}": nbformat.writes(answers())})
    nbgrader(class_dir, "zip_collect", CHAPTER)
    assert autograde(class_dir).returncode == 0
    nbgrader(class_dir, "generate_feedback", CHAPTER)
    released = nbgrader(class_dir, "release_feedback", CHAPTER)
    assert "hand it back through the LMS" in released.stderr and "/bo/" in released.stderr
    (page,) = ada.fetch_feedback(CHAPTER).glob(f"*/{Path(NOTEBOOK).stem}.html")
    assert "Score: 27" in page.read_text()
    assert (class_dir / "feedback" / "bo" / CHAPTER / "losses.html").is_file()


def test_a_submission_folder_named_like_a_pattern_is_reported_not_graded(class_dir):
    """nbgrader takes --student for a glob: "[a]da" would grade ada's folder in the name of another."""
    hand_in(class_dir, "ada", answers(mse=WRONG_MSE))
    hand_in(class_dir, "[a]da", answers())
    result = autograde(class_dir)
    assert "01_losses/[a]da: not graded: '[a]da' is not a student id" in result.stdout, result.stdout
    assert scores(class_dir) == {"ada": 24.0}
