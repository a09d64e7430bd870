"""Train a small MLP on three interleaved spirals with the engine's building blocks.

Every step of the loop is visible: forward, loss, backward, clipping, update,
learning-rate schedule. Run it with ``python examples/quickstart.py``.
"""

from __future__ import annotations

import time

import numpy as np

import mlplab


def spirals(n_per_class: int, n_classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points on ``n_classes`` noisy spiral arms in the plane, labelled by arm."""
    t = np.sqrt(rng.uniform(0.05, 1.0, size=(n_classes, n_per_class)))
    arm = np.arange(n_classes)[:, None]
    angle = 6.0 * t + 2 * np.pi * arm / n_classes + rng.normal(0, 0.3, size=t.shape)
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=-1).reshape(-1, 2)
    y = np.repeat(np.arange(n_classes), n_per_class)
    return x.astype(np.float32), y


def accuracy(model: mlplab.Sequential, x: np.ndarray, y: np.ndarray) -> float:
    return float((model.forward(x).argmax(axis=1) == y).mean())


def main() -> None:
    rng = np.random.default_rng(0)
    x, y = spirals(600, 3, rng)
    order = rng.permutation(len(y))
    train, val = order[:1500], order[1500:]

    model = mlplab.MLP([2, 64, 64, 3], activation="relu", rng=1)
    loss = mlplab.SoftmaxCrossEntropy()
    optimizer = mlplab.Adam(model.parameters(), lr=0.01)
    schedule = mlplab.ExponentialDecay(start=0.01, end=0.001, n=60)
    print(model.summary(), "\n")

    start = time.perf_counter()
    for epoch in range(60):
        schedule.apply(optimizer, epoch)
        batches = np.array_split(rng.permutation(train), len(train) // 50)
        total = 0.0
        for idx in batches:
            optimizer.zero_grad()
            total += loss.forward(model.forward(x[idx], training=True), y[idx])
            model.backward(loss.backward(), input_grad=False)
            mlplab.clip_grad_norm(model.parameters(), 5.0)
            optimizer.step()
        if epoch % 10 == 9:
            print(
                f"epoch {epoch + 1:3d}  lr {optimizer.lr:.4f}  loss {total / len(batches):.4f}  "
                f"train acc {accuracy(model, x[train], y[train]):.3f}  val acc {accuracy(model, x[val], y[val]):.3f}"
            )
    seconds = time.perf_counter() - start

    small = mlplab.MLP([2, 6, 3], activation="tanh", rng=2, dtype=np.float64)
    errors = mlplab.gradcheck(small, mlplab.SoftmaxCrossEntropy(), x[:8].astype(np.float64), y[:8])
    print("\nreport")
    print(f"  validation accuracy   {accuracy(model, x[val], y[val]):.3f}")
    print(f"  training time         {seconds:.1f} s")
    print(f"  worst gradient error  {max(errors.values()):.1e} (central differences, float64)")


if __name__ == "__main__":
    main()
