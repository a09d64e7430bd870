"""A short recipe on the real Fashion-MNIST beats 85% test accuracy (skipped when the data is absent)."""

import pytest

import mlplab
from mlplab.datasets import find_dataset_dir

pytestmark = pytest.mark.skipif(
    find_dataset_dir("fashion-mnist") is None,
    reason="Fashion-MNIST not found (install Debian's dataset-fashion-mnist, or set MLPLAB_DATA)",
)


@pytest.mark.slow
def test_short_recipe_beats_85_percent():
    data = mlplab.datasets.fashion_mnist()
    model = mlplab.Sequential(
        [
            mlplab.Standardize(784).fit(data.x_train),
            *mlplab.MLP([784, 128, 10], rng=0).layers,
        ]
    )
    trainer = mlplab.Trainer(model, lr=1e-3, batch_size=128, verbose=0, rng=1)
    trainer.fit(data.x_train, data.y_train, epochs=3)
    result = trainer.evaluate(data.x_test, data.y_test)
    assert result["accuracy"] > 0.85, result
