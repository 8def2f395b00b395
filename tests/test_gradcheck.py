"""Tests of trainlab.gradcheck: central differences against torch.autograd, and the choice of h.

Error budget of a central difference with step h on a function of magnitude M:
truncation h**2 |f'''| / 6 plus round-off about eps * M / h. At h = 1e-6 with the moderate
inputs below (|x| <= 2, at most 12 entries) that is about 1e-12 + 1e-9, so rtol = 1e-6 with
atol = 1e-7 * (1 + M) leaves a margin of about 100 and still catches a wrong formula.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from trainlab.gradcheck import numerical_gradient

FAST = settings(max_examples=50, deadline=None)

shapes = st.sampled_from([(1,), (2,), (5,), (12,), (1, 1), (2, 3), (3, 4)])
moderate = st.floats(-2.0, 2.0, allow_subnormal=False)


def arrays(shape=shapes):
    return hnp.arrays(np.float64, shape, elements=moderate)


def autograd(f_torch, x):
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(f_torch(t), t)
    return grad.numpy()


def assert_gradients_agree(numerical, exact, magnitude, rtol=1e-6, atol=1e-7):
    atol = atol * (1 + magnitude)
    error = np.abs(numerical - exact)
    bad = error > atol + rtol * np.abs(exact)
    assert not bad.any(), (
        f"numerical gradient differs from autograd at {np.argwhere(bad).tolist()}: "
        f"max |error| {error.max():.3g} (atol {atol:.3g}, rtol {rtol:g})\n"
        f"numerical={numerical!r}\nautograd={exact!r}")


# Each entry: a numpy function, the same function in torch, and the magnitude of the terms it sums.
FUNCTIONS = {
    "sum(sin(x) * x**2)": (lambda x: np.sum(np.sin(x) * x ** 2),
                           lambda t: torch.sum(torch.sin(t) * t ** 2),
                           lambda x: np.sum(x ** 2)),
    "logsumexp": (lambda x: np.log(np.sum(np.exp(x))),
                  lambda t: torch.logsumexp(t.reshape(-1), dim=0),
                  lambda x: np.sum(np.exp(x))),
    "sum(tanh(x) * exp(-x/2))": (lambda x: np.sum(np.tanh(x) * np.exp(-x / 2)),
                                 lambda t: torch.sum(torch.tanh(t) * torch.exp(-t / 2)),
                                 lambda x: np.sum(np.exp(-x / 2))),
}


@pytest.mark.parametrize("name", FUNCTIONS)
@FAST
@given(x=arrays())
def test_agrees_with_autograd(name, x):
    f, f_torch, magnitude = FUNCTIONS[name]
    assert_gradients_agree(numerical_gradient(f, x), autograd(f_torch, x), magnitude(x))


@FAST
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    arrays(n), hnp.arrays(np.float64, (n, n), elements=moderate))))
def test_quadratic_form_agrees_with_autograd(pair):
    x, A = pair
    numerical = numerical_gradient(lambda v: v @ A @ v, x)
    exact = autograd(lambda t: t @ torch.from_numpy(A) @ t, x)
    np.testing.assert_allclose(exact, (A + A.T) @ x, rtol=1e-12, atol=1e-12)
    assert_gradients_agree(numerical, exact, np.abs(x) @ np.abs(A) @ np.abs(x))


@FAST
@given(W=arrays(st.sampled_from([(1, 1), (2, 3), (3, 4), (3, 2)])), data=st.data())
def test_matrix_input_agrees_with_autograd(W, data):
    """f(W) = sum(tanh(W @ v)) + 0.5 * ||W||^2 for a fixed vector v: a layer's loss in its weights."""
    v = data.draw(arrays(W.shape[1:]), label="v")
    numerical = numerical_gradient(lambda M: np.sum(np.tanh(M @ v)) + 0.5 * np.sum(M ** 2), W)
    exact = autograd(lambda M: torch.sum(torch.tanh(M @ torch.from_numpy(v))) + 0.5 * torch.sum(M ** 2), W)
    assert numerical.shape == W.shape
    assert_gradients_agree(numerical, exact, W.shape[0] + np.sum(W ** 2))


@FAST
@given(x=arrays())
def test_does_not_modify_its_input_and_returns_float64_of_its_shape(x):
    original = x.copy()
    seen = []

    def f(v):
        seen.append(v.dtype)
        return np.sum(v ** 3)

    grad = numerical_gradient(f, x)
    np.testing.assert_array_equal(x, original, err_msg="numerical_gradient modified its input")
    assert grad.shape == x.shape
    assert grad.dtype == np.float64
    assert set(seen) == {np.dtype(np.float64)}


def test_float32_and_list_inputs_give_float64_gradients():
    x32 = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    grad = numerical_gradient(lambda v: np.sum(v ** 2), x32)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, 2 * x32.astype(np.float64), rtol=1e-8)
    assert x32.dtype == np.float32 and x32.tolist() == [0.5, -1.0, 2.0]
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v ** 2), [1.0, 3.0]), [2.0, 6.0], rtol=1e-8)


def test_scalar_input():
    grad = numerical_gradient(lambda v: float(np.sin(v)), np.float64(0.3))
    assert grad.shape == ()
    assert abs(grad - np.cos(0.3)) < 1e-9


@FAST
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    arrays(n), hnp.arrays(np.float64, (n, n), elements=moderate))))
def test_central_difference_is_exact_for_a_quadratic(pair):
    """(f(x + h e) - f(x - h e)) / 2h has no h**2 term for a quadratic: only round-off remains."""
    x, A = pair
    h = 1e-3
    numerical = numerical_gradient(lambda v: v @ A @ v, x, h=h)
    error = np.max(np.abs(numerical - (A + A.T) @ x))
    magnitude = 1 + np.abs(x) @ np.abs(A) @ np.abs(x)
    assert error < 1e-11 * magnitude, f"error {error:.3g} at h={h}: not exact up to round-off"
    assert error < 1e-3 * h ** 2  # far below the h**2 truncation error of a non-quadratic


def test_central_difference_of_a_cubic_is_off_by_exactly_h_squared():
    """((x + h)^3 - (x - h)^3) / 2h = 3x^2 + h^2: the truncation error the quadratic lacks."""
    x, h = np.array([-1.0, 0.5, 2.0]), 1e-3
    error = numerical_gradient(lambda v: np.sum(v ** 3), x, h=h) - 3 * x ** 2
    np.testing.assert_allclose(error, h ** 2, rtol=1e-4)


def test_step_size_trade_off_for_exp_at_one():
    """Too large a step: truncation error h**2 e / 6. Too small: round-off eps e / h."""
    x = np.array([1.0])

    def error(h):
        return abs(numerical_gradient(lambda v: np.exp(v[0]), x, h=h)[0] - np.e)

    good, large, tiny = error(1e-5), error(1e-1), error(1e-12)
    assert good < large and good < tiny, f"h=1e-5: {good:.2e}, h=1e-1: {large:.2e}, h=1e-12: {tiny:.2e}"
    assert good < 1e-9
    assert large == pytest.approx(np.e * 1e-2 / 6, rel=1e-2)  # the leading truncation term
