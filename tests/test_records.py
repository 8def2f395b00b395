"""trainlab.records and the grader's judge: what checks record, and how the grader judges it."""


import numpy as np
import pytest
import torch

from autograder.preprocessors import judge
from trainlab import records
from trainlab.checks import CheckFailed, check_close


class Anything:
    """A result that claims to equal everything."""

    def __eq__(self, other):
        return True

    __hash__ = None


@pytest.mark.parametrize("value", [np.arange(6.0).reshape(2, 3), np.float32(1.5), 3, True,
                                   torch.tensor([1.0, -2.0]), [[1, 2], [3, 4]]])
def test_numbers_survive_encoding_exactly(value):
    decoded = records.decode(records.encode(value))
    expected = value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    assert decoded.dtype == expected.dtype and np.array_equal(decoded, expected)


@pytest.mark.parametrize("value", [Anything(), "0.5", None, {"a": 1}, [1, [2, 3]]])
def test_what_is_not_numbers_is_unreadable(value):
    assert records.decode(records.encode(value)) is None


def test_check_close_records_only_when_asked(tmp_path, monkeypatch):
    path = tmp_path / "records.jsonl"
    monkeypatch.setattr(records, "CHANNEL", path)
    check_close(1.0, 1.0, quiet=True)
    assert not path.exists()  # no channel, nothing recorded
    path.touch()  # as the grader's sandbox makes it
    check_close(np.ones(3), np.ones(3), name="ones", rtol=1e-3, quiet=True)
    with pytest.raises(CheckFailed):
        check_close(2.0, 1.0, name="two")  # a failing check is recorded too
    entries = records.parse(path.read_bytes() + b"not json\n")
    assert [entry.get("name") for entry in entries] == ["ones", "two", None]
    assert entries[0]["rtol"] == 1e-3 and records.decode(entries[1]["actual"]) == 2.0
    assert entries[2] == {"garbled": "not json"}


def entry(actual, expected, **check):
    return {"actual": records.encode(actual), "expected": records.encode(expected), "name": "mse",
            "oracle": "torch", "rtol": None, "atol": None, "check_dtype": False, "hint": None, **check}


def test_the_judge_compares_the_students_values_with_the_reference_runs_oracle():
    reference = [entry(0.5, 0.5)]
    assert judge([entry(0.5, 0.5)], reference) is None
    assert judge([entry(0.5 + 1e-12, 0.5)], reference) is None
    # the student's kernel claimed that its oracle agreed: only the reference run's oracle counts
    assert "values differ" in judge([entry(0.7, 0.7)], reference)
    assert "not a number" in judge([entry(Anything(), 0.5)], reference)
    assert "expected 1 checks in this cell and saw 0" in judge([], reference)


def test_an_oracle_that_uses_the_students_results_is_taken_from_the_students_run():
    reference = [entry(0.5, 0.5, oracle_uses_student=True)]
    assert judge([entry(0.7, 0.7)], reference) is None
    assert "values differ" in judge([entry(0.7, 0.5)], reference)
