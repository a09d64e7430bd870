"""Tests of mlplab.datasets.images and .toy: finding, downloading and loading the image sets; toy sets.

Nothing here touches the network: the module's default opener is replaced by
one that fails, and downloads are served from files the tests write.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from mlplab import datasets
from mlplab.datasets import download, images
from mlplab.datasets.idx import write_idx

N_TRAIN, N_TEST = 20, 10
REAL_FASHION = Path("/usr/share/datasets/fashion-mnist")


def _no_network(url):
    raise AssertionError(f"a test tried to reach the network: {url}")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A fake HOME, no MLPLAB_DATA, an empty system folder and no network."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("MLPLAB_DATA", raising=False)
    monkeypatch.setattr(images, "SYSTEM_DATA_DIR", tmp_path / "system")
    monkeypatch.setattr(download, "urlopen", _no_network)
    return home


def make_idx_folder(folder, seed=0, gz=True, n_train=N_TRAIN, n_test=N_TEST, image_size=28, label_extra=0):
    """Write the four IDX files of a tiny MNIST-style set; return its arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    suffix = ".gz" if gz else ""
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, size=(n, image_size, image_size)).astype(np.uint8)
        y = (np.arange(n + label_extra) % 10).astype(np.uint8)
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", x)
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", y)
        arrays[split] = (x, y)
    return arrays


def assert_matches(data, arrays, name):
    assert data.name == name
    for split, x_, y_ in (("train", data.x_train, data.y_train), ("t10k", data.x_test, data.y_test)):
        x, y = arrays[split]
        assert x_.dtype == np.float32 and y_.dtype == np.int64
        assert x_.shape == (x.shape[0], 784)
        assert_allclose(x_, x.reshape(len(x), -1) / 255.0, rtol=1e-6)
        assert_array_equal(y_, y)
    assert data.image_shape == (28, 28)


# -- loading from a folder ------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_path_argument(tmp_path, gz):
    arrays = make_idx_folder(tmp_path / "fm", gz=gz)
    data = datasets.fashion_mnist(tmp_path / "fm")
    assert_matches(data, arrays, "fashion-mnist")
    assert data.class_names == (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    )
    assert data.n_classes == 10
    assert data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0


def test_mnist_from_mlplab_data_env_var(tmp_path, monkeypatch):
    arrays = make_idx_folder(tmp_path / "data" / "mnist", seed=1)
    monkeypatch.setenv("MLPLAB_DATA", str(tmp_path / "data"))
    data = datasets.mnist()
    assert_matches(data, arrays, "mnist")
    assert data.class_names == tuple("0123456789")


def test_fashion_mnist_from_home_cache(isolated):
    arrays = make_idx_folder(isolated / ".cache" / "mlplab" / "fashion-mnist", seed=2)
    assert datasets.find_dataset_dir("fashion-mnist") == isolated / ".cache" / "mlplab" / "fashion-mnist"
    assert_matches(datasets.fashion_mnist(), arrays, "fashion-mnist")


def test_system_folder_is_searched_last(tmp_path, isolated):
    make_idx_folder(tmp_path / "system" / "mnist", seed=3)
    assert datasets.find_dataset_dir("mnist") == tmp_path / "system" / "mnist"
    make_idx_folder(isolated / ".cache" / "mlplab" / "mnist", seed=4)
    assert datasets.find_dataset_dir("mnist") == isolated / ".cache" / "mlplab" / "mnist"


def test_env_var_comes_before_cache(tmp_path, isolated, monkeypatch):
    make_idx_folder(isolated / ".cache" / "mlplab" / "mnist", seed=5)
    env_arrays = make_idx_folder(tmp_path / "env" / "mnist", seed=6)
    monkeypatch.setenv("MLPLAB_DATA", str(tmp_path / "env"))
    assert_matches(datasets.mnist(), env_arrays, "mnist")


def test_path_argument_is_the_only_place_searched(tmp_path, isolated):
    make_idx_folder(isolated / ".cache" / "mlplab" / "mnist", seed=7)
    (tmp_path / "empty").mkdir()
    assert datasets.find_dataset_dir("mnist", tmp_path / "empty") is None
    with pytest.raises(FileNotFoundError) as info:
        datasets.mnist(tmp_path / "empty")
    message = str(info.value)
    assert str(tmp_path / "empty") in message and ".cache" not in message


def test_incomplete_folder_is_skipped_and_reported(tmp_path, isolated, monkeypatch):
    folder = tmp_path / "env" / "mnist"
    make_idx_folder(folder)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("MLPLAB_DATA", str(tmp_path / "env"))
    assert datasets.find_dataset_dir("mnist") is None
    with pytest.raises(FileNotFoundError, match="lacks t10k-labels-idx1-ubyte"):
        datasets.mnist()


