"""The landscapes: analytic gradients agree with autograd, the minima are minima."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from trainlab.landscapes import LANDSCAPES

NAMES = list(LANDSCAPES)


def test_the_course_landscapes_are_there():
    assert {"rosenbrock", "beale", "saddle", "quadratic", "himmelblau"} <= set(LANDSCAPES)


@pytest.mark.parametrize("name, point, value", [
    ("rosenbrock", (0.0, 0.0), 1.0), ("rosenbrock", (-1.0, 2.0), 104.0),
    ("beale", (0.0, 0.0), 1.5**2 + 2.25**2 + 2.625**2), ("saddle", (1.0, 2.0), 1.0),
    ("quadratic", (2.0, 1.0), 14.5), ("himmelblau", (0.0, 0.0), 170.0),
])
def test_f_has_the_textbook_values(name, point, value):
    assert LANDSCAPES[name].f(*point) == pytest.approx(value, rel=1e-15)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(NAMES), u=st.floats(0, 1), v=st.floats(0, 1))
def test_gradient_equals_autograd(name, u, v):
    landscape = LANDSCAPES[name]
    (x0, x1), (y0, y1) = landscape.xlim, landscape.ylim
    w = np.array([x0 + u * (x1 - x0), y0 + v * (y1 - y0)])
    x, y = (torch.tensor(c, dtype=torch.float64, requires_grad=True) for c in w)
    landscape.f(x, y).backward()  # f is written with operators only, so it takes tensors too
    expected = np.array([x.grad.item(), y.grad.item()])
    actual = landscape.gradient(w)
    assert actual.shape == (2,) and actual.dtype == np.float64
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10 * (1 + np.abs(expected).max()))


@pytest.mark.parametrize("name", NAMES)
def test_minima_have_zero_gradient_and_the_lowest_value_on_a_fine_grid(name):
    landscape = LANDSCAPES[name]
    X, Y = np.meshgrid(np.linspace(*landscape.xlim, 801), np.linspace(*landscape.ylim, 801))
    lowest = landscape.f(X, Y).min()
    for m in landscape.minima:
        assert np.abs(landscape.gradient(np.array(m))).max() < 1e-9
        assert landscape.f(*m) <= lowest + 1e-12
        assert landscape.xlim[0] < m[0] < landscape.xlim[1] and landscape.ylim[0] < m[1] < landscape.ylim[1]
    assert landscape.f_min == min(landscape.f(*m) for m in landscape.minima)


def test_the_saddle_is_a_saddle():
    saddle = LANDSCAPES["saddle"]
    (point,) = saddle.saddles
    assert np.all(saddle.gradient(np.array(point)) == 0)
    assert saddle.f(0.1, 0.0) > saddle.f(*point) > saddle.f(0.0, 0.1)
    assert saddle.minima == ((0.0, np.sqrt(2)), (0.0, -np.sqrt(2)))
    assert saddle.f_min == pytest.approx(-1, rel=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_vectorised_f_equals_pointwise_f(name):
    landscape = LANDSCAPES[name]
    X, Y, Z = landscape.grid(7)
    assert Z.shape == (7, 7)
    assert all(Z[i, j] == landscape.f(float(X[i, j]), float(Y[i, j])) for i in range(7) for j in range(7))
    dX, dY = landscape.df(X, Y)
    assert all(np.array_equal(landscape.gradient(np.array([X[i, j], Y[i, j]])), [dX[i, j], dY[i, j]])
               for i in range(7) for j in range(7))


@pytest.mark.parametrize("name", NAMES)
def test_start_is_inside_and_levels_increase(name):
    landscape = LANDSCAPES[name]
    assert landscape.xlim[0] < landscape.start[0] < landscape.xlim[1]
    assert landscape.ylim[0] < landscape.start[1] < landscape.ylim[1]
    levels = landscape.levels()
    assert np.all(np.diff(levels) > 0) and levels[0] > 0


def test_loss_along_a_path_with_nan_is_quiet():
    path = np.array([[0.0, 0.0], [1e200, 1e200], [np.nan, np.nan]])
    with np.errstate(all="raise"):
        loss = LANDSCAPES["rosenbrock"].loss_along(path)
    assert loss[0] == 1.0 and np.isinf(loss[1]) and np.isnan(loss[2])
