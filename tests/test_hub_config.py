"""The hub's parts that need no hub: the roster and the late penalty (the hub itself: tests/browser/test_hub.py)."""

import pytest

from autograder.hub import read_roster
from autograder.late import LatePenaltyPerDay


@pytest.mark.parametrize("seconds_late, penalty", [(60, 2.7), (86400, 2.7), (86401, 5.4), (30 * 86400, 27)])
def test_a_late_notebook_loses_a_tenth_of_its_score_per_day_begun_down_to_zero(seconds_late, penalty):
    assert LatePenaltyPerDay().late_submission_penalty("ada", 27, seconds_late) == penalty


def test_the_sample_roster_is_copied_when_the_class_has_none(tmp_path):
    people = read_roster(tmp_path)
    assert (tmp_path / "roster.csv").exists()
    assert {person["role"] for person in people} == {"student", "instructor"}


@pytest.mark.parametrize("line, complaint", [("Ada,Ada,student", "is not an id"), ("ada,Ada,teacher", "role"),
                                             ("../x,X,student", "is not an id"),
                                             ("grader-trainlab,G,student", "grader's account")])
def test_a_roster_line_that_is_not_an_account_is_refused(tmp_path, line, complaint):
    (tmp_path / "roster.csv").write_text(f"id,name,role\n{line}\n")
    with pytest.raises(SystemExit, match=complaint):
        read_roster(tmp_path)
