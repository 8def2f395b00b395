"""Simulated students who use nbgrader's exchange as real ones do, each from a home of their own.

    student = Student("ada", class_dir / "home" / "ada", exchange=class_dir / "exchange")
    student.fetch("01_losses")          # nbgrader fetch_assignment, into ~/01_losses
    ...edit ~/01_losses/losses.ipynb...
    student.submit("01_losses")         # nbgrader submit
    student.fetch_feedback("01_losses")  # nbgrader fetch_feedback, into ~/01_losses/feedback

Each command is nbgrader's own app, run in this process (a process per command would spend
seconds importing nbgrader) with the student's user name, home and configuration: a file
~/.jupyter/nbgrader_config.py that names the course, the exchange and the student's id, as on
a JupyterHub. nbgrader takes the id from there (it would otherwise take the name of the operating
system's user, one for the whole simulated class). The instructor's configuration is not loaded.
"""

import contextlib
import os
from pathlib import Path

from nbgrader.apps.fetchassignmentapp import FetchAssignmentApp
from nbgrader.apps.fetchfeedbackapp import FetchFeedbackApp
from nbgrader.apps.submitapp import SubmitApp

COURSE_ID = "trainlab"


@contextlib.contextmanager
def _session(user, home):
    """Environment, working folder and umask of ``user`` logged in at ``home``."""
    saved, cwd = dict(os.environ), os.getcwd()
    os.environ.pop("JUPYTER_CONFIG_PATH", None)  # the instructor's configuration
    os.environ.update(USER=user, LOGNAME=user, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"))
    os.chdir(home)
    try:
        yield
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(saved)


class Student:
    """A student of the course with a home folder; the methods are nbgrader's student commands."""

    def __init__(self, name, home, exchange):
        self.name, self.home = name, Path(home)
        config = self.home / ".jupyter" / "nbgrader_config.py"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
                          f"c.CourseDirectory.student_id = {name!r}\nc.Exchange.root = {str(exchange)!r}\n")

    def _run(self, app_class, assignment):
        with _session(self.name, self.home):
            app = app_class()
            try:
                app.initialize([assignment, "--log-level=WARN"])
                app.start()
            except SystemExit as failure:
                if failure.code:
                    raise RuntimeError(f"{self.name}: nbgrader {app.name} {assignment} failed") from None

    def fetch(self, assignment):
        self._run(FetchAssignmentApp, assignment)
        return self.home / assignment

    def submit(self, assignment):
        self._run(SubmitApp, assignment)

    def fetch_feedback(self, assignment):
        self._run(FetchFeedbackApp, assignment)
        return self.home / assignment / "feedback"
