"""nbgrader preprocessors of the course, each doing one thing."""

import ast
import builtins
import copy
import fcntl
import hashlib
import json
import re
from difflib import SequenceMatcher
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.filters.strings import clean_html
from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from traitlets import Float, Integer, List, Unicode

from autograder.submissions import GRADER_NOTE
from trainlab import records, verdicts
from trainlab.checks import settings_of
from trainlab.verdicts import Unreadable


class ClearHiddenTestsOfTestCells(ClearHiddenTests):
    """nbgrader's ClearHiddenTests on test cells only.

    The delimiter in a student's own cell (a comment ``### BEGIN HIDDEN TESTS``) is their text, not
    a hidden test: nbgrader's would find no end to it and stop the feedback of the whole class.
    """

    def preprocess_cell(self, cell, resources, index):
        if not is_test_cell(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


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
            for number in self.ran_before(index):
                self.run_again(number, resources)
            return cell, self.resources

    def ran_before(self, index):
        """Indices of the code cells that ran before cell ``index``, in order."""
        return [number for number, cell in enumerate(self.nb.cells[:index]) if cell.cell_type == "code"]

    def run_again(self, index, resources):
        """Run cell ``index`` again in a new kernel, its outputs going nowhere."""
        cell = copy.deepcopy(self.nb.cells[index])
        cell.source = self.sent(cell)
        super().preprocess_cell(cell, resources, index)

    def sent(self, cell):
        """The source the kernel gets of ``cell`` (subclasses hook in)."""
        return cell.source


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


class RestoreGraderMarks(NbGraderPreprocessor):
    """Grade a notebook edited in another tool: marks it lost are put back, marks of other notebooks dropped.

    Another tool may save a notebook without nbgrader's cell metadata; a cell pasted from another
    notebook brings marks (a grade id) this notebook does not have. nbgrader rejects both as a
    whole. Here a mark whose grade id this notebook does not have is removed (the cell is graded
    as an ordinary one), and a cell without marks gets those of the instructor notebook's cell it
    stands for: cells are matched in order by their source (difflib), a changed cell (an answer, a
    test cell without its hidden tests) by its place between matched ones. A note at the top says
    what was done. Run before DeduplicateIds.
    """

    source_directory = Unicode(help="the instructor notebooks: <source_directory>/<assignment>/").tag(config=True)

    def preprocess(self, nb, resources):
        assignment, notebook = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
        source = nbformat.read(Path(self.source_directory) / assignment / f"{notebook}.ipynb", as_version=4)
        marks = {cell.metadata.nbgrader.grade_id: cell for cell in source.cells if "nbgrader" in cell.metadata}
        foreign = [cell for cell in nb.cells
                   if "nbgrader" in cell.metadata and cell.metadata.nbgrader.get("grade_id") not in marks]
        for cell in foreign:
            del cell.metadata["nbgrader"]
        present = {cell.metadata.nbgrader.grade_id for cell in nb.cells if "nbgrader" in cell.metadata}
        restored = 0
        matcher = SequenceMatcher(None, [cell.source for cell in source.cells], [cell.source for cell in nb.cells],
                                  autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                for theirs, mine in zip(source.cells[i1:i2], nb.cells[j1:j2]):
                    grade_id = theirs.metadata.get("nbgrader", {}).get("grade_id")
                    if (grade_id and grade_id not in present and "nbgrader" not in mine.metadata
                            and mine.cell_type == theirs.cell_type):
                        mine.metadata["nbgrader"] = copy.deepcopy(theirs.metadata.nbgrader)
                        present.add(grade_id)
                        restored += 1
        notes = [f"{count} cell(s) {what}" for count, what in [
            (len(foreign), "carried marks of another notebook (pasted from elsewhere?) and were graded as "
                           "ordinary cells"),
            (restored, "had lost nbgrader's marks (saved by another tool?) and were matched to the assignment's "
                       "cells by place and content")] if count]
        if notes:
            self.log.warning("%s", "; ".join(notes))
            note = nbformat.v4.new_markdown_cell(
                f"{GRADER_NOTE}{'; '.join(notes)}. Work in the notebook the assignment gave you, in JupyterLab.")
            if nb.nbformat_minor < 5:  # cell ids came with nbformat 4.5
                del note["id"]
            nb.cells.insert(0, note)
        return nb, resources


class SanitiseSubmissionHtml(NbGraderPreprocessor):
    """Make the Markdown and outputs of a submission safe to show in formgrader and feedback.

    Both render the autograded notebook, as the instructor (whose formgrader can start terminals)
    or as the student. nbconvert's ``HTMLExporter.sanitize_html`` cleans outputs, but nbgrader's
    templates render Markdown cells without it. Here the Markdown of every cell the student could
    edit (not locked) goes through nbconvert's ``clean_html`` (no script, no ``on...=``: such tags
    show as text), HTML and SVG outputs too, and Javascript outputs are dropped.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown" and not cell.metadata.get("nbgrader", {}).get("locked"):
            cell.source = clean_html(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for kind in ("text/html", "image/svg+xml"):
                if kind in data:
                    data[kind] = clean_html(data[kind])
            if data.pop("application/javascript", None) is not None and not data:
                data["text/plain"] = "(a Javascript output: the grader does not show it)"
        return cell, resources


# Run in every kernel the grader starts, before its first cell: the recorder keeps the functions it uses
# as they are before any student code runs (trainlab.records), hidden tests get a place for their names, and
# the libraries every set-up cell imports are loaded outside the cells' time limit.
KERNEL_START = """\
import numpy, numpy.testing, torch, torch.nn.functional, torch.testing
import trainlab.records
__trainlab_namespaces__ = {}
"""


def is_test_cell(cell):
    """A test cell: graded code that is not a solution (nbgrader's own predicates)."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def is_hidden_test_cell(cell):
    """A test cell with hidden tests (its source is the instructor's: OverwriteCells put it back)."""
    return is_test_cell(cell) and "BEGIN HIDDEN TESTS" in cell.source


# The exceptions a hidden-test cell's error may be named by in feedback: any other name is the student's
# own class, and its name (like its message) is the student's words, which may quote the tests.
KNOWN_ERRORS = {name for name, value in vars(builtins).items()
                if isinstance(value, type) and issubclass(value, BaseException)}
GRADER_ERRORS = {"CapExceeded", "NotRun"}  # made by the grader: its own words only
GRADER_WORDS = {
    "CellTimeoutError": "the hidden tests ran past the grader's time limit for one cell",
    "KernelDied": "Python stopped while the hidden tests ran (os._exit, a crash in a library, or not enough "
                  "memory); the grader went on after this cell",
    "CheckFailed": "a check of the hidden tests failed",
}


def grader_words(outputs):
    """A hidden-test cell's outputs as the grader tells them: the name of each error, nothing the kernel wrote.

    While hidden tests run, student code can read them (their frames, linecache, IPython's history)
    and the inputs they pass: any text from the kernel may quote them.
    """
    said = []
    for output in outputs:
        if output.output_type == "error" and output.ename in GRADER_ERRORS:
            said.append(output)
        elif output.output_type == "error":
            name = output.ename if output.ename in KNOWN_ERRORS | set(GRADER_WORDS) else "an exception of your own"
            words = GRADER_WORDS.get(name, "raised while the hidden tests called your code")
            said.append(new_output("error", ename=name, evalue=words, traceback=[f"{name}: {words}"]))
    return said


class RecordingExecute(ExecuteAfterCrashes):
    """Execute in the sandbox (autograder/sandbox.py), keeping what each cell's checks record.

    The kernel runs under the ``trainlab-sandbox`` provisioner; what a cell's checks append to the
    channel goes to ``resources["trainlab_records"][cell index]`` for JudgeTestCells. Nothing is put
    back before a test cell: the notebook means what the student's Run All gives, and since no
    verdict is made in the kernel, what student code patched can only hurt its own records.

    A kernel that hits a cap (memory, processes, bytes written, CPU time, open files; or a cell
    that goes on after the timeout's interrupt) is stopped: that cell gets an error naming the cap
    and the cell, the cells above keep what they earned, and the code cells below are not run.

    Hidden tests run last, after every other cell, in notebook order, and their cells keep only
    the grader's words (:func:`grader_words`): student code called by a hidden test can read its
    source and inputs, and anything the kernel prints from then on could quote them, so every
    output that reaches feedback was made before the first hidden test started. Each hidden test
    runs in the names the notebook had where its cell stands (a copy of the kernel's globals taken
    there), so it sees what it would have seen in place, and what it defines stays its own. The
    instructor's notebook runs the same way for the reference records.

    In a student's kernel the test cells run without their oracles (:func:`without_oracles`): the
    code that computes an expected value never reaches it, whatever student code does to the checks.
    """

    # Not configuration: only the grader's code says which run a kernel is (JudgeTestCells.reference_records).
    solutions = Unicode("", help="The instructor notebooks' folder when this is the grader's run of them (the "
                        "reference run: the kernel sees them and test cells keep their oracles); empty for a "
                        "student's notebook.")
    show = List(Unicode(), help="Folders the kernel sees read-only besides Python and the course library "
                "(see SandboxProvisioner.show).").tag(config=True)
    interrupt_grace = Float(5, help="Seconds a cell has to stop once the timeout interrupted it.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self.records, self.stopped, self.stopped_at, self.recovered = {}, None, None, False
        self.hidden, self.running_hidden = [], False
        nb, resources = super().preprocess(nb, resources, km)
        resources["trainlab_records"] = self.records
        return nb, resources

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        spec = km.kernel_spec
        spec.interrupt_mode = "message"  # a signal would reach bubblewrap, not the cell
        spec.metadata["kernel_provisioner"] = {"provisioner_name": "trainlab-sandbox",
                                               "config": {"show": list(self.show), "solutions": self.solutions}}
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
        self.run_quietly(KERNEL_START)

    def preprocess_cell(self, cell, resources, index):
        if is_hidden_test_cell(cell) and not self.running_hidden:
            self.hidden.append(index)
            if not self.stopped:
                self.run_quietly(f"__trainlab_namespaces__[{index}] = dict(globals())")
        else:
            cell, resources = self.run_and_record(cell, resources, index)
        if index == len(self.nb.cells) - 1 and not self.running_hidden:
            self.running_hidden = True
            if self.stopped and any(number < self.stopped_at for number in self.hidden):
                self.recover(resources)
            for number in self.hidden:
                self.run_hidden(self.nb.cells[number], resources, number)
        return cell, resources

    def recover(self, resources):
        """After a cap stopped the notebook, run the code cells above that cell again in a new kernel, so
        that their hidden tests (which run last) keep their points as the visible ones do."""
        try:
            run_sync(self.km.restart_kernel)(now=True)
            run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
            self.on_kernel_start()
            self.recovered = True
            for number in self.ran_before(self.stopped_at):
                self.run_again(number, resources)
            self.km.provisioner.read_records()  # what the cells run again recorded is judged already
        except (DeadKernelError, CellTimeoutError, RuntimeError, TimeoutError) as error:
            self.recovered = False
            self.log.warning("the cells above the one that hit a cap did not run again (%s): their hidden tests "
                             "are not run", error)

    def run_and_record(self, cell, resources, index):
        if is_test_cell(cell) and not self.running_hidden:
            source, cell.source = cell.source, self.sent(cell)
            try:
                return self.run_and_record_as_sent(cell, resources, index)
            finally:
                cell.source = source
        return self.run_and_record_as_sent(cell, resources, index)

    def sent(self, cell):
        """The source the kernel gets of ``cell``: a test cell's without its oracles in a student's kernel."""
        return without_oracles(cell.source) if not self.solutions and is_test_cell(cell) else cell.source

    def run_and_record_as_sent(self, cell, resources, index):
        if self.halted(index):
            if cell.cell_type == "code":
                cell.outputs = [new_output("error", ename="NotRun", evalue=self.stopped,
                                           traceback=[f"NotRun: {self.stopped}"])]
            return cell, resources
        if self.km is not None and self.km.provisioner is not None:
            self.km.provisioner.cell_starts()
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:  # interrupted at the timeout, the cell went on and on
            self.stop(cell, index, self.km.provisioner.cap_hit()
                      or f"ran longer than {self.timeout} s and did not stop when interrupted")
        if not self.halted(index):
            self.records[index] = self.km.provisioner.read_records()
            self.stop_at_a_cap(cell, index)
        return cell, resources

    def halted(self, index):
        """Whether a cap stopped the notebook before cell ``index`` could run (see recover)."""
        return bool(self.stopped) and not (self.recovered and index < self.stopped_at)

    def run_hidden(self, cell, resources, index):
        """Run a hidden-test cell in the names kept where it stands (all of them, if a restart lost those)."""
        source, namespace = cell.source, f"__trainlab_namespaces__.get({index}, globals())"
        cell.source = in_namespace(self.sent(cell), namespace)
        try:
            self.run_and_record(cell, resources, index)
        finally:
            cell.source = source
        cell.outputs = grader_words(cell.outputs)

    def ran_before(self, index):
        """The code cells a new kernel runs again: while hidden tests run, every other code cell (above the
        one that hit a cap, if one did)."""
        last = len(self.nb.cells) if self.stopped_at is None else self.stopped_at
        ran = range(last) if self.running_hidden else range(index)
        return [number for number in ran if self.nb.cells[number].cell_type == "code"]

    def run_again(self, index, resources):
        """A hidden test is not run again (it would run before later cells): its names are kept anew."""
        if is_hidden_test_cell(self.nb.cells[index]):
            self.run_quietly(f"__trainlab_namespaces__[{index}] = dict(globals())")
        else:
            super().run_again(index, resources)

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
        self.stopped_at, self.recovered = index, False
        message = (f"This notebook {cap} in cell {index + 1}. The grader stopped it there: the cells above "
                   "keep their points, the cells below were not run.")
        cell.outputs.append(new_output("error", ename="CapExceeded", evalue=message,
                                       traceback=[f"CapExceeded: {message}"]))
        self.log.warning("cell %d: the kernel %s; stopped", index + 1, cap)
        if run_sync(self.km.is_alive)():  # kept for a restart (see recover)
            run_sync(self.km.shutdown_kernel)(now=True, restart=True)


ORACLES = ("oracle", "torch_result")  # trainlab.checks' deferred expected values


def without_oracles(source):
    """``source`` with every call of an oracle (ORACLES) replaced by ``None``, on the same lines.

    A check in a student's kernel records the student's value only and never evaluates its oracle;
    here the oracle's code is not even sent, so student code that patches the checks cannot have it
    evaluated and report its value as the student's. Source that does not parse is sent as it is.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.encode().splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def span(node):  # ast's columns count UTF-8 bytes
        return starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset

    calls = sorted((span(node), node.end_lineno - node.lineno) for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ORACLES)
    data, end_of_last = source.encode(), -1
    outermost = []
    for (start, end), newlines in calls:
        if start >= end_of_last:
            outermost.append((start, end, newlines))
            end_of_last = end
    for start, end, newlines in reversed(outermost):
        data = data[:start] + b"None" + b"\n" * newlines + data[end:]
    return data.decode()


def in_namespace(code, namespace):
    """Code that runs ``code`` with the dict that the expression ``namespace`` gives as its globals."""
    return f"exec(compile({code!r}, '<hidden tests>', 'exec'), {namespace})"


NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,39}")


def keyed(entries):
    """(key, entry) for each record with a name: the name, made unique in its cell by " #2", " #3", ..."""
    seen = {}
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue
        seen[name] = seen.get(name, 0) + 1
        yield (name if seen[name] == 1 else f"{name} #{seen[name]}"), entry


def verdict_on(mine, right):
    """The grader's Verdict on one check: the student's value (only that, from ``mine``) against the
    reference run's expected value, comparison and settings (``right``)."""
    actual = records.decode(mine.get("value"))
    if isinstance(actual, Unreadable) and not NAME.fullmatch(actual.type_name):  # the kernel's words
        actual = Unreadable("value of another kind")
    expected = records.decode(right.get("expected"))
    if isinstance(expected, Unreadable):
        return verdicts.Verdict(False, f"✗ {right['name']}: the oracle's value could not be read")
    return verdicts.compare(right.get("comparison", "close"), actual, expected, name=right["name"],
                            oracle=right.get("oracle", "the expected value"), **settings_of(right.get("settings", {})))


def judgement(student, reference, raised=None):
    """The grader's Verdict on every check of the reference run's cell, in order.

    Per key (a check's name, unique in its cell): a reference check the student did not record fails;
    a student's record the reference lacks is ignored (a data-dependent loop may make more checks); of
    several student records of one key, the first counts. ``raised``: the name of the error the kernel
    raised in this cell, if any, to explain a check that did not run.
    """
    mine = {}
    for key, entry in keyed(student):
        mine.setdefault(key, entry)
    said = []
    for key, right in keyed(reference):
        if key in mine:
            said.append(verdict_on(mine[key], right))
        else:
            why = (f"your code raised {raised} before it" if raised else
                   "the cell stopped before it, or the check was changed")
            said.append(verdicts.Verdict(False, f"✗ the check {key} did not run: {why}"))
    return said


def judge(student, reference, raised=None):
    """Why the student's records of a test cell fail against the reference's, or None if every check passes."""
    return "\n".join(v.message for v in judgement(student, reference, raised) if not v.ok) or None


class JudgeTestCells(NbGraderPreprocessor):
    """Give each test cell the grader's verdict on what its checks recorded.

    Runs after RecordingExecute. The reference records (expected values, comparisons, settings)
    come from running the instructor's notebook the same way, once per assignment (cached in
    ``cache_directory``). A test cell whose checks the judge rejects gets an error
    ``GraderCheckFailed`` with the grader's message, so it earns no points; the kernel never says
    a check passed (in a graded kernel checks record and judge nothing). An error the kernel raised
    in a test cell (the student's code raised) also fails it: it can only cost the student who caused it.
    """

    source_directory = Unicode(help="the instructor notebooks: <source_directory>/<assignment>/").tag(config=True)
    cache_directory = Unicode(help="where the reference records are kept").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources.pop("trainlab_records")
        reference = self.reference_records(resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"])
        for index, cell in enumerate(nb.cells):
            if not is_test_cell(cell):
                continue
            right = reference.get(cell.metadata.nbgrader.grade_id, [])
            if not right:  # a cell without checks: the kernel's error or none decides
                continue
            errors = [output for output in cell.outputs if output.output_type == "error"]
            raised = next((e.ename for e in errors if e.ename not in GRADER_ERRORS), None)
            said = judgement(student.get(index, []), right, raised)
            problem = "\n".join(v.message for v in said if not v.ok)
            if problem:
                cell.outputs.append(new_output("error", ename="GraderCheckFailed", evalue=problem,
                                               traceback=[f"GraderCheckFailed: {problem}"]))
            elif not is_hidden_test_cell(cell):  # what the student's own JupyterLab would have printed
                cell.outputs.append(new_output("stream", name="stdout", text="".join(
                    f"{v.message}\n" for v in said)))
        return nb, resources

    def cache_file(self, assignment, notebook):
        """Where the reference records of the instructor notebook are cached: named after what they depend on."""
        source = Path(self.source_directory) / assignment / f"{notebook}.ipynb"
        # the checks, and how the notebook is run, may change what is recorded
        library = sorted(Path(records.__file__).parent.glob("*.py"))
        inputs = [source, Path(__file__), *library]
        key = hashlib.sha256(b"".join(path.read_bytes() for path in inputs)).hexdigest()[:16]
        return Path(self.cache_directory) / assignment / f"{notebook}.{key}.json"

    def reference_records(self, assignment, notebook):
        """{grade_id: records} of the instructor notebook's test cells, computed once and cached."""
        source = Path(self.source_directory) / assignment / f"{notebook}.ipynb"
        cache = self.cache_file(assignment, notebook)
        cache.parent.mkdir(parents=True, exist_ok=True)
        with open(cache.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one grader computes them, the others wait and read
            if not cache.exists():
                self.log.info("running %s to record the reference's checks", source)
                # a keyword, not configuration: nbconvert's preprocess loads the configuration again
                instructor = RecordingExecute(config=self.config, solutions=str(Path(self.source_directory).resolve()))
                executed, resources = instructor.preprocess(nbformat.read(source, as_version=4),
                                                            {"metadata": {"path": str(source.parent)}})
                by_cell = resources["trainlab_records"]
                cache.write_text(json.dumps({cell.metadata.nbgrader.grade_id: by_cell.get(index, [])
                                             for index, cell in enumerate(executed.cells) if is_test_cell(cell)}))
        return json.loads(cache.read_text())
