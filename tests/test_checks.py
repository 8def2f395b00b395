"""Tests of trainlab.checks: check_close's reports, tolerances, torch_result."""


import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from trainlab.checks import CheckFailed, check_close, check_update, evaluate, oracle, torch_result

FAST = settings(max_examples=50, deadline=None)

finite_arrays = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
    elements=st.floats(allow_nan=False, allow_infinity=False))


def failure(actual, expected, **kwargs):
    """The message of the CheckFailed that check_close must raise."""
    with pytest.raises(CheckFailed) as info:
        check_close(actual, expected, **kwargs)
    return str(info.value)


# --- passing -----------------------------------------------------------------------------

def test_equal_values_pass_and_print_one_report_line(capsys):
    x = np.array([[1.0, -2.0], [3.5, 0.0]])
    check_close(x.copy(), x, name="mse", oracle="F.mse_loss")
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    assert out == "✓ mse matches F.mse_loss: exactly\n", out


def test_close_values_pass_and_report_their_worst_relative_error(capsys):
    expected = np.array([1.0, 2.0, 4.0])
    actual = expected * np.array([1.0, 1 + 3e-8, 1.0])
    check_close(actual, expected, name="loss", oracle="torch")
    out = capsys.readouterr().out
    assert out == "✓ loss matches torch: worst relative error 3.0e-08 (|got - expected| <= 1e-07 + 1e-07·|expected|)\n", out


def test_quiet_prints_nothing(capsys):
    check_close(np.ones(3), np.ones(3), quiet=True)
    assert capsys.readouterr().out == ""


def test_scalars_and_lists_are_accepted(capsys):
    check_close(2.0, np.float64(2.0))
    check_close([1.0, 2.0], np.array([1.0, 2.0]))
    assert capsys.readouterr().out.count("✓") == 2


def test_equal_infinities_pass():
    check_close(np.array([np.inf, -np.inf, 1.0]), np.array([np.inf, -np.inf, 1.0]), quiet=True)


def test_opposite_infinities_fail():
    with pytest.raises(CheckFailed):
        check_close(np.array([-np.inf]), np.array([np.inf]), quiet=True)


def test_a_finite_value_where_inf_is_expected_fails():
    with pytest.raises(CheckFailed):
        check_close(np.array([1e300]), np.array([np.inf]), quiet=True)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_accepts_a_torch_tensor_as_actual(requires_grad, capsys):
    t = torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64, requires_grad=requires_grad)
    check_close(t * 2, np.array([1.0, -3.0, 4.0]), name="tensor")
    assert "✓ tensor matches" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check_close(t * 3, np.array([1.0, -3.0, 4.0]))


# --- failures ----------------------------------------------------------------------------

def test_none_mentions_return():
    message = failure(None, np.ones(2), name="sigmoid")
    assert message.startswith("✗ sigmoid: got None."), message
    assert "`return`" in message, message


def test_none_with_a_hint_shows_the_hint():
    message = failure(None, np.ones(2), hint="compute it first")
    assert "hint: compute it first" in message, message


def test_shape_mismatch_names_both_shapes():
    message = failure(np.zeros((3, 2)), np.zeros((2, 3)), name="log_softmax")
    assert "✗ log_softmax" in message, message
    assert "(3, 2)" in message and "(2, 3)" in message, message


def test_a_scalar_where_an_array_is_expected_is_a_shape_mismatch():
    message = failure(1.0, np.ones(4))
    assert "shape ()" in message and "(4,)" in message, message


@pytest.mark.parametrize("actual", [
    "0.5",
    np.array(["1.0", "2.0"]),
    np.array([1.0, 2.0], dtype=object),
    np.array([1 + 0j, 2 + 0j]),
])
def test_non_numeric_results_are_rejected(actual):
    message = failure(actual, np.array([1.0, 2.0]) if np.ndim(actual) else np.float64(0.5))
    assert "expected numbers" in message, message
    assert str(np.asarray(actual).dtype) in message, message


def test_ragged_lists_are_rejected_with_a_report():
    message = failure([1.0, [2.0, 3.0]], np.ones(2))
    assert "could not turn the result into a numpy array" in message, message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_where_finite_expected_gives_the_first_bad_index(bad):
    actual = np.zeros((3, 4))
    actual[1, 2] = bad
    actual[2, 0] = bad
    message = failure(actual, np.zeros((3, 4)), name="bce")
    assert "✗ bce: 2 of 12 values are NaN or infinite at index (1, 2)" in message, message
    assert f"got {bad}" in message, message


def test_a_nan_scalar_is_reported():
    message = failure(np.float64("nan"), 0.25)
    assert "the result is NaN or infinite" in message, message


