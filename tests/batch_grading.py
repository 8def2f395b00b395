"""Grading a batch of submissions the way a class is graded, for the tests of the grader: nbgrader's
generate_assignment, autograder/parallel_autograde.py over every submission at once, the feedback and
the gradebook's scores (tests/test_broken_submissions.py, tests/test_different_submissions.py)."""

import csv
import subprocess
import sys

import nbformat

from autograder.demo import submission
from conftest import ROOT


def nbgrader(env, *args):
    subprocess.run(["nbgrader", *args, "--log-level=ERROR"], cwd=ROOT, env=env, check=True, capture_output=True)


def answer_sheet(env, chapter):
    """``answers(**cells)``: the chapter's released notebook with the reference's solutions, the named
    solution cells (by grade_id) replaced. Generates the assignment first."""
    nbgrader(env, "generate_assignment", chapter, "--force")
    name = next((ROOT / "solutions" / chapter).glob("*.ipynb")).name
    release = nbformat.read(ROOT / "notebooks" / chapter / name, as_version=4)
    solution = nbformat.read(ROOT / "solutions" / chapter / name, as_version=4)
    return lambda **cells: submission(release, solution, {"base": "solution", "cells": cells})


def hand_in(class_dir, chapter, student, files):
    """Write a submission's ``files`` ({name: text}) into the class's submitted folder."""
    folder = class_dir / "submitted" / student / chapter
    folder.mkdir(parents=True)
    (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC\n")
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text.replace("CLASS_DIR", str(class_dir)).replace("COURSE_DIR", str(ROOT)))


def grade(class_dir, env, chapters, timeout=900):
    """parallel_autograde over every submission, then feedback; returns (the run, {(chapter, student): score})."""
    run = subprocess.run([sys.executable, "autograder/parallel_autograde.py", *chapters], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=timeout)
    print(run.stdout)
    for chapter in chapters:
        nbgrader(env, "generate_feedback", chapter)
    nbgrader(env, "export", "--to", str(class_dir / "grades.csv"))
    with open(class_dir / "grades.csv") as f:
        scores = {(row["assignment"], row["student_id"]): float(row["score"]) for row in csv.DictReader(f)}
    return run, scores
