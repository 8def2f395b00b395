"""trainlab.verdicts: the comparisons the student's checks and the grader share, on plain data."""

import numpy as np
import pytest

from trainlab.verdicts import Unreadable, compare, tolerances


def test_close_follows_the_documented_rule_at_its_edge():
    expected = np.array([0.0, 1.0, 100.0])
    edge = expected + (1e-7 + 1e-7 * np.abs(expected)) * 0.999
    assert compare("close", edge, expected).ok
    assert not compare("close", expected + (1e-7 + 1e-7 * np.abs(expected)) * 1.01, expected).ok


def test_tolerances_are_torch_testings_and_the_less_precise_dtype_wins():
    f16, f32, f64, i64 = (np.dtype(t) for t in ("float16", "float32", "float64", "int64"))
    assert tolerances(f32, f32) == (1.3e-6, 1e-5) and tolerances(f64, f64) == (1e-7, 1e-7)
    assert tolerances(f64, f32) == tolerances(f32, f64) == (1.3e-6, 1e-5)
    assert tolerances(f16, f64) == (1e-3, 1e-5) and tolerances(i64, i64) == (0.0, 0.0)
    assert tolerances(f64, f64, atol=1e-6, scale=1000.0) == (1e-7, 1e-3)


def test_equal_compares_data_exactly_and_says_both():
    assert compare("equal", [np.array([0, 1]), "a"], [[0, 1], "a"]).ok
    verdict = compare("equal", "maximum", "minimum", name="kind", hint="signs?")
    assert not verdict.ok and "got 'maximum', expected 'minimum'" in verdict.message and "hint: signs?" in verdict.message
    assert not compare("equal", Unreadable("Echo"), "minimum").ok


def test_differs_batches_and_distinct_judge_properties_of_the_students_data():
    assert compare("differs", np.array([2, 0, 1]), np.arange(3)).ok
    assert not compare("differs", np.arange(3), np.arange(3)).ok
    spec = {"n": 5, "sizes": [2, 2, 1]}
    assert compare("batches", [np.array([4, 0]), np.array([2, 1]), np.array([3])], spec).ok
    assert "batch sizes [3, 2]" in compare("batches", [np.array([4, 0, 2]), np.array([1, 3])], spec).message
    assert "exactly once" in compare("batches", [np.array([4, 0]), np.array([0, 1]), np.array([3])], spec).message
    assert "integer indices" in compare("batches", [np.array([0.0, 1.0])], spec).message
    assert compare("distinct", [np.arange(3), np.array([2, 1, 0])], None).ok
    assert "items 0 and 1 are the same" in compare("distinct", [np.arange(3), np.arange(3)], None).message


def test_path_says_the_step_where_two_paths_part_and_its_hint():
    expected = np.zeros((5, 2))
    actual = expected.copy()
    actual[3:] = 1.0
    verdict = compare("path", actual, expected, step_hints=[f"hint for {step}" for step in range(5)])
    assert not verdict.ok and "the paths part at step 3" in verdict.message and "hint: hint for 3" in verdict.message


@pytest.mark.parametrize("actual", [None, Unreadable("Echo")])
def test_what_is_not_data_fails_every_comparison(actual):
    for name, expected in [("close", 1.0), ("equal", 1), ("differs", 1), ("batches", {"n": 1, "sizes": [1]}),
                           ("distinct", None), ("path", np.zeros(2))]:
        assert not compare(name, actual, expected).ok, name
