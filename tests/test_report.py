"""`make report` on the demo class with a few students planted in chapter 1 (tests/report_class.py): the
figures of the report and its CSV files, asserted."""

import csv
import json

from report_class import CHAPTER, HOSTILE_MESSAGE, HOSTILE_NAME

from conftest import ROOT


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_pass_rate_of_a_test_cell(report):
    cells = {(r["assignment"], r["test_cell"]): r for r in rows(report / "report" / "test_cells.csv")}
    # chapter 1's sigmoid: ada, cy, dee, eve (the reference's), pia and quin (their own) pass; bo (nothing)
    # and fay (the textbook formula, which overflows) fail; ren could not be graded
    sigmoid = cells[(CHAPTER, "test_sigmoid")]
    assert (sigmoid["exercise"], sigmoid["passed"], sigmoid["graded"]) == ("sigmoid", "6", "8")
    assert float(sigmoid["pass_rate"]) == 0.75
    assert cells[(CHAPTER, "hidden_l1")]["passed"] == "4"  # eve's and pia's l1 raise, bo and quin wrote none


def test_missing_ungradable_and_late(report):
    found = {(r["kind"], r["assignment"], r["student"]) for r in rows(report / "report" / "problems.csv")}
    chapters = sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*"))
    assert {("missing", chapter, "zed") for chapter in chapters} <= found  # on the roster, nothing handed in
    assert ("missing", "02_gradient_descent", "pia") in found and ("missing", CHAPTER, "pia") not in found
    assert not any(student == "mia" for _, _, student in found)  # an instructor
    assert {(kind, chapter, student) for kind, chapter, student in found if kind != "missing"} == {
        ("ungradable", CHAPTER, "ren"), ("late", CHAPTER, "quin")}


def test_the_planted_pair_and_only_copies_are_flagged(report):
    pairs = {(r["assignment"], r["student_a"], r["student_b"]): r for r in rows(report / "report" / "similar_pairs.csv")}
    planted = pairs[(CHAPTER, "pia", "quin")]  # quin's code is pia's but where it meets the starter code
    assert float(planted["similarity_a"]) > 0.75 and float(planted["similarity_b"]) > 0.9
    assert (CHAPTER, "ada", "pia") not in pairs and (CHAPTER, "ada", "quin") not in pairs
    assert not any("bo" in pair for pair in pairs)  # the starter code alone is nobody's
    assert (CHAPTER, "ada", "fay") in pairs  # both hand in the reference solution, but for one cell


def test_failures_group_by_exercise_with_an_example(report):
    failures = rows(report / "report" / "failures.csv")
    hostile = [f for f in failures if f["exercise"] == "l1" and "onerror" in f["message"]]
    assert [(f["count"], f["example_student"], f["example"]) for f in hostile] == [
        ("1", "pia", f"ValueError: {HOSTILE_MESSAGE}")]
    assert hostile[0]["message"] == "ValueError: <img src=x onerror=alert(#)>"  # numbers normalised


def test_the_page_shows_hostile_text_as_text(report):
    page = (report / "report.html").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "=1+1 &lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(#)&gt;" in page
    assert page.count("<script") == 0 and "data:image/png;base64," in page


def test_grading_time_and_the_lms_exports(report):
    state = json.loads((report / "autograde_state.json").read_text())
    timed = rows(report / "report" / "grading_time.csv")
    assert {(r["assignment"], r["student"]): float(r["seconds"]) for r in timed} == {
        tuple(key.split("/")): entry["seconds"] for key, entry in state.items()}
    with open(report / "grades_canvas.csv", newline="") as f:
        canvas = list(csv.reader(f))
    assert canvas[0][:6] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", CHAPTER]
    column = canvas[0].index(CHAPTER)
    assert canvas[1][0].strip() == "Points Possible" and float(canvas[1][column]) == 27
    by_login = {row[3]: row for row in canvas[2:]}
    assert float(by_login["ada"][column]) == 27 and by_login["pia"][canvas[0].index("02_gradient_descent")] == ""
    assert by_login["pia"][0] == "'" + HOSTILE_NAME + ", Pia"  # a spreadsheet reads it as text, not a formula
    moodle = {r["username"]: r for r in rows(report / "grades_moodle.csv")}
    assert float(moodle["ada"][CHAPTER]) == 27 and moodle["bo"][CHAPTER] == "0.0"
