"""The parallel grader writes into a real PostgreSQL gradebook (nbgrader's ``db_url``).

The test starts its own PostgreSQL server on loopback, from Debian's ``postgresql`` package, which
it installs with apt when it is missing and it may (as root); otherwise it fails saying so.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import psycopg
import pytest

from conftest import ROOT, class_environment

from autograder.demo import submission

CHAPTER = "01_losses"
WRONG_MSE = "def mse(y_pred, y):\n    return np.mean(np.abs(y_pred - y))\n"


def postgres_bin():
    """The folder of PostgreSQL's server programs, installing Debian's package if need be."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found and shutil.which("apt-get") and os.geteuid() == 0:
        install = ["apt-get", "install", "-y", "-q", "postgresql"]
        if subprocess.run(install, capture_output=True).returncode:
            subprocess.run(["apt-get", "update", "-q"], capture_output=True)
            subprocess.run(install, capture_output=True, check=True)
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL's server is not installed and cannot be installed here (needs root and "
                    "apt-get): install Debian's package `postgresql` to run this test")
    return found[-1].parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A fresh PostgreSQL server on 127.0.0.1 with an empty database; its URL."""
    bin_dir, home = postgres_bin(), Path(tempfile.mkdtemp(prefix="trainlab-postgres-"))
    data, as_owner = home / "data", []
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the package's user
        home.chmod(0o777)
        as_owner = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run([*as_owner, bin_dir / "initdb", "-D", data, "-U", "grader", "--auth=trust"],
                   check=True, capture_output=True)
    subprocess.run([*as_owner, bin_dir / "pg_ctl", "-D", data, "-l", data / "server.log", "-w", "start", "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {data}"], check=True, capture_output=True)
    try:
        subprocess.run([bin_dir / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "grader", "gradebook"],
                       check=True, capture_output=True)
        yield f"postgresql://grader@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_owner, bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_a_class_graded_in_parallel_lands_in_postgres_once_each(postgres_url, tmp_path):
    env = class_environment(tmp_path, **{"CourseDirectory.db_url": postgres_url})
    subprocess.run(["nbgrader", "generate_assignment", CHAPTER, "--force", "--log-level=ERROR"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    release = nbformat.read(ROOT / "notebooks" / CHAPTER / "losses.ipynb", as_version=4)
    solution = nbformat.read(ROOT / "solutions" / CHAPTER / "losses.ipynb", as_version=4)
    class_ = {"ada": ("solution", {}), "bo": ("release", {}), "cy": ("solution", {"mse": WRONG_MSE})}
    for student, (base, cells) in class_.items():
        folder = tmp_path / "submitted" / student / CHAPTER
        folder.mkdir(parents=True)
        nbformat.write(submission(release, solution, {"base": base, "cells": cells}), folder / "losses.ipynb")
    run = subprocess.run([sys.executable, "autograder/parallel_autograde.py", CHAPTER, "--workers", "3"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert not (tmp_path / "gradebook.db").exists(), "graded into SQLite, not PostgreSQL"

    with psycopg.connect(postgres_url) as connection, connection.cursor() as cursor:
        cursor.execute("""SELECT s.student_id, count(*), sum(g.auto_score)
                          FROM grade g JOIN submitted_notebook n ON g.notebook_id = n.id
                          JOIN submitted_assignment s ON n.assignment_id = s.id GROUP BY s.student_id""")
        rows = {student: (count, score) for student, count, score in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM grade_cells")
        (grade_cells,) = cursor.fetchone()
    # one grade row per graded cell for each student, no more, no fewer
    assert rows == {"ada": (grade_cells, 27.0), "bo": (grade_cells, 0.0), "cy": (grade_cells, 24.0)}
