"""nbgrader preprocessors of the course, each doing one thing."""

import copy
import fcntl
import hashlib
import json
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Float, Integer, List, Unicode

from trainlab import records
from trainlab.checks import CheckFailed, check_close


class ShortenHiddenTestErrors(NbGraderPreprocessor):
    """Reduce the tracebacks of cells with hidden tests to their last line.

    An IPython traceback quotes the lines of the cell that raised, which would show
    hidden test code in the feedback; the error's message (say, which case failed and
    by how much) stays. Run it before ClearHiddenTests, which removes the code itself.
    """

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
            for output in cell.outputs:
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


class ExecuteAfterCrashes(Execute):
    """nbgrader's Execute, except that a cell that kills the kernel costs only that cell's work.

    nbgrader gives up on a notebook whose kernel dies (``os._exit``, a segfault, memory running
    out), so the whole submission earns nothing. Here the cell gets an error that says what
    happened, the kernel is restarted, the code cells above it run again (quietly: their outputs
    stay as they were), and grading goes on with the next cell.
    """

    def on_kernel_start(self):
        """Called when a kernel is ready, before the first cell runs in it (subclasses hook in)."""

    def stopped_by_a_cap(self, cell, index):
        """Whether the kernel died of a cap (subclasses hook in): then it is not restarted."""
        return False

    def preprocess_cell(self, cell, resources, index):
        if index == 0:
            self.on_kernel_start()
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            if self.stopped_by_a_cap(cell, index):
                return cell, self.resources
            self.log.warning("the kernel died in cell %d: restarting it and running the cells above again", index)
            cell.outputs.append(new_output(
                "error", ename="KernelDied", evalue="the kernel stopped while it ran this cell",
                traceback=["KernelDied: Python stopped while it ran this cell (os._exit, a crash in a library, "
                           "or not enough memory). The grader started a new kernel, ran the cells above "
                           "again and went on after this one; what this cell defines is missing."]))
            run_sync(self.km.restart_kernel)(now=True)
            run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
            self.on_kernel_start()
            for number, earlier in enumerate(self.nb.cells[:index]):
                if earlier.cell_type == "code":
                    super().preprocess_cell(copy.deepcopy(earlier), resources, number)
            return cell, self.resources


class TruncateLongOutputs(NbGraderPreprocessor):
    """Cut every text output to ``max_characters``, noting how much was cut.

    nbgrader's LimitOutput counts lines, so one line of 100 MB stays whole and would go into
    the gradebook's notebook and the feedback page.
    """

    max_characters = Integer(20_000, help="the most characters one output keeps").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and len(output.text) > self.max_characters:
                cut = len(output.text) - self.max_characters
                output.text = output.text[: self.max_characters] + f"\n... {cut:,} more characters cut by the grader ..."
        return cell, resources


class UnmarkDuplicateCells(NbGraderPreprocessor):
    """Make the copies that DeduplicateIds leaves behind ordinary cells.

    A student who copies a graded cell hands in two cells with one grade_id. nbgrader's
    DeduplicateIds keeps the last and sets the others' nbgrader metadata to ``{}``, which the
    later preprocessors reject, so the whole submission fails. Run right after DeduplicateIds.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


# Run in the student's kernel when it starts: the modules whose functions checks rely on, as they are
# before any student code runs.
SNAPSHOT = """\
import builtins, math, numpy, numpy.testing, torch, torch.nn.functional, torch.testing
__trainlab_pristine__ = [(module, dict(vars(module))) for module in
                         (builtins, math, numpy, numpy.testing, torch, torch.nn.functional, torch.testing)]
"""

# Run before each test cell: undo what earlier cells did to those modules, to the names that shadow
# built-ins and to the course's helpers (trainlab is imported afresh and the set-up cell runs again).
RESTORE = """\
import sys as _sys
for _module, _saved in __trainlab_pristine__:
    vars(_module).update(_saved)
for _name in [n for n in list(globals()) if not n.startswith("_") and n in vars(_sys.modules["builtins"])]:
    del globals()[_name]
for _name in [n for n in _sys.modules if n == "trainlab" or n.startswith("trainlab.")]:
    del _sys.modules[_name]
