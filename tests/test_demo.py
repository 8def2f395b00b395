"""`make demo`: through nbgrader's exchange, the synthetic class is graded exactly as expected, and the
feedback students fetch leaks nothing (the class is conftest's ``demo``, which tests/test_report.py reads too)."""

import csv
import html
import json
import re
import runpy

import pytest

from conftest import ROOT, solution_lines

SAMPLES = {p.stem: runpy.run_path(str(p))["SUBMISSIONS"] for p in sorted((ROOT / "autograder/samples").glob("*.py"))}


def test_every_sample_earns_its_exact_score(demo):
    with open(demo / "grades.csv") as f:
        scores = {(r["assignment"], r["student_id"]): float(r["score"]) for r in csv.DictReader(f)
                  if r["timestamp"]}  # nbgrader also lists every student under every chapter
    expected = {(chapter, s["student"]): s["score"] for chapter, subs in SAMPLES.items() for s in subs}
    assert scores == expected


def visible_text(path):
    """The text a student reads in an HTML feedback page (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


@pytest.mark.parametrize("chapter", sorted(SAMPLES))
def test_feedback_shows_results_but_no_hidden_tests_or_solutions(chapter, demo):
    for notebook in (ROOT / "solutions" / chapter).glob("*.ipynb"):
        released = (ROOT / "notebooks" / chapter / notebook.name).read_text()
        # the solution's lines that students cannot already read in their notebook (e.g. in a tip)
        solution = {line for line in solution_lines(json.loads(notebook.read_text()))
                    if json.dumps(line)[1:-1] not in released}
        assert solution
        for sample in SAMPLES[chapter]:
            # what the student fetched from nbgrader's exchange into their home
            fetched = list((demo / "home" / sample["student"] / chapter / "feedback").glob(f"*/{notebook.stem}.html"))
            assert len(fetched) == 1, f"{sample['student']} fetched no feedback for {chapter}"
            text = visible_text(fetched[0])
            assert "Score:" in text
            for hidden in ("BEGIN HIDDEN TESTS", "check_against_reference", "reference(", "trainlab.grading"):
                assert hidden not in text, f"{sample['student']}'s feedback shows hidden test code: {hidden}"
            if sample["base"] == "release":  # wrote nothing, so any solution line came from us
                shown = [line for line in solution if line in text]
                assert not shown, f"{sample['student']}'s feedback shows solution code: {shown}"
