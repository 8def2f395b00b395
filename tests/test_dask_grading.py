"""make autograde on an existing Dask cluster (autograder/parallel_autograde.py --scheduler, dask_grading.py):
a real `dask scheduler` and `dask worker` processes on 127.0.0.1, each worker in a working folder of its own."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from autograder.sandbox import SandboxProvisioner
from conftest import ROOT, class_environment
from test_class_workflow import CHAPTER, WRONG_MSE, answers, hand_in

DASK = str(Path(sys.executable).parent / "dask")
LATE = {"AssignLatePenalties.plugin_class": "autograder.late.LatePenaltyPerDay"}  # 10% a day begun
STUDENTS = {"ada": answers(), "bo": answers(mse=WRONG_MSE),
            "cy": answers(mse="def mse(y_pred, y):\n    raise NotImplementedError()\n")}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A scheduler and workers started as the dask command line starts them; everything killed at the end."""

    def __init__(self, folder):
        self.folder, self.processes = Path(folder), []
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.start("scheduler", [DASK, "scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1],
                                 "--no-dashboard"], os.environ)

    def start(self, name, command, environment):
        folder = self.folder / name
        folder.mkdir(parents=True)
        log = open(folder / "log", "wb")
        process = subprocess.Popen(command, cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def worker(self, name, environment=os.environ):
        """A worker of one thread in its own working folder, not in the course or the class folder."""
        environment = {key: value for key, value in environment.items() if key != "JUPYTER_CONFIG_PATH"}
        environment["DASK_DISTRIBUTED__WORKER__DAEMON"] = "False"  # it starts the grading processes
        return self.start(name, [DASK, "worker", self.address, "--nthreads", "1", "--preload", "autograder.dask_grading", "--name", name, "--no-dashboard",
                                 "--local-directory", str(self.folder / name)], environment)

    def wait_for_workers(self, count):
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(count, timeout=120)

    def close(self):
        for process in reversed(self.processes):
            kill_tree(process)


def kernels(process):
    """The kernels that ``process`` started, afresh or through its zygote: its processes that run as a sandbox user."""
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for member in family:
        try:
            if member.uids().real >= SandboxProvisioner.first_uid.default_value:
                found.append(member)
        except psutil.NoSuchProcess:
            pass
    return found


def kill_tree(process):
    """Kill ``process`` and everything it started, as a machine that is switched off."""
    try:
        parent = psutil.Process(process.pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:  # killed already
        family = []
    for member in family:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait()


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path / "cluster")
    yield cluster
    cluster.close()


def environment(class_dir):
    return class_environment(class_dir, **LATE)


def make_class(class_dir):
    subprocess.run(["nbgrader", "generate_assignment", CHAPTER, "--force", "--log-level=WARN"], cwd=ROOT,
                   env=environment(class_dir), check=True, capture_output=True)
    for student, notebook in STUDENTS.items():
        hand_in(class_dir, student, notebook)
    (class_dir / "submitted" / "bo" / CHAPTER / "timestamp.txt").write_text("2026-12-01 09:00:00.000000 UTC\n")
    subprocess.run(["nbgrader", "db", "assignment", "add", CHAPTER, "--duedate=2026-12-01 00:00:00 UTC"], cwd=ROOT,
                   env=environment(class_dir), check=True, capture_output=True)
    return class_dir


def gradebook_rows(class_dir):
    """Every row of the gradebook a grader writes, without its ids: (student, cell, auto_score, needs_manual),
    (student, cell, auto_comment), (student, timestamp, late penalty)."""
    with sqlite3.connect(class_dir / "gradebook.db") as db:
        ids = """JOIN submitted_notebook n ON x.notebook_id = n.id JOIN submitted_assignment a ON n.assignment_id = a.id
                 JOIN base_cell c ON x.cell_id = c.id"""
        return {"grades": sorted(db.execute(f"SELECT a.student_id, c.name, x.auto_score, x.needs_manual_grade "
                                            f"FROM grade x {ids}")),
                "comments": sorted(db.execute(f"SELECT a.student_id, c.name, x.auto_comment FROM comment x {ids}")),
                "submissions": sorted(db.execute(
                    "SELECT a.student_id, a.timestamp, n.late_submission_penalty FROM submitted_assignment a "
                    "JOIN submitted_notebook n ON n.assignment_id = a.id"))}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The class graded by serial nbgrader: its gradebook rows and scores."""
    class_dir = make_class(tmp_path_factory.mktemp("serial"))
    subprocess.run(["nbgrader", "autograde", CHAPTER, "--log-level=WARN"], cwd=ROOT, env=environment(class_dir),
                   check=True, capture_output=True)
    return gradebook_rows(class_dir)


def autograde(class_dir, scheduler, *args):
    return subprocess.Popen([sys.executable, "autograder/parallel_autograde.py", CHAPTER, "--scheduler", scheduler,
                             *args], cwd=ROOT, env=environment(class_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_two_workers_one_killed_in_the_middle_grade_the_class_as_serial_nbgrader_does(cluster, serial, tmp_path):
    class_dir = make_class(tmp_path / "class")
    doomed = cluster.worker("doomed")
    cluster.worker("survivor")
    cluster.wait_for_workers(2)
    coordinator = autograde(class_dir, cluster.address)
    deadline = time.monotonic() + 300
    while not kernels(doomed):  # the doomed worker is in the middle of a submission: its kernel runs
        assert time.monotonic() < deadline and coordinator.poll() is None, "the doomed worker started no kernel"
        time.sleep(0.05)
    in_flight = [folder.name.split("-")[2] for folder in (cluster.folder / "doomed").rglob("grading-*")]
    kill_tree(doomed)
    assert in_flight, "the doomed worker's kernel runs for no submission"
    output, _ = coordinator.communicate(timeout=600)

    assert coordinator.returncode == 0, output
    assert "graded 3 of 3 submissions" in output
    assert gradebook_rows(class_dir) == serial  # the same scores, comments, timestamps and late penalty
    assert [row[2] for row in serial["submissions"] if row[0] == "bo"] == [2.4]  # late: a day begun, 10% of 24
    state = json.loads((class_dir / "autograde_state.json").read_text())
    assert sorted(state) == [f"{CHAPTER}/{student}" for student in STUDENTS]
    assert {entry["status"] for entry in state.values()} == {"graded"}
    assert len({entry["worker"] for entry in state.values()}) == 1, f"the killed worker graded {in_flight}: {state}"
    for student in STUDENTS:  # the coordinator wrote the class folder
        assert (class_dir / "autograded" / student / CHAPTER / "losses.ipynb").is_file()


def test_a_worker_without_bubblewrap_refuses_to_grade(cluster, tmp_path):
    class_dir = make_class(tmp_path / "class")
    cluster.worker("unsafe", os.environ | {"PATH": str(Path(sys.executable).parent)})  # no /usr/bin/bwrap
    cluster.wait_for_workers(1)
    output, _ = autograde(class_dir, cluster.address, "--student", "ada").communicate(timeout=300)
    assert "01_losses ada: not graded after 0.0 s: the worker tcp://127.0.0.1:" in output, output
    assert "refuses to grade" in output and "bubblewrap (bwrap) is not on its PATH, and the grader never runs " \
           "student code unsandboxed" in output, output
    assert not (class_dir / "autograded").exists() and not (class_dir / "feedback").exists()
    state = json.loads((class_dir / "autograde_state.json").read_text())
    assert state[f"{CHAPTER}/ada"]["status"] == "not graded"  # graded on the next run
