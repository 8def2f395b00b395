"""Grades for a learning-management system, as nbgrader export plugins (``ExportApp.plugin_class``).

    nbgrader export --exporter=autograder.lms.CanvasExport --to class/grades_canvas.csv
    nbgrader export --exporter=autograder.lms.MoodleExport --to class/grades_moodle.csv

Each writes one row per student of the gradebook and one column per assignment, the score after
nbgrader's late penalty (as ``nbgrader export`` computes it); a chapter not handed in is left empty
(no grade rather than 0). nbgrader's student id is the login:
Canvas's *SIS Login ID*, Moodle's *username*.
"""

import csv

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Dict, Unicode


def final_scores(gradebook, assignments):
    """{(assignment, student): the score less the late penalty, never below 0} of every submission."""
    scores = {}
    for assignment in assignments:
        for student in gradebook.students:
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:
                continue
            scores[(assignment.name, student.id)] = max(0.0, submission.score - submission.late_submission_penalty)
    return scores


def spreadsheet_safe(text):
    """``text`` that a spreadsheet will not run as a formula (a name may start with =, +, - or @)."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class LmsExport(ExportPlugin):
    """The assignments and scores of ``nbgrader export``, written as rows of students."""

    default_file = "grades.csv"

    def assignments(self, gradebook):
        return sorted((a for a in gradebook.assignments if not self.assignment or a.name in self.assignment),
                      key=lambda a: a.name)

    def students(self, gradebook):
        return [s for s in gradebook.students if not self.student or s.id in self.student]

    def export(self, gradebook):
        assignments = self.assignments(gradebook)
        scores = final_scores(gradebook, assignments)
        dest = self.to or self.default_file
        self.log.info("Exporting grades to %s", dest)
        with open(dest, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerows(self.rows(gradebook, assignments, scores))

    def score_cells(self, assignments, scores, student):
        return [scores.get((a.name, student.id), "") for a in assignments]


class CanvasExport(LmsExport):
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then one column per
    assignment headed ``name (canvas id)`` (a bare ``name`` makes Canvas create the assignment), and a
    *Points Possible* row as Canvas's own export has."""

    default_file = "grades_canvas.csv"
    canvas_ids = Dict(Unicode(), {}, help="Canvas's id of each assignment ({'01_losses': '1234'}): the column "
                      "'01_losses (1234)' updates that assignment; without one Canvas creates a new one").tag(config=True)
    section = Unicode("", help="the Section column of every student").tag(config=True)

    def rows(self, gradebook, assignments, scores):
        heads = [f"{a.name} ({self.canvas_ids[a.name]})" if a.name in self.canvas_ids else a.name for a in assignments]
        yield ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *heads]
        yield ["    Points Possible", "", "", "", "", *(a.max_score for a in assignments)]
        for student in self.students(gradebook):
            name = ", ".join(filter(None, [student.last_name, student.first_name])) or student.id
            yield [spreadsheet_safe(name), "", "", spreadsheet_safe(student.id), spreadsheet_safe(self.section),
                   *self.score_cells(assignments, scores, student)]


class MoodleExport(LmsExport):
    """Moodle's grade import from a CSV file: a username column (map it to *username* in the import's
    *Identify user* step) and one column per grade item, headed by the assignment's name."""

    default_file = "grades_moodle.csv"

    def rows(self, gradebook, assignments, scores):
        yield ["username", *(a.name for a in assignments)]
        for student in self.students(gradebook):
            yield [spreadsheet_safe(student.id), *self.score_cells(assignments, scores, student)]
