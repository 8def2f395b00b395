"""The class at a glance: ``make report`` writes ``<class>/report.html`` and its numbers as CSV files.

    python -m autograder.report [ASSIGNMENT ...]

From nbgrader's gradebook, the autograded notebooks (``<class>/autograded/<student>/<chapter>/``) and
``<class>/autograde_state.json`` (what ``make autograde`` recorded): the score distribution per
chapter, the pass rate of every test cell, the commonest failure messages of each exercise, missing,
ungradable and late submissions, the grading time per notebook, pairs of submissions whose solution
cells are suspiciously similar (copydetect, on solution cells only, the released starter code
excluded), and the grades for Canvas and Moodle (autograder/lms.py). The CSV files go to
``<class>/report/``.

Everything a student wrote (ids, names, messages, code) is data: the page is rendered by a Jinja
template with autoescape, so none of it is ever read as HTML.
"""

import base64
import csv
import io
import json
import re
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import jinja2
import nbformat
from copydetect import CodeFingerprint, compare_files
from copydetect.defaults import GUARANTEE_THRESHOLD, NOISE_THRESHOLD
from nbgrader.apps import NbGraderAPI
from nbgrader.apps.nbgraderapp import NbGraderApp
from traitlets import Float, Int
from traitlets.config import LoggingConfigurable

from autograder.lms import CanvasExport, MoodleExport, final_scores, spreadsheet_safe

MAX_NOTEBOOK_BYTES = 50_000_000  # an autograded notebook larger than this is not read
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


class ClassReport(LoggingConfigurable):
    """The settings of ``make report``."""

    similarity_threshold = Float(0.5, help="Pairs of submissions of a chapter whose solution cells share at least "
                                 "this fraction of the code of one of the two (copydetect's similarity) are listed as "
                                 "suspiciously similar.").tag(config=True)
    noise_threshold = Int(NOISE_THRESHOLD, help="Shortest run of code (in copydetect's tokens, names replaced) that "
                          "counts as shared between two submissions.").tag(config=True)
    failures_shown = Int(5, help="Failure messages shown per exercise, the commonest first.").tag(config=True)


def load_config():
    """The configuration nbgrader reads (the class's nbgrader_config.py, then the course's)."""
    app = NbGraderApp()
    app.raise_config_file_errors = True
    app.load_config_file()
    return app.config


# -- what the report reads ------------------------------------------------------------------------------------

def read_notebook(path):
    """The notebook at ``path``, or None for a link, an over-size file or one that is not a notebook."""
    path = Path(path)
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_NOTEBOOK_BYTES:
        return None
    try:
        return nbformat.read(path, as_version=4)
    except Exception:
        return None


def nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell):
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def exercises(notebook):
    """{test cell's grade_id: the exercise it tests (the solution cell above it)}, in the notebook's order."""
    owner, current = {}, None
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            current = meta.get("grade_id")
        elif is_test_cell(cell):
            owner[meta.get("grade_id")] = current or meta.get("grade_id")
    return owner