def test_values_too_far_apart_report_error_index_values_tolerance_and_hint():
    expected = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    actual = expected.copy()
    actual[1, 1] = 5.5  # relative error 0.1, the worst
    actual[0, 2] = 3.003  # relative error 1e-3, also failing
    message = failure(actual, expected, name="mse", oracle="F.mse_loss", hint="square the residual")
    assert message.startswith("✗ mse: 2 of 6 values differ from F.mse_loss."), message
    assert "worst difference 0.5 at index (1, 1) (relative 1.0e-01)" in message, message
    assert "got 5.5, expected 5" in message, message
    assert "tolerance: |got - expected| <= 1e-07 + 1e-07 * |expected|" in message, message
    assert "hint: square the residual" in message, message


def test_no_hint_line_without_a_hint():
    message = failure(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    assert "hint" not in message, message


def test_explicit_tolerances_are_used_and_reported():
    check_close(np.array([1.01]), np.array([1.0]), rtol=0.02, quiet=True)
    message = failure(np.array([1.03]), np.array([1.0]), rtol=0.02, atol=0.0)
    assert "tolerance: |got - expected| <= 0 + 0.02 * |expected|" in message, message


def test_check_failed_is_an_assertion_error():
    with pytest.raises(AssertionError):
        check_close(np.array([1.0]), np.array([2.0]))


def test_dtype_is_checked_only_when_asked():
    expected = np.array([0.5, 0.25], dtype=np.float32)
    actual = expected.astype(np.float64)
    check_close(actual, expected, quiet=True)
    message = failure(actual, expected, check_dtype=True, name="sigmoid")
    assert "dtype float64, expected float32" in message, message
    check_close(expected.copy(), expected, check_dtype=True, quiet=True)


def test_default_tolerance_follows_the_dtype_returned():
    """torch.testing's defaults for the result's dtype (or the oracle's, if less precise): float32 rtol 1.3e-6,
    atol 1e-5; float64 both 1e-7."""
    x = np.array([0.3, -1.7, 12.0])
    check_close((x * (1 + 1e-6)).astype(np.float32), oracle(lambda: x), quiet=True)
    message = failure((x * (1 + 1e-5)).astype(np.float32), oracle(lambda: x))
    assert "<= 1e-05 + 1.3e-06 * |expected|" in message, message
    message = failure(x * (1 + 1e-6), oracle(lambda: x))  # float64: 1e-7 both
    assert "<= 1e-07 + 1e-07 * |expected|" in message, message
    check_close(x * (1 + 1e-6), oracle(lambda: x.astype(np.float32)), quiet=True)  # float32's: the less precise


def test_a_right_float32_log_softmax_passes_with_atol_scaled_by_the_logits():
    """z - logsumexp(z) in float32 loses about |z| times float32's spacing: scale says so."""
    z = (np.random.default_rng(0).normal(size=(64, 6)) * 100).astype(np.float32)
    mine = z - (z.max(1, keepdims=True) + np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)))
    expected = torch_result(F.log_softmax, z, dim=-1)
    check_close(mine, expected, scale=np.abs(z).max(), check_dtype=True, quiet=True)


def test_integer_results_compare_with_float_expectations():
    check_close(np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0]), quiet=True)
    with pytest.raises(CheckFailed):
        check_close(np.array([1, 2, 4]), np.array([1.0, 2.0, 3.0]), quiet=True)


# --- properties --------------------------------------------------------------------------

@FAST
@given(finite_arrays)
def test_any_finite_array_matches_itself(x):
    check_close(x.copy(), x, quiet=True)


@st.composite
def arrays_not_near_zero(draw):
    """A finite array with at least one element of magnitude in [1e-3, 1e300] (1e-3 of it is beyond atol)."""
    x = draw(finite_arrays.filter(lambda a: a.size > 0))
    big = draw(st.floats(1e-3, 1e300)) * draw(st.sampled_from([-1.0, 1.0]))
    flat = x.reshape(-1)
    flat[draw(st.integers(0, x.size - 1))] = big
    return x


@FAST
@given(arrays_not_near_zero())
def test_a_relative_error_of_1e_3_fails(x):
    with np.errstate(over="ignore"):
        scaled = x * (1 + 1e-3)
    with pytest.raises(CheckFailed):
        check_close(scaled, x, quiet=True)


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=5),
                  elements=st.floats(-1e-8, 1e-8)))
def test_a_relative_error_of_1e_3_on_near_zero_values_is_within_atol(x):
    """|x| <= 1e-8 makes the difference <= 1e-11, below float64's default atol of 1e-7."""
    check_close(x * (1 + 1e-3), x, quiet=True)


# --- torch_result ------------------------------------------------------------------------

