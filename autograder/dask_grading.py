"""Grading a submission on a Dask worker that shares nothing with the class but the installed course.

The coordinator (parallel_autograde.py) sends each worker, once per assignment, the instructor folder, the
class's configuration files, a SQLite gradebook holding the assignment and no student (``gradebook_bytes``) and
the reference records the class has cached: the assignment's ``side``; and each task the submission's regular
files. ``grade`` (the task) makes a private course folder in the worker's working folder with a copy of that
gradebook, runs nbgrader's own ``autograde`` there and returns the autograded folder's files, nbgrader's log and
the reference records (computed by the worker's first submission where the class had none; the worker keeps
them for the next). ``save`` (on the coordinator) writes the autograded folder and the gradebook's rows with
nbgrader's own SaveAutoGrades and AssignLatePenalties: the coordinator is the only writer of the class folder
and of the gradebook.

Everything that uses nbgrader runs in a child of the worker process's fork server, which imported nbgrader and
the course once (``PRELOAD``); a ``dask worker`` process itself never imports them. The graded kernels come
from the worker process's zygote (autograder/zygote.py: kernels forked with their imports done, as root;
otherwise they start afresh). ``dask_setup`` (the worker's preload, the LocalCluster's too) starts both with
the worker, ``dask_teardown`` stops the zygote with it.

A worker without bubblewrap refuses every task (``Refused``): the grader never runs student code
unsandboxed.
"""

import contextlib
import fcntl
import gc
import multiprocessing
import multiprocessing.forkserver
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from autograder import zygote

COURSE_CONFIG = Path(__file__).resolve().parent  # the course's nbgrader_config.py, as installed on the worker
MAX_FILE = 50 * 10**6  # bytes of one file sent or returned
# What every grading child needs, imported once by the worker's fork server instead of by each child.
PRELOAD = ["__main__", "nbgrader.apps.nbgraderapp", "nbgrader.apps.autogradeapp", "nbgrader.converters.autograde",
           "nbgrader.api", "psutil", "autograder.dask_grading", "autograder.preprocessors", "autograder.demos",
           "autograder.collecting", "autograder.release", "autograder.settings", "autograder.sandbox"]


# This worker process's zygote while it runs, and its socket ("" where there is none: kernels start afresh).
ZYGOTE = contextlib.ExitStack()
zygote_socket = ""


class Refused(RuntimeError):
    """This worker cannot grade safely (the message says why); the task is the instructor's to place elsewhere."""


def regular_files(folder, limit=MAX_FILE):
    """{relative path: bytes} of the regular files under ``folder``: links are not followed, larger files skipped."""
    folder, files = Path(folder), {}
    for directory, names, filenames in os.walk(folder):  # os.walk does not descend into linked folders
        names[:] = [name for name in names if name not in ("__pycache__", ".ipynb_checkpoints")]
        for name in filenames:
            path = Path(directory) / name
            try:
                descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:  # a link, or gone
                continue
            with os.fdopen(descriptor, "rb") as file:
                info = os.fstat(file.fileno())
                if (info.st_mode & 0o170000) == 0o100000 and info.st_size <= limit:
                    files[str(path.relative_to(folder))] = file.read(limit + 1)[:limit]
    return files


