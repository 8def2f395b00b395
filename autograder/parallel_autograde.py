"""Autograde a whole class in parallel on Dask, each submission by nbgrader's own ``autograde``.

    python autograder/parallel_autograde.py [ASSIGNMENT ...] [--workers N] [--scheduler tcp://host:8786]
                                            [--budget SECONDS] [--force]

nbgrader grades one submission at a time. Here each submission is a task of ``dask.distributed``: on a
LocalCluster of ``--workers`` threads in this process (each waits for a grading process), or on the existing
cluster of ``--scheduler``. A worker needs the course installed and nothing else: it receives the instructor
side of an assignment once and each task the submission, as bytes, and runs the unchanged ``nbgrader autograde``
in a private course folder (see dask_grading.py). This process, the coordinator, alone writes the class folder
and the gradebook, with nbgrader's own SaveAutoGrades and AssignLatePenalties. A progress bar shows what is done
and the ETA.

- Budget: a submission that runs longer than ``--budget`` seconds in all (not per cell; nbgrader's
  Execute.timeout still limits each cell) is stopped, kernel included, and reported.
- Kernels start with their imports done: each worker runs a zygote (autograder/zygote.py) that forks
  each graded kernel into its sandbox (as root; otherwise, or if the zygote fails, kernels start afresh).
- Resumable: ``<class>/autograde_state.json`` remembers each submission's fingerprint (its
  files, the instructor notebooks, the configuration and trainlab) and outcome. A second run
  grades only what is new, changed or failed; ``--force`` grades everything again.
- A notebook handed in under another name is graded as the one it stands for; a submission
  nbgrader cannot grade (not JSON, no notebook, over budget) gets a feedback page saying why
  (see submissions.py).
- The gradebook has one writer, this process; a worker lost in the middle of the class (killed, its machine
  gone) loses nothing: the scheduler gives its tasks to another worker, and each result is recorded once.
- A worker without bubblewrap refuses its tasks: they are reported as not graded (no feedback page) and
  graded on the next run.

- Errors that are not the students' go to the instructor: a configuration that does not load, a
  gradebook that cannot be opened or lacks the assignment, instructor notebooks that are not where the
  configuration says. They are found before anything is graded; the assignment's submissions are
  not graded (no feedback page is written for them) and the cause is printed once per assignment.

Exits with status 1 when a submission could not be graded; the table at the end says why.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from tqdm import tqdm


HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The course's configuration, after any other the caller names (read first, so it takes precedence).
os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(dict.fromkeys(
    [*filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep)), str(HERE)]))
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"  # nbgrader runs alembic

from autograder.dask_grading import (Refused, grade, gradebook_bytes, keep_records, regular_files,  # noqa: E402
                                     save, warm_up)

# nbgrader and the modules that import it are imported where they are used: the fork server imports this module
# (dask_grading.PRELOAD) and needs none of them here.


INSTRUCTOR_ERROR = "instructor error"
NOT_GRADED = "not graded"  # the grading machinery failed (a worker refused or was lost): no feedback page


class InstructorError(Exception):
    """Nothing can be graded, for a reason the instructor must fix (the message says which)."""


def course():
    """nbgrader's API on the course, configured by autograder/nbgrader_config.py.

    A configuration file that does not load is an InstructorError (traitlets would log it and go on
    with the defaults: no sandbox, another class folder).
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.nbgraderapp import NbGraderApp

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
    from autograder.submissions import expected_notebooks

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
    from autograder.collecting import valid_student_id

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


def last_error(log_path):
    """The last ERROR line of an nbgrader log, or its last line."""
    lines = [line for line in Path(log_path).read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line]
    return (errors or lines or ["(no output)"])[-1][-300:]


def explain(coursedir, assignment, student, status, seconds, log_tail):
    """The student's explanation of a submission nbgrader could not grade, as a feedback page too."""
    from autograder.submissions import expected_notebooks, explain_failure, write_failure_feedback

    expected = expected_notebooks(Path(coursedir.root) / coursedir.source_directory / assignment)
    submission = Path(coursedir.submitted_directory) / student / assignment
    message = explain_failure(submission, expected, status, seconds, log_tail)
    write_failure_feedback(submission, Path(coursedir.feedback_directory) / student / assignment, expected,
                           assignment, student, message)
    return message


def instructor_side(api, assignment):
    """What a worker needs of the instructor to grade ``assignment``, as bytes: the instructor folder, a gradebook
    holding the assignment (no student data), the cached reference records and the class's configuration files
    (the course's own is installed on the worker)."""
    from autograder.preprocessors import JudgeTestCells
    from autograder.submissions import expected_notebooks

    coursedir = api.coursedir
    with api.gradebook as gradebook:
        template = gradebook_bytes(gradebook, assignment)
    judge = JudgeTestCells(config=api.config)
    caches = [judge.cache_file(assignment, Path(name).stem) for name in
              expected_notebooks(Path(judge.source_directory) / assignment)] if judge.cache_directory else []
    return {"source": regular_files(Path(coursedir.root) / coursedir.source_directory / assignment),
            "gradebook": template, "record_names": [cache.name for cache in caches],
            "records": {cache.name: cache.read_bytes() for cache in caches if cache.is_file()},
            "configs": [path.read_bytes() for path in config_files() if path.parent.resolve() != HERE]}


def config_files():
    """The nbgrader_config.py files nbgrader reads, the one that wins first."""
    return [path for folder in os.environ["JUPYTER_CONFIG_PATH"].split(os.pathsep)
            if (path := Path(folder) / "nbgrader_config.py").is_file()]