"""


def is_test_cell(cell):
    """A test cell: graded code that is not a solution (nbgrader's own predicates)."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


class RecordingExecute(ExecuteAfterCrashes):
    """Execute in the sandbox (autograder/sandbox.py), keeping what each cell's checks record.

    The kernel runs under the ``trainlab-sandbox`` provisioner; what a cell's checks append to the
    channel goes to ``resources["trainlab_records"][cell index]`` for JudgeTestCells. Before each
    test cell the kernel's modules, built-in names and course helpers are put back as they were
    (SNAPSHOT, RESTORE, then the set-up cell again), so that what one exercise's code patched
    cannot make another exercise's tests fail or pass.

    A kernel that hits a cap (memory, processes, bytes written, CPU time, open files; or a cell
    that goes on after the timeout's interrupt) is stopped: that cell gets an error naming the cap
    and the cell, the cells above keep what they earned, and the code cells below are not run.
    """

    show = List(Unicode(), help="Folders the kernel sees read-only besides Python and the course library "
                "(see SandboxProvisioner.show).").tag(config=True)
    interrupt_grace = Float(5, help="Seconds a cell has to stop once the timeout interrupted it.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self.records, self.stopped = {}, None
        nb, resources = super().preprocess(nb, resources, km)
        resources["trainlab_records"] = self.records
        return nb, resources

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        spec = km.kernel_spec
        spec.interrupt_mode = "message"  # a signal would reach bubblewrap, not the cell
        spec.metadata["kernel_provisioner"] = {"provisioner_name": "trainlab-sandbox",
                                               "config": {"show": list(self.show)}}
        return km

    def run_quietly(self, code, timeout=None):
        """Run ``code`` in the kernel, outside any cell; its outputs and errors go nowhere.
        Returns False if the kernel did not answer within ``timeout`` (default: the cell timeout)."""
        try:
            run_sync(self.kc.execute_interactive)(code, silent=True, store_history=False,
                                                  timeout=timeout or self.timeout, output_hook=lambda message: None)
            return True
        except TimeoutError:  # a kernel too broken to answer: its test cells will tell
            self.log.warning("the kernel did not answer the grader in %s s", timeout or self.timeout)
            return False

    def on_kernel_start(self):
        self.run_quietly(SNAPSHOT)

    def preprocess_cell(self, cell, resources, index):
        if self.stopped:
            if cell.cell_type == "code":
                cell.outputs = [new_output("error", ename="NotRun", evalue=self.stopped,
                                           traceback=[f"NotRun: {self.stopped}"])]
            return cell, resources
        if is_test_cell(cell):
            setup = next(c for c in self.nb.cells if c.cell_type == "code")
            self.run_quietly(RESTORE + setup.source)
        if self.km is not None and self.km.provisioner is not None:
            self.km.provisioner.cell_starts()
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:  # interrupted at the timeout, the cell went on and on
            self.stop(cell, index, self.km.provisioner.cap_hit()
                      or f"ran longer than {self.timeout} s and did not stop when interrupted")
        if not self.stopped:
            self.records[index] = self.km.provisioner.read_records()
            self.stop_at_a_cap(cell, index)
        return cell, resources

    def stopped_by_a_cap(self, cell, index):
        return self.stop_at_a_cap(cell, index, died=True)

    def stop_at_a_cap(self, cell, index, died=False):
        """If the kernel hit a cap in this cell, stop it and say so in the cell; returns whether it did."""
        errors = [output for output in cell.get("outputs", []) if output.output_type == "error"]
        if not errors and not died:
            return False
        error = (errors[-1].ename, errors[-1].evalue) if errors else None
        cap = self.km.provisioner.cap_hit(error)
        if cap is None and error and error[0] == self.error_on_timeout.get("ename"):
            if not self.run_quietly("", timeout=self.interrupt_grace):
                cap = f"ran longer than {self.timeout} s and did not stop when interrupted"
        if cap is None:
            return False
        self.stop(cell, index, cap)
        return True

    def stop(self, cell, index, cap):
        """Stop the kernel, which ``cap`` ('used more than 2 GB of memory') in this cell, and say so."""
        self.stopped = (f"not run: the grader stopped this notebook in cell {index + 1}, which {cap}")
        message = (f"This notebook {cap} in cell {index + 1}. The grader stopped it there: the cells above "
                   "keep their points, the cells below were not run.")
        cell.outputs.append(new_output("error", ename="CapExceeded", evalue=message,
                                       traceback=[f"CapExceeded: {message}"]))
        self.log.warning("cell %d: the kernel %s; stopped", index + 1, cap)
        if run_sync(self.km.is_alive)():
            run_sync(self.km.shutdown_kernel)(now=True)


def judge(student, reference):
    """Why the student's records of a test cell fail against the reference's, or None if they pass.

    Each check passes when the student's value is within the check's tolerance of the value the
    oracle gave when the reference solution ran the same cell (or, for a check whose oracle uses
    the student's other results, of the value it gave in the student's run); the comparison runs
    here, in the grader, whatever the kernel did to its own functions.
    """
    if len(student) != len(reference):
        return (f"the grader expected {len(reference)} checks in this cell and saw {len(student)}: "
                "the course's check functions must be left as they are")
    for mine, right in zip(student, reference):
        actual = records.decode(mine.get("actual", {}))
        if actual is None:
            kind = mine.get("actual", {}).get("unreadable", "nothing")
            return f"✗ {right['name']}: the result is not a number or an array of numbers but a {kind}"
        expected = records.decode((mine if right.get("oracle_uses_student") else right).get("expected", {}))
        if expected is None:
            return f"✗ {right['name']}: the oracle's value could not be read"
        try:
            check_close(actual, expected, name=right["name"], oracle=right["oracle"],
                        rtol=right["rtol"], atol=right["atol"], check_dtype=right["check_dtype"],
                        hint=right["hint"], quiet=True)
        except CheckFailed as failure:
            return str(failure)
    return None


class JudgeTestCells(NbGraderPreprocessor):
    """Fail the test cells whose recorded results the grader's own comparison rejects.

    Runs after RecordingExecute. The reference records come from running the instructor's
    notebook the same way, once per assignment (cached in ``cache_directory``). A test cell that
    already failed stays as it is; one that passed in the kernel but not here gets an error
    ``GraderCheckFailed`` with the grader's message, so it earns no points.
    """

    source_directory = Unicode(help="the instructor notebooks: <source_directory>/<assignment>/").tag(config=True)
    cache_directory = Unicode(help="where the reference records are kept").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources.pop("trainlab_records")
        reference = self.reference_records(resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"])
        for index, cell in enumerate(nb.cells):
            if not is_test_cell(cell) or any(o.output_type == "error" for o in cell.outputs):
                continue
            problem = judge(student.get(index, []), reference.get(cell.metadata.nbgrader.grade_id, []))
            if problem:
                cell.outputs.append(new_output("error", ename="GraderCheckFailed", evalue=problem,
                                               traceback=[f"GraderCheckFailed: {problem}"]))
        return nb, resources

    def reference_records(self, assignment, notebook):
        """{grade_id: records} of the instructor notebook's test cells, computed once and cached."""
        source = Path(self.source_directory) / assignment / f"{notebook}.ipynb"
        library = sorted(Path(records.__file__).parent.glob("*.py"))  # the checks may change what is recorded
        key = hashlib.sha256(b"".join(path.read_bytes() for path in [source, *library])).hexdigest()[:16]
        cache = Path(self.cache_directory) / assignment / f"{notebook}.{key}.json"
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(cache.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one grader computes them, the others wait and read
            if not cache.exists():
                self.log.info("running %s to record the reference's checks", source)
                instructor = RecordingExecute(config=self.config, show=[str(Path(self.source_directory).resolve())])
                executed, resources = instructor.preprocess(nbformat.read(source, as_version=4),
                                                            {"metadata": {"path": str(source.parent)}})
                by_cell = resources["trainlab_records"]
                cache.write_text(json.dumps({cell.metadata.nbgrader.grade_id: by_cell.get(index, [])
                                             for index, cell in enumerate(executed.cells) if is_test_cell(cell)}))
        return json.loads(cache.read_text())
