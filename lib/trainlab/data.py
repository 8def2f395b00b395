"""Offline data sets: the small real ones scikit-learn ships, and generated ones.

Nothing is downloaded. Features come standardised (zero mean, unit variance per
column) so that the models of the course train with plain learning rates.
"""

import codecs
import contextlib
import io

import numpy as np


def standardize(X):
    """(N, D) -> (N, D) with every column at mean 0 and standard deviation 1."""
    return (X - X.mean(axis=0)) / X.std(axis=0)


def diabetes():
    """Regression: 442 patients, 10 features -> disease progression after a year.

    Returns X (442, 10) float64 standardised, y (442,) float64.
    """
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    return standardize(X), y.astype(np.float64)


def breast_cancer():
    """Binary classification: 569 tumours, 30 features -> 1 benign, 0 malignant.

    Returns X (569, 30) float64 standardised, y (569,) int64.
    """
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return standardize(X), y.astype(np.int64)


def digits():
    """Ten classes: 1797 handwritten digits as 8x8 grey images -> the digit 0-9.

    Returns X (1797, 64) float64 with pixels already scaled from scikit-learn's 0..16 to [0, 1]
    (do not divide by 16 again), y (1797,) int64.
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y.astype(np.int64)


def zen_of_python():
    """The Zen of Python (``import this``) as one string: a small text to model."""
    with contextlib.redirect_stdout(io.StringIO()):  # importing `this` prints the poem
        import this
    return codecs.decode(this.s, "rot13")


def gaussian_blobs(n_per_class=100, centers=((-2.0, 0.0), (2.0, 0.0)), scale=1.0, seed=0):
    """Generated classification data: one isotropic Gaussian cloud per class centre.

    Returns X (n_per_class * C, D) float64 and y (n_per_class * C,) int64, shuffled.
    """
    rng = np.random.default_rng(seed)
    centers = np.asarray(centers, dtype=np.float64)
    X = np.concatenate([c + scale * rng.standard_normal((n_per_class, centers.shape[1]))
                        for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]
