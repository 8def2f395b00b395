"""nbgrader preprocessors of the course, each doing one thing."""

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode


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