def test_torch_result_equals_torch_on_tensors_and_keeps_float32():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 3)).astype(np.float32)
    b = rng.normal(size=(4, 3)).astype(np.float32)
    got = evaluate(torch_result(F.mse_loss, a, b))
    want = F.mse_loss(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    assert isinstance(got, np.ndarray)
    assert got.dtype == np.float32
    assert got.shape == ()
    assert got == want


def test_torch_result_keeps_float64():
    a, b = np.array([1.0, 2.0]), np.array([0.0, 4.0])
    got = evaluate(torch_result(F.mse_loss, a, b))
    assert got.dtype == np.float64 and got == 2.5


def test_torch_result_passes_keyword_arguments_through():
    z = np.arange(12.0).reshape(3, 4)[:, ::-1]  # not contiguous
    got = evaluate(torch_result(F.log_softmax, z, dim=-1))
    want = F.log_softmax(torch.tensor(z.copy()), dim=-1).numpy()
    np.testing.assert_array_equal(got, want)
    got0 = evaluate(torch_result(F.log_softmax, z, dim=0))
    assert not np.allclose(got0, got)
    np.testing.assert_array_equal(got0, F.log_softmax(torch.tensor(z.copy()), dim=0).numpy())


def test_empty_arrays_match():
    check_close(np.array([]), np.array([]), quiet=True)


def test_non_numeric_report_names_the_original_type():
    assert "(from a str)" in failure("0.5", np.float64(0.5))


def test_a_tiny_expected_value_is_judged_by_the_absolute_tolerance(capsys):
    # 1e-12 vs 2e-12 is a relative error of 1 but far below atol: the worst is the other element
    check_close(np.array([2e-12, 1 + 1e-8]), np.array([1e-12, 1.0]))
    assert "worst relative error 1.0e-08 (|got - expected| <= 1e-07 + 1e-07·|expected|)" in capsys.readouterr().out


def test_a_negative_tolerance_is_refused_and_zero_means_exact():
    with pytest.raises(ValueError, match="rtol"):
        check_close(1.0, 1.0, rtol=-1.0)
    check_close(3, oracle(lambda: 3), rtol=0.0, atol=0.0, quiet=True)
    with pytest.raises(CheckFailed):
        check_close(1.0 + 1e-15, oracle(lambda: 1.0), rtol=0.0, atol=0.0)


def rmsprop_in_another_order(w, dw, config):
    """RMSprop as torch computes it, up to the order of the operations (so up to rounding)."""
    config.setdefault("lr", 1e-2), config.setdefault("alpha", 0.99), config.setdefault("eps", 1e-8)
    average = config["alpha"] * config.get("square_avg", np.zeros_like(w)) + (1 - config["alpha"]) * dw * dw
    config["square_avg"] = average
    return w - config["lr"] / (np.sqrt(average) + config["eps"]) * dw, config


@pytest.mark.parametrize("config", [{"lr": 0.01, "alpha": 0.9}, {"lr": 0.02, "alpha": 0.9}, {"lr": 0.01, "alpha": 0.8},
                                    {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}])
def test_check_update_passes_a_right_optimizer_whatever_its_rounding(config, capsys):
    # Left to its own gradients, this RMSprop parts from torch's within 150 steps on all four
    # settings: near the minimum each step is about lr whatever the gradient, so a difference in
    # the last bit grows. check_update feeds both the gradients at the same fixed points (trajectories.glide).
    check_update(rmsprop_in_another_order, torch.optim.RMSprop, config)
    assert "matches torch.optim.RMSprop" in capsys.readouterr().out


def test_check_update_still_fails_a_wrong_optimizer():
    def rmsprop_accumulating(w, dw, config):
        config["square_avg"] = config.get("square_avg", np.zeros_like(w)) + (1 - config["alpha"]) * dw * dw
        return w - config["lr"] * dw / (np.sqrt(config["square_avg"]) + 1e-8), config

    with pytest.raises(CheckFailed, match="the paths part at step"):
        check_update(rmsprop_accumulating, torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9})


# --- failures keyed to what went wrong -------------------------------------------------------

def test_non_finite_and_wrong_finite_values_are_reported_in_one_message_with_their_places():
    z = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    expected = 1 / (1 + np.exp(-np.clip(z, -50, 50)))
    actual = expected.copy()
    actual[2] = np.nan  # overflowed at z = 0
    actual[[1, 3]] *= 2.0
    message = failure(actual, expected, name="sigmoid", inputs={"z": z},
                      hint={"nonfinite": "where is exp overflowing?", "values": "compare the formula"})
    assert message.startswith("✗ sigmoid: 1 of 5 values are NaN or infinite at index (2,) (z = 0): got nan"), message
    assert "also: 2 of 5 other values differ" in message, message
    assert "each is the expected value times 2" in message, message
    assert "at index (3,) (z = 1)" in message, message
    assert "hint: where is exp overflowing?" in message and "hint: compare the formula" in message, message