def dask_client(scheduler, workers, folder):
    """A client of the cluster at ``scheduler``, or of a LocalCluster working in ``folder``: one worker of
    ``workers`` threads in this process (each thread waits for a grading process of the fork server; worker
    processes would import Dask and start a fork server each, for nothing)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler)
    cluster = LocalCluster(n_workers=1, threads_per_worker=workers, processes=False, dashboard_address=None,
                           worker_dashboard_address=None, local_directory=folder,
                           preload=["autograder.dask_grading"])  # as a worker elsewhere starts
    return Client(cluster)


def run(assignments=(), students=(), workers=None, budget=600.0, force=False, scheduler=None):
    """Grade every matching submission on Dask; return {(assignment, student): (status, seconds, message)}."""
    from autograder.submissions import adopt_renamed_notebooks, expected_notebooks

    api = course()
    coursedir = api.coursedir
    class_dir = Path(coursedir.submitted_directory).parent
    logs = class_dir / "logs" / "autograde"
    logs.mkdir(parents=True, exist_ok=True)
    state = State(class_dir / "autograde_state.json")
    config_digest = fingerprint(*config_files(), HERE / "preprocessors.py", HERE / "sandbox.py",
                                HERE / "settings.py", HERE / "dask_grading.py", ROOT / "lib" / "trainlab")

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
    if skipped:
        print(f"{skipped} submission(s) unchanged since they were graded: skipped (--force grades them again)")
    if not todo:
        return results

    if not scheduler:
        warm_up()  # the fork server imports nbgrader on another core while this process starts Dask
    from distributed import as_completed

    # the local workers' working folders: private to this run (another user's /tmp/dask-scratch-space is no use)
    scratch = tempfile.mkdtemp(prefix="trainlab-dask-")
    # two grading processes per core, as the fork design had: one waits for its kernel, or for the reference run
    client = dask_client(scheduler, workers or 2 * (os.cpu_count() or 1), scratch)
    client.run(warm_up)  # the fork servers of workers started without the preload import nbgrader now
    sides = {assignment: instructor_side(api, assignment) for assignment in sorted({a for a, _, _, _ in todo})}
    bar = tqdm(total=len(todo), unit="notebook", desc="autograde", dynamic_ncols=True,
               bar_format="{desc}: {n}/{total} |{bar}| {elapsed} elapsed, ETA {remaining} {postfix}")
    try:
        # the instructor side goes to every worker once, not with each task
        scattered = {assignment: client.scatter([side], broadcast=True, hash=False)[0]
                     for assignment, side in sides.items()}
        futures = {}
        for assignment, student, key, digest in todo:
            task = {"assignment": assignment, "student": student, "budget": budget,
                    "submission": regular_files(Path(coursedir.submitted_directory) / student / assignment)}
            # pure=False: a task given again (FORCE=1, a worker lost) is graded again, never taken from a cache
            future = client.submit(grade, task, scattered[assignment], key=f"grade-{key}-{digest[:12]}", pure=False)
            futures[future] = (assignment, student, key, digest)
        for future in as_completed(futures):
            assignment, student, key, digest = futures.pop(future)
            status, seconds, message, worker = collect(api, assignment, student, future, logs)
            results[(assignment, student)] = (status, seconds, message)
            state.record(key, status=status, fingerprint=digest, seconds=round(seconds, 2), message=message,
                         worker=worker)
            failures = sum(result[0] != "graded" for result in results.values())
            bar.set_postfix_str(f"({failures} not graded)" if failures else "")
            bar.update()
    finally:
        bar.close()
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def collect(api, assignment, student, future, logs):
    """Record one finished task in the class, and the reference records its worker used where the class has none;
    (status, seconds, message, worker address)."""
    from distributed import KilledWorker

    from autograder.preprocessors import JudgeTestCells

    coursedir = api.coursedir
    try:
        result = future.result()
    except Refused as error:
        return NOT_GRADED, 0.0, str(error), None
    except KilledWorker as error:
        return NOT_GRADED, 0.0, f"the workers that took it were lost: {error}", None
    except Exception as error:  # the worker's failure, not the student's: no feedback page, tried again next time
        return NOT_GRADED, 0.0, f"the worker failed: {type(error).__name__}: {error}", None
    cache = JudgeTestCells(config=api.config).cache_directory
    if cache:
        keep_records(Path(cache) / assignment, result["records"])
    log_path = logs / f"{assignment}.{student}.log"
    log_path.write_text(result["log"])
    status, seconds = result["status"], result["seconds"]
    save(api, assignment, student, result)
    message = ""
    if status == "failed":
        message = last_error(log_path)
    if status != "graded":
        message = explain(coursedir, assignment, student, status, seconds, message)
    return status, seconds, message, result["worker"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="assignments to grade (default: every submitted one)")
    parser.add_argument("--student", action="append", default=[], help="only this student (repeatable)")
    parser.add_argument("--workers", type=int, default=None, help="threads of the LocalCluster: submissions graded at once (default: two per core)")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds one submission may take in all")
    parser.add_argument("--scheduler", default=None, help="the Dask scheduler of an existing cluster "
                        "(tcp://host:8786); default: a LocalCluster of --workers threads on this machine")
    parser.add_argument("--force", action="store_true", help="grade again what is already graded")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        results = run(args.assignments, args.student, args.workers, args.budget, args.force, args.scheduler)
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
