"""Nielsen's API: the book's update rule step for step, its printed lines and lists, its JSON files, its data layout."""

import json

import numpy as np
import pytest

from mlplab.datasets import find_dataset_dir
from mlplab.nielsen import mnist_loader, network, network2


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def book_backprop(weights, biases, x, y, cross_entropy):
    """The book's ``backprop`` for one sample, written out as in chapter 2 (column vectors)."""
    activation, activations, zs = x, [x], []
    for w, b in zip(weights, biases):
        z = w @ activation + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    delta = activations[-1] - y
    if not cross_entropy:
        delta = delta * sigmoid(zs[-1]) * (1 - sigmoid(zs[-1]))
    nabla_b, nabla_w = [delta], [delta @ activations[-2].T]
    for layer in range(2, len(weights) + 1):
        sp = sigmoid(zs[-layer]) * (1 - sigmoid(zs[-layer]))
        delta = (weights[-layer + 1].T @ delta) * sp
        nabla_b.insert(0, delta)
        nabla_w.insert(0, delta @ activations[-layer - 1].T)
    return nabla_b, nabla_w


def book_update(weights, biases, mini_batch, eta, lmbda, n, cross_entropy):
    """The book's ``update_mini_batch``: a Python loop over the samples, then one step."""
    nabla_b = [np.zeros_like(b) for b in biases]
    nabla_w = [np.zeros_like(w) for w in weights]
    for x, y in mini_batch:
        db, dw = book_backprop(weights, biases, x, y, cross_entropy)
        nabla_b = [nb + d for nb, d in zip(nabla_b, db)]
        nabla_w = [nw + d for nw, d in zip(nabla_w, dw)]
    m = len(mini_batch)
    weights = [(1 - eta * lmbda / n) * w - (eta / m) * nw for w, nw in zip(weights, nabla_w)]
    biases = [b - (eta / m) * nb for b, nb in zip(biases, nabla_b)]
    return weights, biases


def tiny_data(n=12, sizes=(6, 5, 4, 3), seed=0):
    rng = np.random.default_rng(seed)
    return [
        (rng.random((sizes[0], 1)), network2.vectorized_result(int(rng.integers(sizes[-1])), sizes[-1]))
        for _ in range(n)
    ]


@pytest.mark.parametrize(
    "cost, lmbda", [(network2.QuadraticCost, 0.0), (network2.CrossEntropyCost, 0.0), (network2.CrossEntropyCost, 5.0)]
)
def test_one_vectorized_mini_batch_step_is_the_books_per_sample_loop(cost, lmbda):
    sizes = [6, 5, 4, 3]
    net = network2.Network(sizes, cost=cost, rng=1)
    batch = tiny_data()
    expected_w, expected_b = book_update(
        [w.copy() for w in net.weights],
        [b.copy() for b in net.biases],
        batch,
        eta=0.7,
        lmbda=lmbda,
        n=40,
        cross_entropy=cost is network2.CrossEntropyCost,
    )
    net.update_mini_batch(batch, 0.7, lmbda, 40)
    for ours, theirs in zip(net.weights + net.biases, expected_w + expected_b):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_backprop_is_the_books_for_one_sample():
    net = network.Network([6, 5, 3], rng=2)
    x, y = tiny_data(1, (6, 5, 3))[0]
    nabla_b, nabla_w = net.backprop(x, y)
    book_b, book_w = book_backprop(net.weights, net.biases, x, y, cross_entropy=False)
    for ours, theirs in zip(nabla_b + nabla_w, book_b + book_w):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(
        net.feedforward(x), sigmoid(net.weights[1] @ sigmoid(net.weights[0] @ x + net.biases[0]) + net.biases[1])
    )


def test_the_initializers_follow_the_book():
    wide = network2.Network([400, 300, 10], rng=0)
    assert np.std(wide.weights[0]) == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert np.std(wide.biases[0]) == pytest.approx(1.0, rel=0.1)
    wide.large_weight_initializer()
    assert np.std(wide.weights[0]) == pytest.approx(1.0, rel=0.02)
    assert np.std(network.Network([400, 300, 10], rng=0).weights[0]) == pytest.approx(1.0, rel=0.02)
    assert [w.shape for w in wide.weights] == [(300, 400), (10, 300)] and [b.shape for b in wide.biases] == [
        (300, 1),
        (10, 1),
    ]


def test_sgd_prints_and_returns_what_the_book_does(capsys):
    data = tiny_data(40)
    evaluation = [(x, int(np.argmax(y))) for x, y in tiny_data(10, seed=1)]
    net = network2.Network([6, 5, 4, 3], rng=0)
    lists = net.SGD(
        data,
        3,
        10,
        0.5,
        lmbda=0.1,
        evaluation_data=evaluation,
        monitor_evaluation_cost=True,
        monitor_evaluation_accuracy=True,
        monitor_training_cost=True,
        monitor_training_accuracy=True,
    )
    evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = lists
    assert [len(values) for values in lists] == [3, 3, 3, 3]
    assert evaluation_accuracy[-1] == net.accuracy(evaluation) and training_accuracy[-1] == net.accuracy(
        data, convert=True
    )
    assert training_cost[-1] == pytest.approx(net.total_cost(data, 0.1))
    out = capsys.readouterr().out
    assert "Epoch 2 training complete" in out and f"Accuracy on evaluation data: {evaluation_accuracy[-1]} / 10" in out
    assert f"Cost on training data: {training_cost[0]}" in out
    net1 = network.Network([6, 5, 3], rng=0)
    net1.SGD(
        tiny_data(20, (6, 5, 3)), 2, 5, 3.0, test_data=[(x, int(np.argmax(y))) for x, y in tiny_data(8, (6, 5, 3))]
    )
    assert capsys.readouterr().out.splitlines()[-1].startswith("Epoch 1 : ")
    assert net1.evaluate([]) == 0