def write_files(folder, files):
    """Write {relative path: bytes} under ``folder`` (paths that would leave it are refused)."""
    folder = Path(folder).resolve()
    for name, data in files.items():
        path = (folder / name).resolve()
        if folder not in path.parents:
            raise ValueError(f"{name!r} is not a path inside the folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def gradebook_bytes(gradebook, assignment):
    """The bytes of a SQLite gradebook holding the assignment ``assignment`` of ``gradebook`` (the class's): its due
    date, notebooks and cells, and no student. Made once per assignment by the coordinator; every grading task
    grades in a copy of it."""
    from nbgrader.api import Gradebook
    from sqlalchemy import create_engine, text

    found = gradebook.find_assignment(assignment)
    with tempfile.TemporaryDirectory(prefix="gradebook-") as folder:
        db_url = f"sqlite:///{Path(folder) / 'gradebook.db'}"
        # the class gradebook's schema version, as nbgrader stamps a new gradebook (it would run alembic: seconds)
        version = gradebook.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
        engine = create_engine(db_url)
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:version)"),
                               {"version": version})
        engine.dispose()
        with Gradebook(db_url) as copy:
            copy.update_or_create_assignment(assignment, duedate=found.duedate)
            for notebook in found.notebooks:
                # nbgrader's OverwriteKernelspec gives the submission the source's kernelspec
                copy.update_or_create_notebook(notebook.name, assignment, kernelspec=notebook.kernelspec)
                for cell in notebook.grade_cells:
                    copy.update_or_create_grade_cell(cell.name, notebook.name, assignment, max_score=cell.max_score,
                                                     cell_type=cell.cell_type)
                for cell in notebook.task_cells:
                    copy.update_or_create_task_cell(cell.name, notebook.name, assignment, max_score=cell.max_score,
                                                    cell_type=cell.cell_type)
                for cell in notebook.solution_cells:
                    copy.update_or_create_solution_cell(cell.name, notebook.name, assignment)
                for cell in notebook.source_cells:
                    copy.update_or_create_source_cell(cell.name, notebook.name, assignment, **{
                        key: getattr(cell, key) for key in ("cell_type", "locked", "source", "checksum")})
        return (Path(folder) / "gradebook.db").read_bytes()


def stop_group(process):
    """Kill ``process``'s session (nbgrader and the kernels it started) and reap it (a multiprocessing process
    that called setsid)."""
    import psutil

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


def worker_place():
    """(address, working folder) of the Dask worker running the task, or ("local", None) outside one."""
    try:
        from distributed import get_worker
        worker = get_worker()
        return worker.address, worker.local_directory
    except (ImportError, ValueError):
        return "local", None


def refuse_unsandboxed(address, what):
    """Raise Refused where bubblewrap is missing: a kernel would start without the sandbox, or not at all."""
    if not shutil.which("bwrap"):
        raise Refused(f"the worker {address} refuses to grade {what}: bubblewrap (bwrap) is not on its PATH, and "
                      "the grader never runs student code unsandboxed (apt-get install bubblewrap on the worker's "
                      "machine)")


def course_folder(folder, assignment, side, cache):
    """Make the private course ``folder`` of ``assignment`` (``side``: its source and the class's configuration
    files), whose reference records are kept in the worker's ``cache`` folder; nbgrader's command-line settings,
    environment and gradebook there."""
    write_files(folder / "source" / assignment, side["source"])
    config_path = []
    for number, config in enumerate(side["configs"]):
        write_files(folder / "config" / str(number), {"nbgrader_config.py": config})
        config_path.append(str(folder / "config" / str(number)))
    db_url = f"sqlite:///{folder / 'gradebook.db'}"
    environment = grading_environment() | {"JUPYTER_CONFIG_PATH": os.pathsep.join([*config_path, str(COURSE_CONFIG)])}
    settings = [f"--CourseDirectory.root={folder}", "--CourseDirectory.source_directory=source",
                f"--CourseDirectory.submitted_directory={folder / 'submitted'}",
                f"--CourseDirectory.autograded_directory={folder / 'autograded'}",
                f"--CourseDirectory.feedback_directory={folder / 'feedback'}",
                f"--CourseDirectory.db_url={db_url}",
                f"--RestoreGraderMarks.source_directory={folder / 'source'}",
                f"--SkipDemoCells.source_directory={folder / 'source'}",
                f"--JudgeTestCells.source_directory={folder / 'source'}",
                f"--JudgeTestCells.cache_directory={cache}"]
    return settings, environment, db_url