def solution_code(notebook):
    """The source of the notebook's solution code cells, one after another."""
    return "\n\n".join(cell.source for cell in notebook.cells
                       if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"))


def failure_message(cell):
    """What a failed test cell says: its error's name and message (ANSI colours removed), or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            text = f"{output.get('ename', '')}: {output.get('evalue', '')}".strip(": ")
            return ANSI.sub("", text).strip()[:500] or "an error without a message"
    return None


def normalised(message):
    """``message`` with every number replaced by #, so that the same failure with other numbers groups."""
    return " ".join(NUMBER.sub("#", message).split())


@dataclass
class Sources:
    """Where the class's files are."""
    source: Path      # instructor notebooks: <source>/<assignment>/*.ipynb
    release: Path     # student notebooks as released: <release>/<assignment>/*.ipynb
    autograded: Path  # <autograded>/<student>/<assignment>/*.ipynb
    class_dir: Path   # the folder of the submissions, the gradebook and autograde_state.json

    @classmethod
    def of(cls, coursedir):
        root = Path(coursedir.root)
        return cls(root / coursedir.source_directory, root / coursedir.release_directory,
                   root / coursedir.autograded_directory, (root / coursedir.submitted_directory).parent)


# -- the figures ---------------------------------------------------------------------------------------------

@dataclass
class TestCell:
    assignment: str
    notebook: str
    exercise: str
    test_cell: str
    points: float
    graded: int
    passed: int

    @property
    def pass_rate(self):
        return self.passed / self.graded if self.graded else 0.0


def test_cell_pass_rates(gradebook, sources, assignments):
    """A TestCell per test cell of every assignment, in the instructor notebook's order: how many submissions
    it graded (neither the autograder nor a person scored one nbgrader could not run) earned its full points."""
    rows = []
    for assignment in assignments:
        for notebook in sorted(assignment.notebooks, key=lambda n: n.name):
            instructor = read_notebook(sources.source / assignment.name / f"{notebook.name}.ipynb")
            owner = exercises(instructor) if instructor else {}
            order = {name: i for i, name in enumerate(owner)}
            passed, graded = Counter(), Counter()
            for submitted in gradebook.notebook_submissions(notebook.name, assignment.name):
                for grade in submitted.grades:
                    scored = grade.auto_score is not None or grade.manual_score is not None
                    if grade.cell_type == "code" and grade.max_score and scored:
                        graded[grade.name] += 1
                        passed[grade.name] += grade.score >= grade.max_score
            cells = sorted(notebook.grade_cells, key=lambda c: (order.get(c.name, len(order)), c.name))
            rows += [TestCell(assignment.name, notebook.name, owner.get(c.name, c.name), c.name, c.max_score,
                              graded[c.name], passed[c.name]) for c in cells if c.cell_type == "code"]
    return rows


@dataclass
class Failure:
    assignment: str
    exercise: str
    message: str      # normalised
    count: int
    example_student: str
    example: str      # the example student's message as it was


def common_failures(sources, submissions, notebooks, shown):
    """The ``shown`` commonest normalised failure messages of each exercise, from the autograded notebooks'
    test cells, with a count (of students: a message in two test cells of one exercise counts once) and the
    first student (by id) to show it.
    ``notebooks``: {assignment: its notebooks' names}."""
    found = defaultdict(list)  # (assignment, exercise, normalised) -> [(student, message)]
    for assignment, student in submissions:
        for name in notebooks[assignment]:
            notebook = read_notebook(sources.autograded / student / assignment / f"{name}.ipynb")
            if notebook is None:
                continue
            instructor = read_notebook(sources.source / assignment / f"{name}.ipynb")
            owner = exercises(instructor) if instructor else {}
            for cell in filter(is_test_cell, notebook.cells):
                message = failure_message(cell)
                if message:
                    grade_id = nbgrader_meta(cell).get("grade_id")
                    found[(assignment, owner.get(grade_id, grade_id), normalised(message))].append((student, message))
    by_exercise = defaultdict(list)
    for (assignment, exercise, message), seen in found.items():
        student, example = min(seen)
        by_exercise[(assignment, exercise)].append(
            Failure(assignment, exercise, message, len({who for who, _ in seen}), student, example))
    return [failure for key in sorted(by_exercise)
            for failure in sorted(by_exercise[key], key=lambda f: (-f.count, f.message))[:shown]]


@dataclass
class Problem:
    kind: str  # missing, ungradable, late
    assignment: str
    student: str
    detail: str


def roster_students(class_dir):
    """The ids of the students in <class>/roster.csv (id,name,role), if there is one."""
    roster = class_dir / "roster.csv"
    if not roster.is_file() or roster.is_symlink():
        return set()
    with roster.open(newline="") as f:
        return {row["id"].strip() for row in csv.DictReader(f)
                if row.get("id") and (row.get("role") or "student").strip() == "student"}


def grading_state(class_dir):
    """What ``make autograde`` recorded: {(assignment, student): {status, seconds, message, ...}}."""
    path = class_dir / "autograde_state.json"
    if not path.is_file():
        return {}
    entries = json.loads(path.read_text())
    return {tuple(key.split("/", 1)): entry for key, entry in entries.items() if "/" in key}


def problems(gradebook, sources, assignments, handed_in, state):
    """Missing (a student of the gradebook or the roster without a submission), ungradable (the grader's
    status is not "graded") and late (after the due date, with nbgrader's penalty) submissions."""
    students = {s.id for s in gradebook.students} | roster_students(sources.class_dir)
    rows = [Problem("missing", a.name, s, "no submission") for a in assignments for s in sorted(students)
            if (a.name, s) not in handed_in]
    rows += [Problem("ungradable", a, s, f"{entry.get('status')}: {entry.get('message') or ''}".strip(": "))
             for (a, s), entry in sorted(state.items()) if entry.get("status") != "graded"
             and a in {x.name for x in assignments}]
    for assignment in assignments:
        for submission in gradebook.assignment_submissions(assignment.name):
            late = submission.total_seconds_late
            if late > 0:
                rows.append(Problem("late", assignment.name, submission.student.id,
                                    f"{late / 86400:.2f} days late, {submission.late_submission_penalty:g} points off"))
    return rows


def grading_times(state, assignments):
    """{assignment: sorted seconds} of every submission make autograde graded or tried."""
    names = {a.name for a in assignments}
    times = defaultdict(list)
    for (assignment, _), entry in state.items():
        if assignment in names and isinstance(entry.get("seconds"), (int, float)):
            times[assignment].append(float(entry["seconds"]))
    return {a: sorted(t) for a, t in sorted(times.items())}


@dataclass
class SimilarPair:
    assignment: str
    student_a: str
    student_b: str
    similarity_a: float  # the share of a's solution code also in b's
    similarity_b: float
    shared_tokens: int


def fingerprint(code, k, boilerplate=()):
    """copydetect's fingerprint of Python ``code`` (names replaced; k-grams of ``boilerplate`` left out)."""
    return CodeFingerprint("solution.py", k, max(1, GUARANTEE_THRESHOLD - k + 1),
                           boilerplate=list(boilerplate), fp=io.StringIO(code))


def similar_pairs(sources, submissions, notebooks, threshold, k):
    """Pairs of students of one assignment whose solution cells (less the released starter code) share at
    least ``threshold`` of one of the two's code. ``notebooks``: {assignment: its notebooks' names}."""
    by_assignment = defaultdict(list)
    for assignment, student in submissions:
        by_assignment[assignment].append(student)
    pairs = []
    for assignment, students in sorted(by_assignment.items()):
        starter = [read_notebook(sources.release / assignment / f"{name}.ipynb") for name in notebooks[assignment]]
        boilerplate = fingerprint("\n\n".join(solution_code(nb) for nb in starter if nb), k).hashes
        prints = {}
        for student in sorted(students):
            handed_in = [read_notebook(sources.autograded / student / assignment / f"{name}.ipynb")
                         for name in notebooks[assignment]]
            code = "\n\n".join(solution_code(nb) for nb in handed_in if nb)
            if code.strip():
                prints[student] = fingerprint(code, k, boilerplate)
        names = [s for s in prints if prints[s].token_coverage]  # those who wrote more than the starter code
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                shared, (sim_a, sim_b), _ = compare_files(prints[a], prints[b])
                if max(sim_a, sim_b) >= threshold:
                    pairs.append(SimilarPair(assignment, a, b, float(sim_a), float(sim_b), int(shared)))
    return sorted(pairs, key=lambda p: (p.assignment, -max(p.similarity_a, p.similarity_b), p.student_a, p.student_b))


def score_histograms(scores, assignments):
    """A PNG (bytes) of one histogram of final scores per assignment."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = min(3, max(1, len(assignments)))
    rows = -(-len(assignments) // columns) or 1
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.8 * rows), squeeze=False)
    for ax, assignment in zip(axes.flat, assignments):
        values = [score for (a, _), score in scores.items() if a == assignment.name]
        top = assignment.max_score or 1
        ax.hist(values, bins=min(10, max(1, int(top))), range=(0, top), color="#4878a8", edgecolor="white")
        ax.set_title(f"{assignment.name} (n = {len(values)})", fontsize=10)
        ax.set_xlabel(f"score (of {top:g})", fontsize=9)
        ax.set_ylabel("students", fontsize=9)
        ax.yaxis.get_major_locator().set_params(integer=True)
    for ax in list(axes.flat)[len(assignments):]:
        ax.axis("off")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


# -- the page and the CSV files ------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>The class at a glance</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.bar { display: inline-block; height: 0.8em; background: #4878a8; }
.low .bar { background: #c44e52; }
code, pre { font-size: 0.85em; white-space: pre-wrap; word-break: break-word; }
nav a { margin-right: 1em; }
</style></head><body>
<h1>The class at a glance</h1>
<p>{{ counts.students }} students, {{ counts.submissions }} submissions of {{ counts.assignments }} chapters in the gradebook
({{ counts.ungradable }} of them could not be graded: they count as 0 here and in the exports, as in nbgrader's).
The numbers are in <code>{{ csv_folder }}/</code>; grades for Canvas and Moodle in
<code>{{ canvas }}</code> and <code>{{ moodle }}</code>.</p>
{% macro who(student) %}{{ student }}{% if names.get(student) %} ({{ names[student] }}){% endif %}{% endmacro %}
<nav><a href="#scores">Scores</a><a href="#tests">Test cells</a><a href="#failures">Failures</a>
<a href="#problems">Missing, ungradable, late</a><a href="#time">Grading time</a><a href="#similar">Similar pairs</a></nav>

<h2 id="scores">Scores per chapter</h2>
<img alt="histograms of the scores per chapter" src="data:image/png;base64,{{ histograms }}">
<table><tr><th>chapter</th><th>submissions</th><th>mean</th><th>median</th><th>of</th></tr>
{% for s in score_summary %}<tr><td>{{ s.assignment }}</td><td class="n">{{ s.n }}</td><td class="n">{{ s.mean }}</td>
<td class="n">{{ s.median }}</td><td class="n">{{ s.max_score }}</td></tr>
{% endfor %}</table>

<h2 id="tests">Pass rate of every test cell</h2>
<table><tr><th>chapter</th><th>exercise</th><th>test cell</th><th>points</th><th>passed</th><th colspan="2">pass rate</th></tr>
{% for t in test_cells %}<tr{% if t.pass_rate < 0.5 %} class="low"{% endif %}><td>{{ t.assignment }}</td><td>{{ t.exercise }}</td>
<td><code>{{ t.test_cell }}</code></td><td class="n">{{ t.points }}</td><td class="n">{{ t.passed }} / {{ t.graded }}</td>
<td class="n">{{ (100 * t.pass_rate) | round | int }} %</td><td><span class="bar" style="width: {{ (100 * t.pass_rate) | round | int }}px"></span></td></tr>
{% endfor %}</table>

<h2 id="failures">Commonest failures of each exercise</h2>
<p>Numbers are replaced by # so that the same failure with other values counts once.</p>
<table><tr><th>chapter</th><th>exercise</th><th>students</th><th>message</th><th>for example</th></tr>
{% for f in failures %}<tr><td>{{ f.assignment }}</td><td>{{ f.exercise }}</td><td class="n">{{ f.count }}</td>
<td><code>{{ f.message | truncate(300) }}</code></td><td>{{ who(f.example_student) }}</td></tr>
{% else %}<tr><td colspan="5">no test cell failed</td></tr>{% endfor %}</table>

<h2 id="problems">Missing, ungradable and late submissions</h2>
{% for kind, rows in problems %}<h3>{{ kind }} ({{ rows | length }})</h3>
{% if rows and kind == "missing" %}<table><tr><th>chapter</th><th>students without a submission</th></tr>
{% for chapter, missing in rows | groupby("assignment") %}<tr><td>{{ chapter }}</td>
<td>{% for p in missing %}{{ who(p.student) }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{% endfor %}</table>
{% elif rows %}<table><tr><th>chapter</th><th>student</th><th>detail</th></tr>
{% for p in rows %}<tr><td>{{ p.assignment }}</td><td>{{ who(p.student) }}</td><td>{{ p.detail }}</td></tr>
{% endfor %}</table>{% else %}<p>none</p>{% endif %}
{% endfor %}

<h2 id="time">Grading time per notebook</h2>
{% if times %}<table><tr><th>chapter</th><th>notebooks</th><th>median (s)</th><th>slowest (s)</th><th>in all (s)</th></tr>
{% for t in times %}<tr><td>{{ t.assignment }}</td><td class="n">{{ t.n }}</td><td class="n">{{ t.median }}</td>
<td class="n">{{ t.max }}</td><td class="n">{{ t.total }}</td></tr>
{% endfor %}</table>{% else %}<p>no grading time recorded (<code>autograde_state.json</code> is written by <code>make autograde</code>)</p>{% endif %}

<h2 id="similar">Suspiciously similar solution cells</h2>
<p>copydetect on each submission's solution cells, the released starter code left out: a pair is listed when it
shares at least {{ (100 * threshold) | round | int }} % of one of the two's code (<code>ClassReport.similarity_threshold</code>).</p>
<table><tr><th>chapter</th><th>student</th><th>student</th><th>share of the first's</th><th>share of the second's</th></tr>
{% for p in pairs %}<tr><td>{{ p.assignment }}</td><td>{{ who(p.student_a) }}</td><td>{{ who(p.student_b) }}</td>
<td class="n">{{ (100 * p.similarity_a) | round | int }} %</td><td class="n">{{ (100 * p.similarity_b) | round | int }} %</td></tr>
{% else %}<tr><td colspan="5">none</td></tr>{% endfor %}</table>
</body></html>
"""


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([[spreadsheet_safe(v) if isinstance(v, str) else v for v in row] for row in rows])


def rows_of(items):
    return [list(asdict(item).values()) for item in items]


def build(api, settings, only=()):
    """Write <class>/report.html, <class>/report/*.csv and the Canvas and Moodle grades (of ``only``, or every
    assignment of the gradebook)."""
    sources = Sources.of(api.coursedir)
    out = sources.class_dir / "report"
    out.mkdir(exist_ok=True)
    state = grading_state(sources.class_dir)
    with api.gradebook as gradebook:
        assignments = [a for a in sorted(gradebook.assignments, key=lambda a: a.name) if not only or a.name in only]
        scores = final_scores(gradebook, assignments)
        handed_in = set(scores) | {(a, s) for (a, s) in state if any(a == x.name for x in assignments)}
        test_cells = test_cell_pass_rates(gradebook, sources, assignments)
        found = problems(gradebook, sources, assignments, handed_in, state)
        n_students = len({s.id for s in gradebook.students} | roster_students(sources.class_dir))
        names = {s.id: " ".join(filter(None, [s.first_name, s.last_name])) for s in gradebook.students}
        chapters = [a.name for a in assignments]
        for plugin, name in ((CanvasExport, "grades_canvas.csv"), (MoodleExport, "grades_moodle.csv")):
            plugin(config=api.config, to=str(sources.class_dir / name), assignment=chapters).export(gradebook)
        histograms = score_histograms(scores, assignments)
        max_scores = {a.name: a.max_score for a in assignments}
        notebooks = {a.name: sorted(n.name for n in a.notebooks) for a in assignments}
    graded = sorted(scores)
    failures = common_failures(sources, graded, notebooks, settings.failures_shown)
    pairs = similar_pairs(sources, graded, notebooks, settings.similarity_threshold, settings.noise_threshold)
    times = grading_times(state, assignments)

    score_summary = []
    for name in chapters:
        values = [score for (a, _), score in scores.items() if a == name]
        score_summary.append(dict(assignment=name, n=len(values), max_score=f"{max_scores[name]:g}",
                                  mean=f"{statistics.mean(values):.1f}" if values else "",
                                  median=f"{statistics.median(values):g}" if values else ""))
    time_summary = [dict(assignment=a, n=len(t), median=f"{statistics.median(t):.1f}", max=f"{t[-1]:.1f}",
                         total=f"{sum(t):.0f}") for a, t in times.items()]

    write_csv(out / "scores.csv", ["assignment", "student", "score", "max_score"],
              [[a, s, score, max_scores[a]] for (a, s), score in sorted(scores.items())])
    write_csv(out / "test_cells.csv", ["assignment", "notebook", "exercise", "test_cell", "points", "graded",
                                       "passed", "pass_rate"],
              [[*row, round(t.pass_rate, 4)] for t, row in zip(test_cells, rows_of(test_cells))])
    write_csv(out / "failures.csv", list(Failure.__dataclass_fields__), rows_of(failures))
    write_csv(out / "problems.csv", list(Problem.__dataclass_fields__), rows_of(found))
    write_csv(out / "grading_time.csv", ["assignment", "student", "status", "seconds"],
              [[a, s, e.get("status"), e.get("seconds")] for (a, s), e in sorted(state.items()) if a in chapters])
    write_csv(out / "similar_pairs.csv", list(SimilarPair.__dataclass_fields__),
              [[p.assignment, p.student_a, p.student_b, round(p.similarity_a, 4), round(p.similarity_b, 4),
                p.shared_tokens] for p in pairs])

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    page = environment.from_string(PAGE).render(
        counts=dict(students=n_students, submissions=len(scores), assignments=len(assignments),
                    ungradable=sum(p.kind == "ungradable" and (p.assignment, p.student) in scores for p in found)),
        csv_folder=out, canvas=sources.class_dir / "grades_canvas.csv", moodle=sources.class_dir / "grades_moodle.csv",
        histograms=base64.b64encode(histograms).decode(), score_summary=score_summary, test_cells=test_cells,
        failures=failures, problems=[(kind, [p for p in found if p.kind == kind])
                                     for kind in ("missing", "ungradable", "late")],
        times=time_summary, threshold=settings.similarity_threshold, pairs=pairs, names=names)
    (sources.class_dir / "report.html").write_text(page)


def main(argv=None):
    only = sys.argv[1:] if argv is None else argv
    config = load_config()
    api = NbGraderAPI(config=config)
    build(api, ClassReport(config=config), only)
    print(f"wrote {Sources.of(api.coursedir).class_dir / 'report.html'}")


if __name__ == "__main__":
    sys.exit(main())
