"""`make report` on the demo class (conftest's ``demo``, graded once per session), copied, with a few students
planted in chapter 1: a pair that copied each other with the names changed, one with a hostile name and error
message, one late, one whose notebook is not JSON, and one on the roster who handed in nothing."""

import csv
import datetime
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import ROOT

CHAPTER = "01_losses"
HOSTILE_NAME = "=1+1 <script>alert('name')</script>"
HOSTILE_MESSAGE = "<img src=x onerror=alert(1)>"

# pia's own code, and quin's copy of it: other names, a comment, another blank line
PIA = {
    "sigmoid": ("def sigmoid(z):\n"
                "    z = np.asarray(z, dtype=float)\n"
                "    out = np.empty_like(z)\n"
                "    positive = z >= 0\n"
                "    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))\n"
                "    exp_z = np.exp(z[~positive])\n"
                "    out[~positive] = exp_z / (1.0 + exp_z)\n"
                "    return out\n"),
    "mse": ("def mse(pred, target):\n"
            "    flat_pred, flat_target = np.ravel(pred), np.ravel(target)\n"
            "    total = 0.0\n"
            "    for index in range(flat_pred.size):\n"
            "        difference = flat_pred[index] - flat_target[index]\n"
            "        total = total + difference * difference\n"
            "    return total / flat_pred.size\n"),
    "l1": f"def l1(pred, target):\n    raise ValueError({HOSTILE_MESSAGE!r})\n",
}
QUIN = {
    "sigmoid": ("def sigmoid(x):\n"
                "    # stable on both sides\n"
                "    x = np.asarray(x, dtype=float)\n"
                "    res = np.empty_like(x)\n"
                "    pos = x >= 0\n"
                "    res[pos] = 1.0 / (1.0 + np.exp(-x[pos]))\n\n"
                "    ex = np.exp(x[~pos])\n"
                "    res[~pos] = ex / (1.0 + ex)\n"
                "    return res\n"),
    "mse": ("def mse(a, b):\n"
            "    fa, fb = np.ravel(a), np.ravel(b)\n"
            "    acc = 0.0\n"
            "    for i in range(fa.size):\n"
            "        d = fa[i] - fb[i]  # one error\n"
            "        acc = acc + d * d\n"
            "    return acc / fa.size\n"),
}


