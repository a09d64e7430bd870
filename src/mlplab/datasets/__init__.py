"""Data: Fashion-MNIST, MNIST, scikit-learn's 8x8 digits, 2-D toy sets, and preprocessing.

::

    from mlplab import datasets
    data = datasets.fashion_mnist()              # x (60000, 784) float32 in [0, 1], y int64
    x_tr, y_tr, x_val, y_val = datasets.train_val_split(data.x_train, data.y_train, 0.1, rng=0)
    scaler = datasets.Standardizer().fit(x_tr)
    for idx in datasets.minibatches(len(x_tr), 300, rng=0):
        xb, yb = scaler.transform(x_tr[idx]), datasets.one_hot(y_tr[idx], 10)

See :mod:`.images` for where the IDX files are looked for and how to get them.
"""

from .idx import IDX_DTYPES, read_idx, write_idx
from .images import (
    CHECKSUMS,
    CLASS_NAMES,
    DATA_ENV_VAR,
    IDX_FILES,
    MIRRORS,
    Dataset,
    DownloadError,
    digits,
    download_dataset,
    fashion_mnist,
    find_dataset_dir,
    load_idx_dataset,
    mnist,
)
from .preprocessing import Standardizer, expand_by_shifts, minibatches, one_hot, standardize, train_val_split
from .standin import image_set, synthetic_dataset, synthetic_images
from .toy import blobs, circles, moons, noisy_xor, spirals, xor

__all__ = [
    "CHECKSUMS",
    "CLASS_NAMES",
    "DATA_ENV_VAR",
    "IDX_DTYPES",
    "IDX_FILES",
    "MIRRORS",
    "Dataset",
    "DownloadError",
    "Standardizer",
    "blobs",
    "circles",
    "digits",
    "download_dataset",
    "expand_by_shifts",
    "fashion_mnist",
    "find_dataset_dir",
    "image_set",
    "load_idx_dataset",
    "minibatches",
    "mnist",
    "moons",
    "noisy_xor",
    "one_hot",
    "read_idx",
    "spirals",
    "standardize",
    "synthetic_dataset",
    "synthetic_images",
    "train_val_split",
    "write_idx",
    "xor",
]
