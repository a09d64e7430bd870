"""Packing: parameters moved into one flat array, and the flat span an optimizer updates."""

import numpy as np

from mlplab import MLP, Parameter
from mlplab.packing import contiguous_span, pack


def _named(*arrays):
    names = ["0.W", "0.b", "2.W", "2.b"]
    return [(name, Parameter(a)) for name, a in zip(names, arrays)]


def test_pack_keeps_values_and_gradients_and_puts_weights_first():
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(2, 4)), rng.normal(size=4)]
    named = _named(*arrays)
    named[2][1].add_grad(np.full((2, 4), 7.0))
    packed = pack(named)
    assert packed is not None and packed.shape == (6 + 2 + 8 + 4,)
    for (_, p), a in zip(named, arrays):
        np.testing.assert_array_equal(p.value, a)
        assert p.value.base is packed and p.value.shape == a.shape
    np.testing.assert_array_equal(named[2][1].grad, 7.0)
    np.testing.assert_array_equal(packed[:6], arrays[0].ravel())  # 0.W
    np.testing.assert_array_equal(packed[6:14], arrays[2].ravel())  # 2.W, before any bias
    named[0][1].value[...] = 1.0
    np.testing.assert_array_equal(packed[:6], 1.0)


def test_pack_refuses_mixed_dtypes_duplicates_and_single_parameters():
    mixed = [("W", Parameter(np.ones(2, dtype=np.float32))), ("b", Parameter(np.ones(2)))]
    assert pack(mixed) is None and mixed[0][1].value.base is None
    p = Parameter(np.ones(2))
    assert pack([("W", p), ("W", p)]) is None
    assert pack([("W", Parameter(np.ones(2)))]) is None


def test_contiguous_span_covers_packed_parameters_in_any_order():
    named = _named(np.ones((3, 2)), np.ones(2), np.ones((2, 4)), np.ones(4))
    pack(named)
    params = [p for _, p in named]
    span, offsets = contiguous_span(params[::-1])
    assert span.value.size == 20 and offsets == [16, 6, 14, 0]  # 0.W, 2.W, 0.b, 2.b in memory
    weights, offsets = contiguous_span([params[2], params[0]])
    assert weights.value.size == 14 and offsets == [6, 0]
    assert contiguous_span([params[0], params[3]]) is None  # a gap: 2.W lies between
    assert contiguous_span([params[0]]) is None
    assert contiguous_span([Parameter(np.ones(2)), Parameter(np.ones(2))]) is None


def test_a_model_packs_its_parameters():
    model = MLP([4, 3, 2], rng=0)
    values = [p.value for p in model.parameters()]
    assert len({id(v.base) for v in values}) == 1 and values[0].base is not None
    assert contiguous_span(model.parameters()) is not None
