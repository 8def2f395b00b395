"""The demo class (conftest's ``demo``) copied, with a few students planted in chapter 1, graded, and its
`make report`: a pair that copied each other with the names changed, one with a hostile name and error
message, one late, one whose notebook is not JSON, and one on the roster who handed in nothing. conftest's
session fixture ``report`` makes it once for tests/test_report.py and the report's browser test."""

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

ROOT = Path(__file__).resolve().parents[1]

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


def graded_report(demo, class_dir):
    """``demo`` copied to ``class_dir`` with the planted students, graded, and its report made."""
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
