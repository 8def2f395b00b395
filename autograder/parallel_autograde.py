"""Autograde a whole class in parallel, each submission by nbgrader's own ``autograde``.

    python autograder/parallel_autograde.py [ASSIGNMENT ...] [--workers N] [--budget SECONDS] [--force]

nbgrader grades one submission at a time. Here a parent process imports nbgrader once and forks
one child per submission (up to ``--workers`` at a time); each child runs the unchanged
``nbgrader autograde ASSIGNMENT --student STUDENT --force`` in-process, with the course's
configuration, into the shared gradebook. A progress bar shows what is done and the ETA.

- Budget: a submission that runs longer than ``--budget`` seconds in all (not per cell; nbgrader's
  Execute.timeout still limits each cell) is stopped, kernel included, and reported.
- Kernels start with their imports done: the parent runs a zygote (autograder/zygote.py) that forks
  each graded kernel into its sandbox (as root; otherwise, or if the zygote fails, kernels start afresh).
- Resumable: ``<class>/autograde_state.json`` remembers each submission's fingerprint (its
  files, the instructor notebooks, the configuration and trainlab) and outcome. A second run
  grades only what is new, changed or failed; ``--force`` grades everything again.
- A notebook handed in under another name is graded as the one it stands for; a submission
  nbgrader cannot grade (not JSON, no notebook, over budget) gets a feedback page saying why
  (see submissions.py).
- The gradebook stays consistent: students are created before the children start, and SQLite
  waits for its lock instead of failing (see ``db_url`` in nbgrader_config.py).

- Errors that are not the students' go to the instructor: a configuration that does not load, a
  gradebook that cannot be opened or lacks the assignment, instructor notebooks that are not where the
  configuration says. They are found before anything is graded; the assignment's submissions are
  not graded (no feedback page is written for them) and the cause is printed once per assignment.

Exits with status 1 when a submission could not be graded; the table at the end says why.
"""

import argparse
import hashlib
import json
import multiprocessing
import os
import signal
import sys
import time
import traceback
from contextlib import nullcontext
from pathlib import Path

import psutil
from tqdm import tqdm

tqdm.monitor_interval = 0  # no monitor thread in a process that forks

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The course's configuration, after any other the caller names (read first, so it takes precedence).
os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(dict.fromkeys(
    [*filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep)), str(HERE)]))
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # nbgrader runs alembic

from nbgrader.apps import NbGraderAPI  # noqa: E402  (after the environment: it reads the config)
from nbgrader.apps.nbgraderapp import NbGraderApp  # noqa: E402

from autograder import zygote  # noqa: E402
from autograder.collecting import valid_student_id  # noqa: E402
from autograder.sandbox import SandboxProvisioner, kernel_environment  # noqa: E402
from autograder.submissions import (adopt_renamed_notebooks, expected_notebooks, explain_failure,  # noqa: E402
                                    write_failure_feedback)


INSTRUCTOR_ERROR = "instructor error"


class InstructorError(Exception):
    """Nothing can be graded, for a reason the instructor must fix (the message says which)."""


def course():
    """nbgrader's API on the course, configured by autograder/nbgrader_config.py.

    A configuration file that does not load is an InstructorError (traitlets would log it and go on
    with the defaults: no sandbox, another class folder).
    """
    app = NbGraderApp()
    app.raise_config_file_errors = True
    try:
        app.load_config_file()
    except Exception as error:
        frames = [(frame.filename, frame.lineno) for frame in traceback.extract_tb(error.__traceback__)
                  if frame.filename.endswith("_config.py")]
        if isinstance(error, SyntaxError):
            frames, error.filename = [(error.filename, error.lineno)], None  # its message names the file alone
        where = "".join(f"{name}, line {line}: " for name, line in frames[-1:])
        raise InstructorError(f"the configuration did not load: {where}{type(error).__name__}: {error}") from None
    return NbGraderAPI(config=app.config)


def instructor_folders(api):
    """The folders the grader reads instructor notebooks from: nbgrader's source directory, and those of the
    course's preprocessors when the configuration names others."""
    coursedir = api.coursedir
    folders = [Path(coursedir.root) / coursedir.source_directory]
    for section in ("RestoreGraderMarks", "JudgeTestCells"):
        folder = api.config.get(section, {}).get("source_directory")
        if folder:
            folders.append(Path(coursedir.root) / folder)
    return list(dict.fromkeys(folder.resolve() for folder in folders))