def test_missing_fashion_mnist_message_lists_folders_and_remedies(tmp_path, isolated, monkeypatch):
    monkeypatch.setenv("MLPLAB_DATA", str(tmp_path / "env"))
    with pytest.raises(FileNotFoundError) as info:
        datasets.fashion_mnist()
    message = str(info.value)
    for folder in (
        tmp_path / "env" / "fashion-mnist",
        isolated / ".cache" / "mlplab" / "fashion-mnist",
        tmp_path / "system" / "fashion-mnist",
    ):
        assert str(folder) in message
    assert "sudo apt-get install dataset-fashion-mnist" in message
    assert "download=True" in message
    assert "MLPLAB_DATA" in message


def test_missing_mnist_message_has_no_apt_hint():
    with pytest.raises(FileNotFoundError) as info:
        datasets.mnist()
    assert "apt-get" not in str(info.value) and "mnist(download=True)" in str(info.value)


def test_image_and_label_count_mismatch(tmp_path):
    make_idx_folder(tmp_path / "m", label_extra=1)
    with pytest.raises(ValueError, match=r"holds 20 images but .*train-labels-idx1-ubyte\.gz holds 21 labels"):
        datasets.mnist(tmp_path / "m")


def test_label_out_of_range(tmp_path):
    make_idx_folder(tmp_path / "m")
    write_idx(tmp_path / "m" / "t10k-labels-idx1-ubyte.gz", np.full(N_TEST, 10, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"label 10 outside 0\.\.9"):
        datasets.mnist(tmp_path / "m")


def test_images_must_be_28_by_28(tmp_path):
    make_idx_folder(tmp_path / "m", image_size=27)
    with pytest.raises(ValueError, match=r"shape \(n, 28, 28\), got uint8 \(20, 27, 27\)"):
        datasets.fashion_mnist(tmp_path / "m")


def test_corrupt_file_error_names_it(tmp_path):
    make_idx_folder(tmp_path / "m")
    path = tmp_path / "m" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz"):
        datasets.mnist(tmp_path / "m")


def test_dataset_is_frozen_and_has_short_repr(tmp_path):
    make_idx_folder(tmp_path / "m")
    data = datasets.mnist(tmp_path / "m")
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.name = "other"
    assert repr(data) == "Dataset('mnist', train=(20, 784) float32, test=(10, 784), classes=10, image_shape=(28, 28))"


@pytest.mark.skipif(
    not all((REAL_FASHION / f"{b}.gz").is_file() for b in datasets.IDX_FILES),
    reason="real Fashion-MNIST not installed (sudo apt-get install dataset-fashion-mnist)",
)
def test_real_fashion_mnist():
    data = datasets.fashion_mnist(REAL_FASHION)
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert_array_equal(np.bincount(data.y_train), np.full(10, 6000))
    assert_array_equal(np.bincount(data.y_test), np.full(10, 1000))
    assert_array_equal(data.y_train[:5], [9, 0, 0, 3, 0])  # Ankle boot, T-shirt, T-shirt, Dress, T-shirt
    assert len(data.class_names) == 10


# -- downloading ----------------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Files of a tiny set under tmp_path/'src', with their MD5s patched into CHECKSUMS for both sets."""
    arrays = make_idx_folder(tmp_path / "src", seed=11)
    blobs = {p.name: p.read_bytes() for p in (tmp_path / "src").iterdir()}
    sums = {name: hashlib.md5(blob).hexdigest() for name, blob in blobs.items()}
    for name in ("mnist", "fashion-mnist"):
        monkeypatch.setitem(images.CHECKSUMS, name, sums)
    return arrays, blobs


class FakeOpener:
    """Serve ``{url: bytes}``; a missing URL is a network error. Records the URLs asked for."""

    def __init__(self, pages):
        self.pages, self.calls = pages, []

    def __call__(self, url):
        self.calls.append(url)
        if url not in self.pages:
            raise urllib.error.URLError(f"unreachable: {url}")
        return io.BytesIO(self.pages[url])


def test_download_into_home_cache_with_fake_opener(served, isolated, monkeypatch):
    arrays, blobs = served
    monkeypatch.setitem(images.MIRRORS, "mnist", ("https://a.example/mnist/", "https://b.example/m"))
    opener = FakeOpener({f"https://a.example/mnist/{n}": b for n, b in blobs.items()})
    monkeypatch.setattr(download, "urlopen", opener)
    data = datasets.mnist(download=True)
    assert_matches(data, arrays, "mnist")
    cache = isolated / ".cache" / "mlplab" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(blobs)  # no temporary files left
    assert sorted(opener.calls) == sorted(f"https://a.example/mnist/{n}" for n in blobs)
    opener.calls.clear()
    datasets.mnist(download=True)  # found in the cache now
    assert opener.calls == []


def test_download_falls_back_to_second_mirror(served, tmp_path):
    _, blobs = served
    opener = FakeOpener({f"https://b.example/m/{n}": b for n, b in blobs.items()})
    folder = datasets.download_dataset(
        "mnist", tmp_path / "dest", opener=opener, mirrors=["https://a.example/", "https://b.example/m/"]
    )
    assert folder == tmp_path / "dest"
    assert len(opener.calls) == 8 and opener.calls[0] == "https://a.example/train-images-idx3-ubyte.gz"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == blobs


def test_download_over_file_urls_with_urllib(served, tmp_path):
    arrays, _ = served
    mirror = (tmp_path / "src").as_uri() + "/"
    datasets.download_dataset("fashion-mnist", tmp_path / "dest", opener=urllib.request.urlopen, mirrors=[mirror])
    assert_matches(datasets.fashion_mnist(tmp_path / "dest"), arrays, "fashion-mnist")


def test_download_into_path_argument(served, tmp_path, monkeypatch):
    arrays, blobs = served
    monkeypatch.setitem(images.MIRRORS, "fashion-mnist", ("https://a.example/",))
    monkeypatch.setattr(download, "urlopen", FakeOpener({f"https://a.example/{n}": b for n, b in blobs.items()}))
    assert_matches(datasets.fashion_mnist(tmp_path / "mine", download=True), arrays, "fashion-mnist")
    assert (tmp_path / "mine" / "t10k-labels-idx1-ubyte.gz").is_file()


def test_corrupt_download_is_rejected_and_leaves_nothing(served, tmp_path):
    _, blobs = served
    corrupt = {n: b[:-1] + bytes([b[-1] ^ 1]) for n, b in blobs.items()}
    opener = FakeOpener({f"https://a.example/{n}": b for n, b in corrupt.items()})
    with pytest.raises(datasets.DownloadError, match="MD5 mismatch") as info:
        datasets.download_dataset("mnist", tmp_path / "dest", opener=opener, mirrors=["https://a.example/"])
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert list((tmp_path / "dest").iterdir()) == []


def test_corrupt_first_mirror_then_good_second(served, tmp_path):
    _, blobs = served
    pages = {f"https://a.example/{n}": b[: len(b) // 2] for n, b in blobs.items()}
    pages.update({f"https://b.example/{n}": b for n, b in blobs.items()})
    folder = datasets.download_dataset(
        "mnist", tmp_path / "dest", opener=FakeOpener(pages), mirrors=["https://a.example/", "https://b.example/"]
    )
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == blobs


def test_unreachable_mirrors_raise_download_error(served, tmp_path, monkeypatch):
    monkeypatch.setitem(images.MIRRORS, "mnist", ("https://a.example/", "https://b.example/"))
    monkeypatch.setattr(download, "urlopen", FakeOpener({}))
    with pytest.raises(datasets.DownloadError, match=r"(?s)a\.example.*unreachable.*b\.example.*unreachable"):
        datasets.mnist(download=True)


def test_published_checksums_and_mirrors_are_the_official_ones():
    assert images.CHECKSUMS["fashion-mnist"]["train-images-idx3-ubyte.gz"] == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert images.CHECKSUMS["mnist"]["t10k-labels-idx1-ubyte.gz"] == "ec29112dd5afa0611ce80d1b7f02629c"
    assert images.MIRRORS["mnist"][0].startswith("https://ossci-datasets.s3.amazonaws.com/mnist")
    assert all(len(s) == 4 for s in images.CHECKSUMS.values())


def test_unknown_download_name(tmp_path):
    with pytest.raises(ValueError, match="known: fashion-mnist, mnist"):
        datasets.download_dataset("cifar", tmp_path)


# -- scikit-learn digits --------------------------------------------------------------------------


def test_digits_shapes_range_and_stratification():
    data = datasets.digits()
    n_train, n_test = len(data.y_train), len(data.y_test)
    assert n_train + n_test == 1797 and data.x_train.shape == (n_train, 64) and data.x_test.shape == (n_test, 64)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert data.image_shape == (8, 8) and data.class_names == tuple("0123456789")
    per_class = np.bincount(data.y_train, minlength=10) + np.bincount(data.y_test, minlength=10)
    assert_array_equal(np.bincount(data.y_test, minlength=10), np.round(0.2 * per_class))


def test_digits_split_is_deterministic_per_seed():
    a, b, c = datasets.digits(seed=0), datasets.digits(seed=0), datasets.digits(seed=1)
    assert_array_equal(a.x_test, b.x_test)
    assert not np.array_equal(a.y_test, c.y_test)
    assert len(datasets.digits(test_fraction=0.5).y_test) == pytest.approx(1797 / 2, abs=10)


# -- toy sets -------------------------------------------------------------------------------------


def test_xor():
    x, y = datasets.xor()
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert_array_equal(y, np.logical_xor(x[:, 0], x[:, 1]))


TOYS = {
    "moons": (datasets.moons, {"n": 201}, 2),
    "circles": (datasets.circles, {"n": 201}, 2),
    "spirals": (datasets.spirals, {"n": 301, "classes": 3}, 3),
    "spirals5": (datasets.spirals, {"n": 50, "classes": 5}, 5),
}


@pytest.mark.parametrize("key", sorted(TOYS))
def test_toy_shapes_balance_and_determinism(key):
    make, kwargs, k = TOYS[key]
    x, y = make(**kwargs, rng=0)
    n = kwargs["n"]
    assert x.shape == (n, 2) and x.dtype == np.float32 and y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y)
    assert len(counts) == k and counts.max() - counts.min() <= 1 and counts.sum() == n
    x2, y2 = make(**kwargs, rng=np.random.default_rng(0))
    assert_array_equal(x, x2)
    assert_array_equal(y, y2)
    x3, _ = make(**kwargs, rng=1)
    assert not np.array_equal(x, x3)
    assert not np.all(np.diff(y) >= 0)  # rows are shuffled, not sorted by class


def test_circles_radius_relation():
    x, y = datasets.circles(n=100, noise=0.0, factor=0.3, rng=0)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert_allclose(radius[y == 0], 1.0, rtol=1e-6)
    assert_allclose(radius[y == 1], 0.3, rtol=1e-6)
    x, y = datasets.circles(n=4000, noise=0.05, factor=0.5, rng=0)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius[y == 0].mean() == pytest.approx(1.0, abs=0.01)
    assert radius[y == 1].mean() == pytest.approx(0.5, abs=0.01)


def test_moons_formula_without_noise():
    x, y = datasets.moons(n=60, noise=0.0, rng=0)
    upper, lower = x[y == 0].astype(np.float64), x[y == 1].astype(np.float64)
    assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-6)
    assert np.all(upper[:, 1] >= -1e-7)
    assert_allclose(np.hypot(1 - lower[:, 0], 0.5 - lower[:, 1]), 1.0, rtol=1e-6)
    assert np.all(lower[:, 1] <= 0.5 + 1e-7)


def test_spirals_formula_without_noise():
    k_classes = 3
    x, y = datasets.spirals(n=90, classes=k_classes, noise=0.0, rng=0)
    r = np.hypot(x[:, 0], x[:, 1]).astype(np.float64)
    theta = np.arctan2(x[:, 0], x[:, 1]).astype(np.float64)  # x = r sin(theta), y = r cos(theta)
    expected = 2 * math.pi * y / k_classes + 4 * r
    keep = r > 1e-3  # the angle of the centre point is undefined
    wrapped = np.angle(np.exp(1j * (theta[keep] - expected[keep])))
    assert_allclose(wrapped, 0.0, atol=1e-5)
    assert r.max() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: datasets.moons(n=0), "Invalid n"),
        (lambda: datasets.moons(noise=-0.1), "Invalid noise"),
        (lambda: datasets.circles(factor=1.0), "Invalid factor"),
        (lambda: datasets.spirals(n=2, classes=3), "at least one point per class"),
        (lambda: datasets.spirals(rng="seed"), "rng must be"),
    ],
)
def test_toy_arguments_are_validated(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_noisy_xor_and_blobs():
    from mlplab.datasets import blobs, noisy_xor

    x, y = noisy_xor(400, noise=0.0, rng=0)
    assert x.shape == (400, 2) and x.dtype == np.float32 and np.bincount(y).tolist() == [200, 200]
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))  # the XOR of the signs
    x, y = blobs(301, noise=0.0, rng=1)
    assert np.bincount(y).tolist() == [151, 150] and set(map(tuple, x[y == 0])) == {(-1.0, -1.0)}
    a, _ = blobs(50, noise=0.3, rng=2)
    b, _ = blobs(50, noise=0.3, rng=2)
    np.testing.assert_array_equal(a, b)
