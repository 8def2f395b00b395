"""trainlab.records and the grader's judge: what checks record, and how the grader judges it."""


import numpy as np
import pytest
import torch

from autograder.preprocessors import judge
from trainlab import records
from trainlab.checks import CheckFailed, check_close, check_equal, oracle, torch_result
from trainlab.verdicts import Unreadable


class Anything:
    """A result that claims to equal everything, and reads the expected value if it is ever asked."""

    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        raise AssertionError("the recorder ran the student's code")

    __hash__ = None


class Sneaky(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        raise AssertionError("the recorder ran the student's code")


@pytest.mark.parametrize("value", [np.arange(6.0).reshape(2, 3), np.float32(1.5), 3, 2.5, True, None, "minimum",
                                   torch.tensor([1.0, -2.0]), [np.arange(3), (1, "a")], {"loss": [0.5, 0.25]}])
def test_data_survives_encoding_exactly(value):
    decoded = records.decode(records.encode(value))
    if isinstance(value, torch.Tensor):
        value = value.numpy()
    if isinstance(value, np.ndarray | np.generic):
        assert decoded.dtype == np.asarray(value).dtype and np.array_equal(decoded, value)
    else:
        assert repr(decoded).replace("array", "") == repr(value).replace("array", "") or decoded == value


@pytest.mark.parametrize("value", [Anything(), Sneaky([1.0]), np.array(["a"]), [1, Anything()], {1: 2},
                                   np.float64.__new__(type("MyFloat", (np.float64,), {}), 1.0)])
def test_what_is_not_data_is_unreadable_and_runs_no_student_code(value):
    decoded = records.decode(records.encode(value))
    assert isinstance(decoded, Unreadable) or isinstance(decoded[1], Unreadable)


def test_a_value_too_large_is_unreadable():
    assert isinstance(records.decode(records.encode(np.zeros(records.MAX_ITEMS + 1))), Unreadable)


@pytest.fixture
def channel(tmp_path, monkeypatch):
    path = tmp_path / "records.jsonl"
    monkeypatch.setattr(records, "CHANNEL", path)
    return path


def test_nothing_is_recorded_without_a_channel(channel):
    check_close(1.0, oracle(lambda: 1.0), quiet=True)
    assert not channel.exists()


def test_a_graded_kernel_records_only_the_students_value_and_never_evaluates_the_oracle(channel, monkeypatch,
                                                                                          tmp_path, capsys):
    channel.touch()
    monkeypatch.setattr(records, "SOLUTIONS", tmp_path / "not there")
    evaluated = []
    check_close(np.ones(3), oracle(lambda: evaluated.append(1) or np.ones(3)), name="ones")
    check_close(2.0, torch_result(torch.sigmoid, np.zeros(1)), name="two")  # wrong: the kernel does not say so
    entries = records.parse(channel.read_bytes())
    assert [sorted(entry) for entry in entries] == [["name", "value"], ["name", "value"]]
    assert not evaluated and records.decode(entries[1]["value"]) == 2.0
    assert "handed to the grader" in capsys.readouterr().out


def test_the_reference_run_records_the_expected_value_comparison_and_settings(channel, monkeypatch, tmp_path):
    channel.touch()
    monkeypatch.setattr(records, "SOLUTIONS", tmp_path)
    check_close(np.ones(3), oracle(np.ones, 3), name="ones", rtol=1e-3, quiet=True)
    with pytest.raises(CheckFailed):
        check_equal("maximum", oracle(lambda: "minimum"), name="kind")
    first, second = records.parse(channel.read_bytes() + b"not json\n")[:2]
    assert first["comparison"] == "close" and first["settings"]["rtol"] == 1e-3
    assert np.array_equal(records.decode(first["expected"]), np.ones(3))
    assert second["comparison"] == "equal" and records.decode(second["expected"]) == "minimum"
    assert records.parse(b"not json\n") == [{"garbled": "not json"}]


def reference(name, expected, comparison="close", **settings):
    return {"name": name, "expected": records.encode(expected), "comparison": comparison, "oracle": "torch",
            "settings": settings}


def student(name, value):
    return {"name": name, "value": records.encode(value)}


def test_the_judge_compares_the_students_values_with_the_reference_runs_expected_values():
    right = [reference("mse", 0.5)]
    assert judge([student("mse", 0.5)], right) is None
    assert judge([student("mse", 0.5 + 1e-12)], right) is None
    # the student's kernel claimed an expected value of its own: only the reference run's counts
    assert "values differ" in judge([{**student("mse", 0.7), "expected": records.encode(0.7)}], right)
    assert "not a number or an array of numbers but a Anything" in judge([student("mse", Anything())], right)


def test_the_judge_goes_by_key_first_record_counts_extra_keys_are_ignored():
    right = [reference("loss", 1.0), reference("loss", 2.0), reference("kind", "saddle", "equal")]
    honest = [student("loss", 1.0), student("loss", 2.0), student("extra check of a longer loop", 3.0),
              student("kind", "saddle")]
    assert judge(honest, right) is None
    assert "the check loss #2 did not run: your code raised ValueError" in judge(honest[:1], right, "ValueError")
    prewritten = [student("kind", "maximum"), *honest]  # a record written before the check: the first counts
    assert "got 'maximum', expected 'saddle'" in judge(prewritten, right)


def test_the_type_name_of_an_unreadable_value_is_shown_only_when_it_is_a_name():
    right = [reference("f (random)", 1.0)]
    secret = "check_against_reference(f, reference('01_losses', 'f'), SECRET_CASES)"
    leak = judge([{"name": "f (random)", "value": {"unreadable": secret}}], right)
    assert secret not in leak and "value of another kind" in leak