def instructor_problems(api, assignments):
    """{assignment: why} for those of ``assignments`` that cannot be graded for a reason that is the
    instructor's: the gradebook, or the instructor notebooks."""
    url = api.coursedir.db_url
    try:
        from sqlalchemy.engine import make_url

        url = make_url(url).render_as_string(hide_password=True)
        with api.gradebook as gradebook:
            known = {assignment.name: {notebook.name for notebook in assignment.notebooks}
                     for assignment in gradebook.assignments}
    except Exception as error:
        return dict.fromkeys(assignments, f"the gradebook {url} could not be opened: {type(error).__name__}: {error}")
    problems = {}
    for assignment in assignments:
        for folder in instructor_folders(api):
            notebooks = {Path(name).stem for name in expected_notebooks(folder / assignment)}
            if not folder.is_dir():
                problems[assignment] = f"the instructor notebooks' folder {folder} does not exist"
            elif not notebooks:
                problems[assignment] = f"there is no instructor notebook in {folder / assignment}"
            elif assignment not in known:
                problems[assignment] = (f"the gradebook {url} has no assignment {assignment}: run `nbgrader "
                                        f"generate_assignment {assignment}` (make release) with this class's gradebook")
            elif notebooks - known[assignment]:
                problems[assignment] = (f"the gradebook {url} lacks the notebook(s) {', '.join(sorted(notebooks - known[assignment]))} "
                                        f"of {assignment}: run `nbgrader generate_assignment {assignment} --force`")
            else:
                continue
            break
    return problems


def submissions(coursedir, assignments, students):
    """(assignment, student) pairs with a folder in the submitted directory, sorted."""
    submitted = Path(coursedir.submitted_directory)
    pairs = [(folder.name, folder.parent.name) for folder in submitted.glob("*/*") if folder.is_dir()]
    for assignment, student in [pair for pair in pairs if not valid_student_id(pair[1])]:
        print(f"{assignment}/{student}: not graded: {student!r} is not a student id (nbgrader would take it "
              "for a pattern)")
    pairs = [pair for pair in pairs if valid_student_id(pair[1])]
    return sorted((a, s) for a, s in pairs
                  if (not assignments or a in assignments) and (not students or s in students))


