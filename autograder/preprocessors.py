"""nbgrader preprocessors of the course, each doing one thing."""

import copy

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode


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

    def preprocess_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.log.warning("the kernel died in cell %d: restarting it and running the cells above again", index)
            cell.outputs.append(new_output(
                "error", ename="KernelDied", evalue="the kernel stopped while it ran this cell",
                traceback=["KernelDied: Python stopped while it ran this cell (os._exit, a crash in a library, "
                           "or not enough memory). The grader started a new kernel, ran the cells above "
                           "again and went on after this one; what this cell defines is missing."]))
            run_sync(self.km.restart_kernel)(now=True)
            run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
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
