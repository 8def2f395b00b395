"""Numerical gradients by central differences."""

import numpy as np


def numerical_gradient(f, x, h=1e-6):
    """Central-difference gradient of a scalar function.

    f: callable taking an array shaped like ``x`` and returning a scalar.
    x: array of any shape (it is not modified).
    h: step; the error is O(h**2) from truncation plus O(eps / h) from round-off.

    Returns an array of x's shape (float64): grad[i] = (f(x + h e_i) - f(x - h e_i)) / 2h.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        f_plus = float(f(x))
        x[i] = saved - h
        f_minus = float(f(x))
        x[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