def hand_in(class_dir, student, answers, when):
    """``student`` hands in the released chapter 1 with ``answers`` (grade_id: code) at ``when``."""
    folder = class_dir / "submitted" / student / CHAPTER
    folder.mkdir(parents=True)
    notebook = nbformat.read(ROOT / "notebooks" / CHAPTER / "losses.ipynb", as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(notebook, folder / "losses.ipynb")
    (folder / "timestamp.txt").write_text(f"{when} UTC")
    return folder


@pytest.fixture(scope="module")
def report(demo, tmp_path_factory):
    """The demo class with the planted students graded, and the figures of its report."""
    class_dir = tmp_path_factory.mktemp("report") / "class"
    shutil.copytree(demo, class_dir, symlinks=True, ignore=shutil.ignore_patterns("home", "exchange", "feedback"))
    hand_in(class_dir, "pia", PIA, "2029-12-30 12:00:00.000000")
    hand_in(class_dir, "quin", QUIN, "2030-01-03 12:00:00.000000")  # two days late
    (hand_in(class_dir, "ren", {}, "2029-12-30 12:00:00.000000") / "losses.ipynb").write_text('{"cells": [')
    (class_dir / "roster.csv").write_text("id,name,role\nzed,Zed,student\nmia,Mia,instructor\n")
    with Gradebook(f"sqlite:///{class_dir / 'gradebook.db'}") as gradebook:
        gradebook.update_or_create_assignment(CHAPTER, duedate=datetime.datetime(2030, 1, 1))
        gradebook.update_or_create_student("pia", first_name="Pia", last_name=HOSTILE_NAME)
    env = os.environ | {"JUPYTER_CONFIG_PATH": f"{class_dir}{os.pathsep}{ROOT / 'autograder'}"}
    graded = subprocess.run([sys.executable, "autograder/parallel_autograde.py", CHAPTER], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    state = json.loads((class_dir / "autograde_state.json").read_text())
    statuses = {student: state[f"{CHAPTER}/{student}"]["status"] for student in ("pia", "quin", "ren")}
    assert statuses == {"pia": "graded", "quin": "graded", "ren": "failed"}, graded.stdout[-3000:] + graded.stderr[-3000:]
    made = subprocess.run([sys.executable, "-m", "autograder.report"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
    return class_dir


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_pass_rate_of_a_test_cell(report):
    cells = {(r["assignment"], r["test_cell"]): r for r in rows(report / "report" / "test_cells.csv")}
    # chapter 1's sigmoid: ada, cy, dee, eve (the reference's), pia and quin (their own) pass; bo (nothing)
    # and fay (the textbook formula, which overflows) fail; ren could not be graded
    sigmoid = cells[(CHAPTER, "test_sigmoid")]
    assert (sigmoid["exercise"], sigmoid["passed"], sigmoid["graded"]) == ("sigmoid", "6", "8")
    assert float(sigmoid["pass_rate"]) == 0.75
    assert cells[(CHAPTER, "hidden_l1")]["passed"] == "4"  # eve's and pia's l1 raise, bo and quin wrote none


def test_missing_ungradable_and_late(report):
    found = {(r["kind"], r["assignment"], r["student"]) for r in rows(report / "report" / "problems.csv")}
    chapters = sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*"))
    assert {("missing", chapter, "zed") for chapter in chapters} <= found  # on the roster, nothing handed in
    assert ("missing", "02_gradient_descent", "pia") in found and ("missing", CHAPTER, "pia") not in found
    assert not any(student == "mia" for _, _, student in found)  # an instructor
    assert {(kind, chapter, student) for kind, chapter, student in found if kind != "missing"} == {
        ("ungradable", CHAPTER, "ren"), ("late", CHAPTER, "quin")}


def test_the_planted_pair_and_only_copies_are_flagged(report):
    pairs = {(r["assignment"], r["student_a"], r["student_b"]): r for r in rows(report / "report" / "similar_pairs.csv")}
    planted = pairs[(CHAPTER, "pia", "quin")]  # quin's code is pia's but where it meets the starter code
    assert float(planted["similarity_a"]) > 0.75 and float(planted["similarity_b"]) > 0.9
    assert (CHAPTER, "ada", "pia") not in pairs and (CHAPTER, "ada", "quin") not in pairs
    assert not any("bo" in pair for pair in pairs)  # the starter code alone is nobody's
    assert (CHAPTER, "ada", "fay") in pairs  # both hand in the reference solution, but for one cell


def test_failures_group_by_exercise_with_an_example(report):
    failures = rows(report / "report" / "failures.csv")
    hostile = [f for f in failures if f["exercise"] == "l1" and "onerror" in f["message"]]
    assert [(f["count"], f["example_student"], f["example"]) for f in hostile] == [
        ("1", "pia", f"ValueError: {HOSTILE_MESSAGE}")]
    assert hostile[0]["message"] == "ValueError: <img src=x onerror=alert(#)>"  # numbers normalised


def test_the_page_shows_hostile_text_as_text(report):
    page = (report / "report.html").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "=1+1 &lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(#)&gt;" in page
    assert page.count("<script") == 0 and "data:image/png;base64," in page


def test_grading_time_and_the_lms_exports(report):
    state = json.loads((report / "autograde_state.json").read_text())
    timed = rows(report / "report" / "grading_time.csv")
    assert {(r["assignment"], r["student"]): float(r["seconds"]) for r in timed} == {
        tuple(key.split("/")): entry["seconds"] for key, entry in state.items()}
    with open(report / "grades_canvas.csv", newline="") as f:
        canvas = list(csv.reader(f))
    assert canvas[0][:6] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", CHAPTER]
    column = canvas[0].index(CHAPTER)
    assert canvas[1][0].strip() == "Points Possible" and float(canvas[1][column]) == 27
    by_login = {row[3]: row for row in canvas[2:]}
    assert float(by_login["ada"][column]) == 27 and by_login["pia"][canvas[0].index("02_gradient_descent")] == ""
    assert by_login["pia"][0] == "'" + HOSTILE_NAME + ", Pia"  # a spreadsheet reads it as text, not a formula
    moodle = {r["username"]: r for r in rows(report / "grades_moodle.csv")}
    assert float(moodle["ada"][CHAPTER]) == 27 and moodle["bo"][CHAPTER] == "0.0"