def test_a_hint_keyed_to_another_failure_is_not_shown():
    message = failure(np.array([np.inf, 0.5]), np.array([0.5, 0.5]), hint={"values": "a sign?"})
    assert "NaN or infinite" in message and "hint" not in message, message
    message = failure(np.array([-0.5, 0.5]), np.array([0.5, 0.5]), hint={"nonfinite": "overflow"})
    assert "hint" not in message, message
    with pytest.raises(ValueError, match="hint keys"):
        failure(np.array([1.0]), np.array([2.0]), hint={"nan": "x"})


def test_every_place_of_non_finite_values_is_listed_up_to_three():
    actual = np.zeros(6)
    actual[[0, 2, 4, 5]] = np.inf
    message = failure(actual, np.zeros(6), inputs={"z": np.arange(6.0)})
    assert ("where: at index (0,) (z = 0): got inf, expected 0; at index (2,) (z = 2): got inf, expected 0; "
            "at index (4,) (z = 4): got inf, expected 0; and 1 more") in message, message


@pytest.mark.parametrize("actual, words", [([-1.0, -2.0, 3.0], "opposite sign"),
                                           ([2.5, 3.5, 3.0], "the expected value +1.5"),
                                           ([1.0, 2.0, 3.5], "the other 2 values match")])
def test_what_the_wrong_values_have_in_common_is_said(actual, words):
    assert words in failure(np.array(actual), np.array([1.0, 2.0, 3.0])), words


def test_a_failed_check_renders_as_the_test_cells_line_and_the_message(capsys):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        result = shell.run_cell("import numpy as np\nfrom trainlab.checks import check_close\n"
                                "check_close(np.ones(2), np.zeros(2), name='loss')\n")
    finally:
        InteractiveShell.clear_instance()  # later tests run outside IPython again
    assert isinstance(result.error_in_exec, CheckFailed)
    shown = capsys.readouterr().out
    assert "Cell In[" in shown and "line 3:  check_close(np.ones(2), np.zeros(2), name='loss')" in shown, shown
    assert "✗ loss: 2 of 2 values differ" in shown, shown
    assert "checks.py" not in shown and "_fail" not in shown and "__tracebackhide__" not in shown, shown


def test_a_failed_check_is_still_an_error_output_for_nbgrader():
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from trainlab.checks import check_close\ncheck_close(1.0, 2.0, name='loss')")])
    NotebookClient(notebook, kernel_name="python3", allow_errors=True).execute()
    error, = [o for o in notebook.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "CheckFailed" and error.evalue.startswith("✗ loss: 1 of 1 values differ")
    text = "\n".join(error.traceback)
    assert "line 2:  check_close(1.0, 2.0, name='loss')" in text and "checks.py" not in text, text


def test_check_update_keys_a_callable_hint_to_the_step_where_the_paths_part():
    def adam_without_increment(w, dw, config):  # t stays at 1: right at step 1, wrong from step 2
        config["m"] = 0.9 * config.get("m", 0.0) + 0.1 * dw
        config["v"] = 0.999 * config.get("v", 0.0) + 0.001 * dw * dw
        m_hat, v_hat = config["m"] / 0.1, config["v"] / 0.001
        return w - config["lr"] * m_hat / (np.sqrt(v_hat) + 1e-8), config

    with pytest.raises(CheckFailed, match=r"part at step 2 .*\n  hint: keyed to step 2$"):
        check_update(adam_without_increment, torch.optim.Adam, {"lr": 0.05}, hint=lambda step: f"keyed to step {step}")


def test_topological_takes_any_order_with_parents_first_and_the_root_last():
    from trainlab.verdicts import topological
    graph = {"n": 4, "root": 3, "edges": np.array([[2, 0], [2, 1], [3, 2], [3, 2]])}   # 3 <- 2 <- (0, 1)
    assert topological(np.array([0, 1, 2, 3]), graph).ok and topological([1, 0, 2, 3], graph).ok
    assert "node 2 comes before its parent node 0" in topological([2, 0, 1, 3], graph).message
    assert "node 3 comes before its parent node 2" in topological([0, 1, 3, 2], graph).message
    assert "root must come last" in topological([0, 1, 3, 2], {**graph, "edges": np.array([[2, 0], [2, 1]])}).message
    assert "each of its 4 nodes once" in topological([0, 0, 2, 3], graph).message
    assert not topological([0, 1, 2, -1], graph).ok
