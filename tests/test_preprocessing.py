"""Tests of mlplab.datasets.preprocessing: one-hot, standardization, splits, mini-batches, shifts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mlplab.datasets import Standardizer, expand_by_shifts, minibatches, one_hot, standardize, train_val_split

# -- one_hot --------------------------------------------------------------------------------------


def test_one_hot_by_hand():
    assert_array_equal(one_hot([2, 0, 1, 2]), [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    out = one_hot(np.array([1, 3], dtype=np.uint8), n_classes=5)
    assert out.dtype == np.float32 and out.shape == (2, 5)
    assert_array_equal(out.argmax(axis=1), [1, 3])
    assert_array_equal(out.sum(axis=1), [1, 1])


def test_one_hot_accepts_whole_floats():
    assert_array_equal(one_hot(np.array([0.0, 1.0])), [[1, 0], [0, 1]])


@pytest.mark.parametrize(
    "y, n_classes, message",
    [
        ([0, -1, 2], None, "negative label -1"),
        ([0, 3], 3, r"label 3 outside the valid range \[0, 2\]"),
        ([0.5, 1.0], None, "integer class labels"),
        ([[0, 1]], None, "1-D array"),
        ([], None, "needs n_classes"),
        ([0, 1], 0, "Invalid n_classes"),
    ],
)
def test_one_hot_rejects_bad_labels(y, n_classes, message):
    with pytest.raises(ValueError, match=message):
        one_hot(y, n_classes)


# -- Standardizer ---------------------------------------------------------------------------------


def _data(seed=0, n=500):
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=[3.0, -2.0, 100.0, 0.0], scale=[0.5, 4.0, 20.0, 1.0], size=(n, 4))
    x[:, 3] = 7.0  # a constant column, like a border pixel
    return x


def test_standardizer_gives_zero_mean_unit_std():
    x = _data()
    s = Standardizer().fit(x)
    z = s.transform(x)
    assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    assert_allclose(z[:, :3].std(axis=0), 1.0, rtol=1e-12)
    assert_allclose(s.mean_, x.mean(axis=0))
    assert_allclose(s.std_[:3], x[:, :3].std(axis=0))


def test_constant_column_is_safe():
    x = _data()
    s = Standardizer().fit(x)
    assert s.std_[3] == 1.0
    z = s.transform(x)
    assert np.all(np.isfinite(z)) and np.all(z[:, 3] == 0.0)
    # float32 pixels that are constant at a value with no exact binary form
    pix = np.full((1000, 2), 0.1, dtype=np.float32)
    pix[:, 1] = np.linspace(0, 1, 1000)
    zp = Standardizer().fit_transform(pix)
    assert zp.dtype == np.float32 and np.all(np.abs(zp[:, 0]) < 1e-6)


def test_test_data_uses_training_statistics():
    x_train, x_test = _data(0), _data(1, n=50)
    s = Standardizer().fit(x_train)
    assert_allclose(s.transform(x_test), (x_test - s.mean_) / s.std_)
    assert_allclose(s.inverse_transform(s.transform(x_test)), x_test)


def test_dict_round_trip_through_json():
    x = _data()
    s = Standardizer(eps=1e-6).fit(x)
    state = json.loads(json.dumps(s.to_dict()))
    assert isinstance(state["mean"], list) and isinstance(state["std"], list)
    t = Standardizer.from_dict(state)
    assert t.eps == 1e-6
    assert_array_equal(t.transform(x), s.transform(x))


def test_standardizer_errors_and_dtypes():
    with pytest.raises(RuntimeError, match="not fitted"):
        Standardizer().transform(np.zeros((2, 2)))
    s = Standardizer().fit(np.arange(12).reshape(4, 3))
    assert s.transform(np.arange(6).reshape(2, 3)).dtype == np.float32  # integers become float32
    assert s.transform(np.zeros((1, 3))).dtype == np.float64
    with pytest.raises(ValueError, match="x has 4 features, but the Standardizer was fitted on 3"):
        s.transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="2-D"):
        Standardizer().fit(np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        Standardizer().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="lacks the key 'std'"):
        Standardizer.from_dict({"mean": [0.0]})
    with pytest.raises(ValueError, match="std finite and > 0"):
        Standardizer.from_dict({"mean": [0.0], "std": [0.0]})
    assert "n_features=3" in repr(s)


def test_standardize_convenience():
    x = _data()
    assert_array_equal(standardize(x), Standardizer().fit_transform(x))


# -- train_val_split ------------------------------------------------------------------------------


def _labelled(counts=(50, 30, 20)):
    y = np.concatenate([np.full(c, k) for k, c in enumerate(counts)])
    x = np.arange(len(y) * 2, dtype=np.float32).reshape(-1, 2)  # row i is (2i, 2i+1): an id
    return x, y


def test_stratified_split_keeps_class_proportions():
    x, y = _labelled()
    x_tr, y_tr, x_val, y_val = train_val_split(x, y, 0.2, rng=0)
    assert_array_equal(np.bincount(y_val), [10, 6, 4])
    assert_array_equal(np.bincount(y_tr), [40, 24, 16])
    ids = np.concatenate([x_tr[:, 0], x_val[:, 0]]) / 2
    assert_array_equal(np.sort(ids), np.arange(100))  # a partition of the samples
    assert_array_equal(y[(x_val[:, 0] / 2).astype(int)], y_val)  # rows keep their labels
    assert not np.all(np.diff(y_tr) >= 0)  # shuffled, not sorted by class


def test_split_is_deterministic_for_a_seed():
    x, y = _labelled()
    a, b, c = (train_val_split(x, y, 0.3, rng=s) for s in (5, 5, 6))
    for u, v in zip(a, b, strict=True):
        assert_array_equal(u, v)
    assert not np.array_equal(a[2], c[2])


def test_unstratified_split_and_one_hot_targets():
    x, y = _labelled()
    _, _, x_val, _ = train_val_split(x, y, 0.25, rng=0, stratify=False)
    assert len(x_val) == 25
    _, y_tr, _, y_val = train_val_split(x, one_hot(y), 0.2, rng=0)
    assert y_val.shape == (20, 3) and y_tr.shape == (80, 3)
    assert_array_equal(y_val.sum(axis=0), [10, 6, 4])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"val_fraction": 0.0}, "Invalid val_fraction"),
        ({"val_fraction": 1.0}, "Invalid val_fraction"),
        ({"val_fraction": 0.001}, "validation set empty"),
    ],
)
def test_split_validation(kwargs, message):
    x, y = _labelled()
    with pytest.raises(ValueError, match=message):
        train_val_split(x, y, **kwargs, rng=0)


def test_split_length_mismatch():
    with pytest.raises(ValueError, match="same number of samples"):
        train_val_split(np.zeros((5, 2)), np.zeros(4, dtype=int))


# -- minibatches ----------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size, sizes", [(1, [1] * 20), (7, [7, 7, 6]), (None, [20]), (50, [20])])
def test_minibatches_cover_every_index_once(batch_size, sizes):
    batches = list(minibatches(20, batch_size, rng=0))
    assert [len(b) for b in batches] == sizes
    assert_array_equal(np.sort(np.concatenate(batches)), np.arange(20))


def test_minibatches_shuffle_is_seeded():
    a = np.concatenate(list(minibatches(30, 7, rng=3)))
    b = np.concatenate(list(minibatches(30, 7, rng=3)))
    assert_array_equal(a, b)
    assert not np.array_equal(a, np.arange(30))
    gen = np.random.default_rng(0)
    epoch1, epoch2 = (np.concatenate(list(minibatches(30, 7, rng=gen))) for _ in range(2))
    assert not np.array_equal(epoch1, epoch2)  # one Generator gives a new order each epoch


def test_minibatches_without_shuffle_are_in_order():
    assert [b.tolist() for b in minibatches(5, 2, shuffle=False)] == [[0, 1], [2, 3], [4]]


def test_minibatches_validate_eagerly():
    with pytest.raises(ValueError, match="Invalid batch_size"):
        minibatches(10, 0)  # raised at the call, before iterating
    with pytest.raises(ValueError, match="Invalid n"):
        minibatches(0, 3)


# -- expand_by_shifts -----------------------------------------------------------------------------

IMAGE = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=np.float32)


def test_expand_by_shifts_on_a_3x3_image_by_hand():
    x = np.stack([IMAGE.ravel(), 10 * IMAGE.ravel()])
    y = np.array([4, 7])
    x_big, y_big = expand_by_shifts(x, y, (3, 3))
    assert x_big.shape == (10, 9) and x_big.dtype == np.float32
    assert_array_equal(y_big, [4, 7] * 5)
    expected = [
        IMAGE,
        [[0, 1, 2], [0, 4, 5], [0, 7, 8]],  # (0, 1): one column right
        [[2, 3, 0], [5, 6, 0], [8, 9, 0]],  # (0, -1): one column left
        [[0, 0, 0], [1, 2, 3], [4, 5, 6]],  # (1, 0): one row down
        [[4, 5, 6], [7, 8, 9], [0, 0, 0]],  # (-1, 0): one row up
    ]
    for block, want in enumerate(expected):
        assert_array_equal(x_big[2 * block].reshape(3, 3), want)
        assert_array_equal(x_big[2 * block + 1].reshape(3, 3), 10 * np.asarray(want))


def test_expand_by_shifts_keeps_stacked_layout_and_custom_shifts():
    x = IMAGE[None]
    x_big, y_big = expand_by_shifts(x, np.array([1]), (3, 3), shifts=[(1, 1), (-2, 0)])
    assert x_big.shape == (3, 3, 3)
    assert_array_equal(x_big[1], [[0, 0, 0], [0, 1, 2], [0, 4, 5]])
    assert_array_equal(x_big[2], [[7, 8, 9], [0, 0, 0], [0, 0, 0]])
    assert_array_equal(y_big, [1, 1, 1])


def test_expand_by_shifts_validation():
    with pytest.raises(ValueError, match="entirely out of frame"):
        expand_by_shifts(IMAGE[None], [0], (3, 3), shifts=[(3, 0)])
    with pytest.raises(ValueError, match=r"shape \(n, 9\) or \(n, 3, 3\)"):
        expand_by_shifts(np.zeros((1, 8)), [0], (3, 3))
    with pytest.raises(ValueError, match="same number of samples"):
        expand_by_shifts(np.zeros((2, 9)), [0], (3, 3))
