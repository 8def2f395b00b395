"""Tests of trainlab.data: the bundled data sets as documented, and the generated blobs."""

import sys

import numpy as np
import pytest
from sklearn import datasets as sk

from trainlab import data


def assert_standardised(X):
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-10, err_msg="column means are not 0")
    np.testing.assert_allclose(X.std(axis=0), 1.0, rtol=1e-10, err_msg="column stds are not 1")


def test_diabetes():
    X, y = data.diabetes()
    assert X.shape == (442, 10) and y.shape == (442,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert_standardised(X)
    raw_X, raw_y = sk.load_diabetes(return_X_y=True, scaled=False)
    np.testing.assert_array_equal(y, raw_y)
    # standardising keeps each column's information: an affine map of the raw column
    np.testing.assert_allclose(X, (raw_X - raw_X.mean(0)) / raw_X.std(0), atol=1e-8)


def test_breast_cancer():
    X, y = data.breast_cancer()
    assert X.shape == (569, 30) and y.shape == (569,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert_standardised(X)
    bunch = sk.load_breast_cancer()
    np.testing.assert_array_equal(y, bunch.target)
    # documented: 1 benign, 0 malignant
    assert list(bunch.target_names) == ["malignant", "benign"]
    assert np.bincount(y).tolist() == [212, 357]


def test_digits():
    X, y = data.digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    raw_X, raw_y = sk.load_digits(return_X_y=True)
    np.testing.assert_array_equal(y, raw_y)
    np.testing.assert_array_equal(X * 16, raw_X)
    assert sorted(set(y.tolist())) == list(range(10))


def test_zen_of_python_prints_nothing(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "this", raising=False)  # so that `import this` runs afresh
    text = data.zen_of_python()
    assert capsys.readouterr().out == ""
    assert "Beautiful is better than ugly." in text
    assert text.startswith("The Zen of Python, by Tim Peters")
    assert "Namespaces are one honking great idea" in text


def test_gaussian_blobs_is_deterministic_per_seed():
    X1, y1 = data.gaussian_blobs(seed=7)
    X2, y2 = data.gaussian_blobs(seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, y3 = data.gaussian_blobs(seed=8)
    assert not np.array_equal(X1, X3)
    assert not np.array_equal(y1, y3)


CENTERS = ((0.0, 5.0), (-4.0, -1.0), (3.0, 2.0))


def test_gaussian_blobs_shapes_and_balance():
    X, y = data.gaussian_blobs(n_per_class=40, centers=CENTERS, seed=1)
    assert X.shape == (120, 2) and y.shape == (120,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [40, 40, 40]
    assert not np.all(np.diff(y) >= 0), "the classes are not shuffled"


def test_gaussian_blobs_default_is_two_balanced_classes():
    X, y = data.gaussian_blobs()
    assert X.shape == (200, 2)
    assert np.bincount(y).tolist() == [100, 100]


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_gaussian_blobs_class_means_and_spread(scale):
    n = 4000
    X, y = data.gaussian_blobs(n_per_class=n, centers=CENTERS, scale=scale, seed=2)
    for label, center in enumerate(CENTERS):
        cloud = X[y == label]
        # the standard error of a mean is scale / sqrt(n) ~ 0.03 at most: allow 5 of them
        np.testing.assert_allclose(cloud.mean(axis=0), center, atol=5 * scale / np.sqrt(n),
                                   err_msg=f"class {label} is not centred at {center}")
        np.testing.assert_allclose(cloud.std(axis=0), scale, rtol=0.1,
                                   err_msg=f"class {label} has not spread {scale}")