def fingerprint(*paths):
    """sha256 over the names and bytes of the files at ``paths`` (files, or folders taken whole)."""
    digest = hashlib.sha256()
    for root in map(Path, paths):
        files = [root] if root.is_file() else sorted(
            path for path in root.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
        for path in files:
            digest.update(str(path.relative_to(root.parent)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class State:
    """The outcome of every submission, kept in a JSON file that is rewritten atomically."""

    def __init__(self, path):
        self.path = Path(path)
        self.entries = json.loads(self.path.read_text()) if self.path.exists() else {}

    def up_to_date(self, key, digest):
        entry = self.entries.get(key, {})
        return entry.get("status") == "graded" and entry.get("fingerprint") == digest

    def record(self, key, **entry):
        self.entries[key] = entry
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.entries, indent=1, sort_keys=True))
        partial.replace(self.path)


def grade_one(assignment, student, log_path, zygote_socket=""):
    """Child process: nbgrader's autograde for one submission, its log in ``log_path``; its kernels from the
    zygote at ``zygote_socket``, if any."""
    os.setsid()  # its own process group, so that a stop reaches everything it started
    with open(log_path, "w") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    sys.stdout, sys.stderr = open(1, "w", buffering=1, closefd=False), open(2, "w", buffering=1, closefd=False)
    NbGraderApp.launch_instance(argv=["autograde", assignment, "--student", student, "--force",
                                      f"--SandboxProvisioner.zygote={zygote_socket}"])


def stop(process):
    """Kill a child and everything it started (its kernel runs in a session of its own)."""
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for member in family:
        member.kill()
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.join()


def last_error(log_path):
    """The last ERROR line of an nbgrader log, or its last line."""
    lines = [line for line in Path(log_path).read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line]
    return (errors or lines or ["(no output)"])[-1][-300:]


def explain(coursedir, assignment, student, status, seconds, log_tail):
    """The student's explanation of a submission nbgrader could not grade, as a feedback page too."""
    expected = expected_notebooks(Path(coursedir.root) / coursedir.source_directory / assignment)
    submission = Path(coursedir.submitted_directory) / student / assignment
    message = explain_failure(submission, expected, status, seconds, log_tail)
    write_failure_feedback(submission, Path(coursedir.feedback_directory) / student / assignment, expected,
                           assignment, student, message)
    return message


def run(assignments=(), students=(), workers=None, budget=600.0, force=False):
    """Grade every matching submission; return {(assignment, student): (status, seconds, message)}."""
    api = course()
    coursedir = api.coursedir
    class_dir = Path(coursedir.submitted_directory).parent
    logs = class_dir / "logs" / "autograde"
    logs.mkdir(parents=True, exist_ok=True)
    state = State(class_dir / "autograde_state.json")
    configs = [Path(folder) / "nbgrader_config.py" for folder in os.environ["JUPYTER_CONFIG_PATH"].split(os.pathsep)]
    config_digest = fingerprint(*[path for path in configs if path.is_file()], HERE / "preprocessors.py",
                                HERE / "sandbox.py", HERE / "settings.py", ROOT / "lib" / "trainlab")

    pairs = submissions(coursedir, set(assignments), set(students))
    blocked = instructor_problems(api, sorted({assignment for assignment, _ in pairs}))
    results = {pair: (INSTRUCTOR_ERROR, 0.0, blocked[pair[0]]) for pair in pairs if pair[0] in blocked}
    for assignment, why in blocked.items():
        print(f"{assignment}: not graded, an instructor error: {why}")
    todo, skipped = [], 0
    for assignment, student in [pair for pair in pairs if pair not in results]:
        source = Path(coursedir.root) / coursedir.source_directory / assignment
        folder = Path(coursedir.submitted_directory) / student / assignment
        key = f"{assignment}/{student}"
        for renamed, name in adopt_renamed_notebooks(folder, expected_notebooks(source)):
            print(f"{key}: {renamed} handed in, graded as {name}")
        digest = fingerprint(folder, source) + config_digest
        if not force and state.up_to_date(key, digest):
            skipped += 1
        else:
            todo.append((assignment, student, key, digest))

    if todo:
        with api.gradebook as gradebook:  # before the children: no two of them create the same student
            for student in sorted({student for _, student, _, _ in todo}):
                gradebook.update_or_create_student(student)

    workers = workers or 2 * (os.cpu_count() or 1)
    fork = multiprocessing.get_context("fork")
    running, queue = {}, list(todo)
    if skipped:
        print(f"{skipped} submission(s) unchanged since they were graded: skipped (--force grades them again)")
    threads = api.config.get("SandboxProvisioner", {}).get("threads", SandboxProvisioner.threads.default_value)
    with zygote.running(kernel_environment(os.environ, threads)) if todo else nullcontext("") as zygote_socket:
        bar = tqdm(total=len(todo), unit="notebook", desc="autograde", dynamic_ncols=True,
                   bar_format="{desc}: {n}/{total} |{bar}| {elapsed} elapsed, ETA {remaining} {postfix}")
        while queue or running:
            while queue and len(running) < workers:
                assignment, student, key, digest = queue.pop(0)
                log_path = logs / f"{assignment}.{student}.log"
                process = fork.Process(target=grade_one, args=(assignment, student, log_path, zygote_socket),
                                       daemon=False)
                process.start()
                running[process] = (assignment, student, key, digest, log_path, time.monotonic())
            time.sleep(0.05)
            for process, (assignment, student, key, digest, log_path, start) in list(running.items()):
                seconds = time.monotonic() - start
                if process.exitcode is None and seconds <= budget:
                    continue
                if process.exitcode is None:
                    stop(process)
                    status, message = "over budget", ""
                elif process.exitcode == 0:
                    status, message = "graded", ""
                else:
                    status, message = "failed", last_error(log_path)
                if status != "graded":
                    message = explain(coursedir, assignment, student, status, seconds, message)
                process.close()
                del running[process]
                results[(assignment, student)] = (status, seconds, message)
                state.record(key, status=status, fingerprint=digest, seconds=round(seconds, 2), message=message)
                failures = sum(result[0] != "graded" for result in results.values())
                bar.set_postfix_str(f"({failures} not graded)" if failures else "")
                bar.update()
    bar.close()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="assignments to grade (default: every submitted one)")
    parser.add_argument("--student", action="append", default=[], help="only this student (repeatable)")
    parser.add_argument("--workers", type=int, default=None, help="submissions graded at once (default: 2 per core)")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds one submission may take in all")
    parser.add_argument("--force", action="store_true", help="grade again what is already graded")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        results = run(args.assignments, args.student, args.workers, args.budget, args.force)
    except InstructorError as error:
        print(f"nothing graded, an instructor error: {error}")
        return 1
    elapsed = time.perf_counter() - start
    problems = {key: result for key, result in results.items() if result[0] != "graded"}
    blocked = {}
    for (assignment, student), (status, seconds, message) in sorted(problems.items()):
        if status == INSTRUCTOR_ERROR:
            blocked.setdefault((assignment, message), []).append(student)
        else:
            print(f"  {assignment} {student}: {status} after {seconds:.1f} s: {message}")
    for (assignment, message), students in blocked.items():
        print(f"  {assignment} ({len(students)} submission(s), no feedback written): {INSTRUCTOR_ERROR}: {message}")
    tried = len(results) - sum(map(len, blocked.values()))
    if results:
        print(f"graded {len(results) - len(problems)} of {len(results)} submissions in {elapsed:.1f} s"
              + (f" ({elapsed / tried:.2f} s per notebook)" if tried else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