def grading_environment():
    """The environment of a grading child: this worker's, the environment's programs first (nbgrader runs alembic)."""
    return os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def forkserver():
    """This worker process's fork server: one single-threaded process that imported nbgrader and the course
    (PRELOAD) and forks a grading child per task (the multi-threaded Dask worker itself is never forked)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    if multiprocessing.current_process().daemon:
        raise Refused(f"the worker {worker_place()[0]} refuses to grade: it is a daemonic process, which cannot start "
                      "the grading processes (start it with DASK_DISTRIBUTED__WORKER__DAEMON=False)")
    return context


def warm_up():
    """Start this worker's fork server and zygote now (their imports take seconds), while the coordinator prepares
    the tasks; a daemonic worker refuses its tasks instead. The zygote lives as long as the thread that calls this
    first, and until ``dask_teardown``."""
    global zygote_socket
    if not multiprocessing.current_process().daemon:
        forkserver()
        multiprocessing.forkserver.ensure_running()
    if not zygote_socket:
        from autograder.sandbox import kernel_environment

        zygote_socket = ZYGOTE.enter_context(zygote.running(kernel_environment(grading_environment())))


def dask_setup(worker):
    """Dask's preload hook (``dask worker --preload autograder.dask_grading``): the fork server and the zygote start
    with the worker, not at its first task."""
    warm_up()


def dask_teardown(worker):
    """Dask's preload hook at the worker's end: its zygote stops."""
    global zygote_socket
    ZYGOTE.close()
    zygote_socket = ""


def child(entry, argv, folder, environment, log_path):
    """In the forked child: a session of its own (the budget kills it whole), the task's folder and environment,
    output to the log; then ``entry(argv)``."""
    gc.freeze()  # what the fork server imported: never scanned by this child's garbage collector, never copied
    os.setsid()
    os.chdir(folder)
    os.environ.clear()
    os.environ.update(environment)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    entry(argv)


def autograde(arguments):
    """``arguments`` = (argv, note): nbgrader's own command line ``nbgrader autograde ARGV``, then
    ``note_submission(note)``."""
    from nbgrader.apps.nbgraderapp import NbGraderApp

    argv, note = arguments
    try:
        NbGraderApp.launch_instance(argv=["autograde", *argv])
    finally:
        note_submission(note)


def run_within(entry, argv, folder, environment, budget):
    """Run ``entry(argv)`` in a child of the fork server, in its own session, for at most ``budget`` seconds;
    (exit code or None, seconds, log)."""
    process = forkserver().Process(target=child, args=(entry, argv, str(folder), environment,
                                                       str(folder / "run.log")))
    process.start()  # waits for the fork server where it is still importing
    start = time.monotonic()
    process.join(budget)
    if process.exitcode is None:
        stop_group(process)
        code = None
    else:
        code = process.exitcode
    log = (folder / "run.log").read_text(errors="replace")[-20000:] if (folder / "run.log").exists() else ""
    return code, time.monotonic() - start, log


def grade(task, side):
    """The Dask task: grade one submission in a private course folder; return what the coordinator records.

    ``task``: assignment, student, submission {path: bytes}, budget (seconds); ``side``, sent to each worker once
    per assignment: its source {path: bytes}, configs [bytes of nbgrader_config.py, read before the course's],
    gradebook (bytes of gradebook_bytes), the class's reference records {name: bytes} where it has them and the
    names of their files. Where neither the class nor this worker has them, the first submission graded here
    computes them, as nbgrader's autograde with JudgeTestCells does, and the others wait (its lock). Returns
    status ("graded", "failed", "over budget"), seconds, log, whether nbgrader recorded the submission,
    autograded {path: bytes}, the reference records and the worker's address.
    """
    assignment, student = task["assignment"], task["student"]
    address, workspace = worker_place()
    refuse_unsandboxed(address, f"{assignment}/{student}")
    cache = Path(workspace or tempfile.gettempdir()) / "reference_records"
    keep_records(cache / assignment, side["records"])
    with tempfile.TemporaryDirectory(prefix=f"grading-{assignment}-{student}-", dir=workspace) as folder:
        folder = Path(folder)
        settings, environment, db_url = course_folder(folder, assignment, side, cache)
        write_files(folder / "submitted" / student / assignment, task["submission"])
        (folder / "gradebook.db").write_bytes(side["gradebook"])
        note = (db_url, assignment, student, str(folder / "recorded"))
        argv = [assignment, "--student", student, "--force", *settings, f"--SandboxProvisioner.zygote={zygote_socket}"]
        code, seconds, log = run_within(autograde, (argv, note), folder, environment, task["budget"])
        status = "over budget" if code is None else "graded" if code == 0 else "failed"
        if code is None:  # stopped before it could say, or clean up its kernel
            run_within(after_a_kill, note, folder, environment, task["budget"])
        autograded = folder / "autograded" / student / assignment
        records = {name: (cache / assignment / name).read_bytes() for name in side["record_names"]
                   if (cache / assignment / name).is_file()}
        return {"status": status, "seconds": seconds, "worker": address, "log": log,
                "recorded": (folder / "recorded").exists(), "records": records,
                "autograded": regular_files(autograded) if status == "graded" else {}}


def keep_records(folder, records):
    """Keep the reference records {name: bytes} in ``folder`` (JudgeTestCells's cache) where they are not yet,
    under JudgeTestCells's lock of each (a grader may be reading or computing them)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in records.items():
        path = folder / name
        with open(path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                path.write_bytes(data)


def after_a_kill(note):
    """In a grading child, after the budget killed the last one: remove what its kernels left (their cleanup never
    ran), then ``note_submission(note)``."""
    from autograder.sandbox import sweep

    sweep()
    note_submission(note)


def note_submission(arguments):
    """``arguments`` = (db_url, assignment, student, path): make the file at ``path`` where nbgrader recorded the
    submission in the gradebook at ``db_url`` (not when it found no notebook)."""
    from nbgrader.api import Gradebook, MissingEntry

    db_url, assignment, student, path = arguments
    with Gradebook(db_url) as gradebook:
        try:
            gradebook.find_submission(assignment, student)
        except MissingEntry:
            return
    Path(path).touch()


def save(api, assignment, student, result):
    """Record a graded submission in the class, as nbgrader's autograde would have: the autograded folder, the
    submission (its timestamp, so late or not), a zero for each notebook not handed in, and each notebook's
    grades and comments through nbgrader's SaveAutoGrades and AssignLatePenalties. Nothing where nbgrader
    recorded no submission (it found no notebook to grade)."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    if not result["recorded"]:
        return
    coursedir = api.coursedir
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    timestamp = coursedir.get_existing_timestamp(str(submitted))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(assignment, student, **({"timestamp": timestamp} if timestamp else {}))
        notebooks = [notebook.name for notebook in gradebook.find_assignment(assignment).notebooks]
        for name in notebooks:
            if not (submitted / f"{name}.ipynb").exists():
                for grade in gradebook.find_submission_notebook(name, assignment, student).grades:
                    grade.auto_score, grade.needs_manual_grade = 0, False
                gradebook.db.commit()
    if result["status"] != "graded":
        return
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    if autograded.exists():
        shutil.rmtree(autograded)
    autograded.mkdir(parents=True)
    write_files(autograded, result["autograded"])
    for name in notebooks:
        path = autograded / f"{name}.ipynb"
        if not path.exists():
            continue
        notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        resources = {"nbgrader": {"notebook": name, "assignment": assignment, "student": student,
                                  "db_url": coursedir.db_url}}
        for preprocessor in (SaveAutoGrades, AssignLatePenalties):
            notebook, resources = preprocessor(config=api.config).preprocess(notebook, resources)