def test_total_cost_is_the_books_formula():
    net = network2.Network([6, 5, 3], rng=0)
    data = tiny_data(9, (6, 5, 3))
    by_hand = sum(network2.CrossEntropyCost.fn(net.feedforward(x), y) for x, y in data) / 9
    by_hand += 0.5 * (2.0 / 9) * sum(np.linalg.norm(w) ** 2 for w in net.weights)
    assert net.total_cost(data, 2.0) == pytest.approx(by_hand, rel=1e-12)


def test_early_stopping_n_stops_when_accuracy_stalls():
    data = tiny_data(30)
    evaluation = [(x, 0) for x, _ in tiny_data(5, seed=3)]
    net = network2.Network([6, 5, 4, 3], rng=0)
    _, accuracy, _, _ = net.SGD(
        data, 50, 10, 1e-12, evaluation_data=evaluation, monitor_evaluation_accuracy=True, early_stopping_n=3
    )
    assert len(accuracy) == 4  # nothing learns: the first epoch sets the best, three more without improvement


def test_save_writes_the_books_json_and_load_reads_it(tmp_path):
    net = network2.Network([6, 5, 3], cost=network2.QuadraticCost, rng=0)
    path = tmp_path / "net.json"
    net.save(path)
    saved = json.loads(path.read_text())
    assert saved["sizes"] == [6, 5, 3] and saved["cost"] == "QuadraticCost"
    weights = [np.array(w) for w in saved["weights"]]  # the book's load, by hand
    assert [w.shape for w in weights] == [(5, 6), (3, 5)] and np.array(saved["biases"][0]).shape == (5, 1)
    again = network2.load(path)
    assert again.cost is network2.QuadraticCost
    x = tiny_data(1, (6, 5, 3))[0][0]
    np.testing.assert_array_equal(again.feedforward(x), net.feedforward(x))


def test_load_reads_a_file_the_book_wrote(tmp_path):
    rng = np.random.default_rng(0)
    weights, biases = (
        [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))],
        [rng.normal(size=(4, 1)), rng.normal(size=(2, 1))],
    )
    path = tmp_path / "book.json"
    with open(path, "w") as f:  # what network2.Network.save writes in the book
        json.dump(
            {
                "sizes": [3, 4, 2],
                "weights": [w.tolist() for w in weights],
                "biases": [b.tolist() for b in biases],
                "cost": str(network2.CrossEntropyCost.__name__),
            },
            f,
        )
    net = network2.load(path)
    x = rng.random((3, 1))
    np.testing.assert_allclose(
        net.feedforward(x), sigmoid(weights[1] @ sigmoid(weights[0] @ x + biases[0]) + biases[1])
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (
            {"sizes": [2, 1], "weights": [[[0.0, 0.0]]], "biases": [[[0.0]]], "cost": "os.system"},
            "unknown cost 'os.system'",
        ),
        ({"sizes": [2, 1], "weights": [[[0.0]]], "biases": [[[0.0]]], "cost": "QuadraticCost"}, "shapes do not match"),
        ({"sizes": [2, 1]}, "lacks biases, cost, weights"),
    ],
)
def test_a_bad_file_gets_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match=message):
        network2.load(path)


@pytest.mark.slow
@pytest.mark.skipif(
    find_dataset_dir("fashion-mnist") is None, reason="Fashion-MNIST not found (install dataset-fashion-mnist)"
)
def test_the_books_chapter_1_script_on_fashion_mnist(capsys):
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper("fashion-mnist")
    assert (len(training_data), len(validation_data), len(test_data)) == (50000, 10000, 10000)
    x, y = training_data[0]
    assert x.shape == (784, 1) and y.shape == (10, 1) and y.sum() == 1.0 and isinstance(validation_data[0][1], int)
    net = network.Network([784, 30, 10], rng=0)
    net.SGD(training_data[:10000], 2, 10, 3.0, test_data=test_data[:2000])
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("Epoch 1 : ") and int(last.split()[3]) > 1300  # above 65% after two epochs on 10,000 images


@pytest.mark.skipif(
    find_dataset_dir("fashion-mnist") is None, reason="Fashion-MNIST not found (install dataset-fashion-mnist)"
)
def test_the_books_chapter_3_session_on_fashion_mnist(capsys, tmp_path):
    """Chapter 3's session (``large_weight_initializer``, monitoring, L2 on a 1,000-image subset, ``save``)."""
    training_data, validation_data, test_data = mnist_loader.load_data_wrapper("fashion-mnist")
    net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost, rng=0)
    net.large_weight_initializer()
    evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = net.SGD(
        training_data[:1000],
        3,
        10,
        0.5,
        evaluation_data=test_data[:1000],
        lmbda=0.1,
        monitor_evaluation_cost=True,
        monitor_evaluation_accuracy=True,
        monitor_training_cost=True,
        monitor_training_accuracy=True,
    )
    assert len(evaluation_accuracy) == 3 and training_accuracy[-1] > 600 and evaluation_accuracy[-1] > 500
    assert training_cost[-1] < training_cost[0]
    net.save(tmp_path / "net.json")
    assert network2.load(tmp_path / "net.json").accuracy(test_data[:1000]) == evaluation_accuracy[-1]
    assert "Accuracy on evaluation data:" in capsys.readouterr().out
