"""Parameter: value and gradient arrays, accumulation and in-place reset."""

import numpy as np
import pytest

from mlplab import Parameter


def test_grad_starts_as_zeros_of_same_shape_and_dtype():
    p = Parameter(np.ones((3, 2), dtype=np.float32))
    assert p.grad.shape == (3, 2) and p.grad.dtype == np.float32
    assert not p.grad.any()


def test_value_is_a_copy_and_integers_become_float():
    source = np.array([1, 2, 3])
    p = Parameter(source)
    p.value[0] = 10
    assert source[0] == 1
    assert p.dtype.kind == "f"


def test_add_grad_accumulates_and_zero_grad_resets_in_place():
    p = Parameter(np.zeros(3))
    grad_array = p.grad
    p.add_grad(np.array([1.0, 2.0, 3.0]))
    p.add_grad(np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(p.grad, [2.0, 3.0, 4.0])
    p.zero_grad()
    assert p.grad is grad_array
    np.testing.assert_array_equal(p.grad, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("shape", [(4, 3), (3,)])
def test_add_grad_matmul_writes_then_accumulates(shape):
    rng = np.random.default_rng(0)
    p = Parameter(np.zeros(shape))
    rows = 1 if len(shape) == 1 else shape[0]
    a, b = rng.normal(size=(rows, 5)), rng.normal(size=(5, shape[-1]))
    p.add_grad_matmul(a, b)
    np.testing.assert_allclose(p.grad, (a @ b).reshape(shape))
    p.add_grad_matmul(a, b)
    np.testing.assert_allclose(p.grad, 2 * (a @ b).reshape(shape))
    p.zero_grad()
    p.add_grad_matmul(a, b)
    np.testing.assert_allclose(p.grad, (a @ b).reshape(shape))


def test_repr_names_shape_and_dtype():
    assert repr(Parameter(np.zeros((2, 5), dtype=np.float32), name="W")) == (
        "Parameter(W, shape=(2, 5), dtype=float32)"
    )


# --------------------------------------------------------------------------- lazy zeroing


def test_zero_grad_then_backward_overwrites_without_reading_old_values():
    p = Parameter(np.zeros((2, 2)))
    p.add_grad(np.full((2, 2), 5.0))
    p.zero_grad()
    p.add_grad_matmul(np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(p.grad, [[1.0, 2.0], [3.0, 4.0]])


def test_grad_read_after_zero_grad_is_zero_and_then_accumulates():
    p = Parameter(np.zeros(3))
    p.add_grad(np.array([1.0, 2.0, 3.0]))
    p.zero_grad()
    assert not p.grad.any()
    p.add_grad(np.array([1.0, 1.0, 1.0]))
    p.add_grad(np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(p.grad, [2.0, 2.0, 2.0])


def test_wrap_shares_arrays_and_checks_shapes():
    value, grad = np.ones(4), np.zeros(4)
    p = Parameter.wrap(value, grad)
    assert p.value is value and p.grad is grad
    with pytest.raises(ValueError, match="differ"):
        Parameter.wrap(np.ones(4), np.zeros(3))
