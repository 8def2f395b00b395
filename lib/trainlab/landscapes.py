"""Two-dimensional loss landscapes for watching optimizers move.

Each :class:`Landscape` has a vectorised ``f(x, y)`` (scalars or meshgrid arrays; written with
arithmetic operators only, so it also takes torch tensors), its analytic partial derivatives
``df(x, y)``, the gradient ``gradient(w)`` in the course's convention (``w`` of shape (2,)), its
known minima, and the limits and start that make a good picture. ``LANDSCAPES`` holds them by name.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Landscape:
    """A function of two variables with its gradient, minima and plotting limits."""

    name: str
    formula: str  # LaTeX, for titles
    f: Callable  # f(x, y) -> value, elementwise on arrays
    df: Callable  # df(x, y) -> (df/dx, df/dy), elementwise on arrays
    minima: tuple  # known minimum points (x, y)
    xlim: tuple
    ylim: tuple
    start: tuple  # a start that makes an interesting race
    saddles: tuple = ()  # known saddle points (x, y)

    def gradient(self, w):
        """The gradient at ``w`` (2,) as an array (2,): the ``grad`` that ``follow`` takes."""
        return np.array(self.df(w[0], w[1]), dtype=np.float64)

    @property
    def f_min(self):
        """The lowest value of ``f``: its value at the best known minimum."""
        return min(self.f(*m) for m in self.minima)

    def loss_along(self, path):
        """``f`` at every point of ``path`` (T, 2): an array (T,), NaN where the path is NaN."""
        path = np.asarray(path, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            return self.f(path[:, 0], path[:, 1])

    def grid(self, n=200):
        """``X, Y, Z`` arrays (n, n) over the limits, for contour plots."""
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return X, Y, self.f(X, Y)

    def levels(self, n=15):
        """``n`` contour levels of ``f - f_min``, log-spaced: dense near the minima."""
        gap = self.grid()[2] - self.f_min
        return np.geomspace(max(np.quantile(gap, 0.002), 1e-3), np.quantile(gap, 0.98), n)


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosenbrock_df(x, y):
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


def _beale_terms(x, y):
    return 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3


def _beale(x, y):
    a, b, c = _beale_terms(x, y)
    return a**2 + b**2 + c**2


def _beale_df(x, y):
    a, b, c = _beale_terms(x, y)
    return (2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1),
            2 * a * x + 4 * b * x * y + 6 * c * x * y**2)


def _saddle(x, y):
    return x**2 - y**2 + y**4 / 4


def _saddle_df(x, y):
    return 2 * x, -2 * y + y**3


def _quadratic(x, y):
    return 0.5 * (x**2 + 25 * y**2)


def _quadratic_df(x, y):
    return x, 25 * y


def _himmelblau(x, y):
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_df(x, y):
    a, b = x**2 + y - 11, x + y**2 - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


ROSENBROCK = Landscape(
    "rosenbrock", r"$(1 - x)^2 + 100\,(y - x^2)^2$", _rosenbrock, _rosenbrock_df,
    minima=((1.0, 1.0),), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), start=(-1.2, 1.0))

BEALE = Landscape(
    "beale", r"$(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2$", _beale, _beale_df,
    minima=((3.0, 0.5),), xlim=(-4.5, 4.5), ylim=(-4.5, 4.5), start=(1.0, 1.5))

SADDLE = Landscape(
    "saddle", r"$x^2 - y^2 + y^4/4$", _saddle, _saddle_df,
    minima=((0.0, 2**0.5), (0.0, -(2**0.5))), xlim=(-2.5, 2.5), ylim=(-2.5, 2.5),
    start=(-2.0, 1e-3), saddles=((0.0, 0.0),))

QUADRATIC = Landscape(
    "quadratic", r"$\frac{1}{2}\,(x^2 + 25\,y^2)$", _quadratic, _quadratic_df,
    minima=((0.0, 0.0),), xlim=(-3.0, 3.0), ylim=(-3.0, 3.0), start=(-2.8, 1.0))

HIMMELBLAU = Landscape(
    "himmelblau", r"$(x^2 + y - 11)^2 + (x + y^2 - 7)^2$", _himmelblau, _himmelblau_df,
    minima=((3.0, 2.0), (-2.805118086952745, 3.131312518250573),
            (-3.779310253377747, -3.2831859912861696), (3.5844283403304917, -1.8481265269644034)),
    xlim=(-5.0, 5.0), ylim=(-5.0, 5.0), start=(-0.3, -0.9))

LANDSCAPES = {l.name: l for l in (ROSENBROCK, BEALE, SADDLE, QUADRATIC, HIMMELBLAU)}
