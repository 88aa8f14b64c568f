"""Attention against PyTorch: ``F.scaled_dot_product_attention`` (values, gradients, masks,
causal, fully masked rows, dropout, double backward, errors) and ``nn.MultiheadAttention``
with PyTorch's state dict copied in (outputs, weights, every gradient, float64)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.testing import assert_matches_torch

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


def _sdpa(lib, **options):
    return lambda *tensors: _call_sdpa(lib, *tensors, **options)


def _call_sdpa(lib, q, k, v, mask=None, **options):
    return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **options)


def _causal_keep(length, source_length):
    return np.tril(np.ones((length, source_length), dtype=bool))


SDPA_CASES = {
    "3d": ([(2, 3, 4), (2, 5, 4), (2, 5, 3)], None, {}),
    "4d": ([(2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5)], None, {}),
    "2d": ([(3, 4), (5, 4), (5, 2)], None, {}),
    "broadcast batch": ([(2, 1, 3, 4), (1, 3, 5, 4), (1, 3, 5, 2)], None, {}),
    "scale": ([(2, 3, 4), (2, 5, 4), (2, 5, 3)], None, {"scale": 0.3}),
    "causal L<S": ([(2, 3, 4), (2, 5, 4), (2, 5, 3)], None, {"is_causal": True}),
    "causal L>S": ([(2, 2, 5, 4), (2, 2, 3, 4), (2, 2, 3, 3)], None, {"is_causal": True}),
    "bool mask": ([(2, 3, 4), (2, 5, 4), (2, 5, 3)], rng.random((3, 5)) > 0.3, {}),
    "bool mask per batch": (
        [(2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)],
        rng.random((2, 1, 3, 5)) > 0.3,
        {},
    ),
    "float mask": ([(2, 3, 4), (2, 5, 4), (2, 5, 3)], rng.standard_normal((2, 3, 5)), {}),
    "float mask -inf": (
        [(2, 3, 4), (2, 5, 4), (2, 5, 3)],
        np.where(rng.random((3, 5)) > 0.3, 0.0, -np.inf),
        {"scale": 2.0},
    ),
    "gqa": ([(2, 4, 3, 4), (2, 2, 5, 4), (2, 1, 5, 3)], None, {"enable_gqa": True}),
}


@pytest.mark.parametrize("name", sorted(SDPA_CASES))
def test_sdpa_matches_torch(name):
    shapes, mask, options = SDPA_CASES[name]
    arrays = [rng.standard_normal(shape) for shape in shapes]
    if mask is not None:
        arrays.append(mask)  # a float mask is a leaf too: its gradient is compared
    assert_matches_torch(_sdpa(tg, **options), _sdpa(torch, **options), *arrays, atol=1e-6)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_rows_give_zeros_and_no_nan_gradients(kind):
    """PyTorch 2.13 gives 0 for a query whose keys are all masked (bool or -inf), and zero
    gradients through it; the other rows are untouched."""
    keep = rng.random((2, 4, 5)) > 0.4
    keep[:, 0], keep[1, 2] = False, False
    mask = keep if kind == "bool" else np.where(keep, 0.0, -np.inf)
    arrays = [rng.standard_normal(s) for s in ((2, 4, 3), (2, 5, 3), (2, 5, 2))]
    assert_matches_torch(_sdpa(tg), _sdpa(torch), *arrays, mask, atol=1e-6)
    q, k, v = (tg.tensor(a, requires_grad=True) for a in arrays)
    out = _call_sdpa(tg, q, k, v, tg.tensor(mask))
    assert (out.detach().numpy()[:, 0] == 0).all() and (out.detach().numpy()[1, 2] == 0).all()
    out.sum().backward()
    assert all(np.isfinite(t.grad.numpy()).all() for t in (q, k, v))
    assert (q.grad.numpy()[:, 0] == 0).all()


def test_zero_keys_give_zeros_like_torch():
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 0, 4), (2, 0, 2))]
    out = _call_sdpa(tg, *(tg.tensor(a) for a in arrays))
    expected = _call_sdpa(torch, *(torch.tensor(a) for a in arrays))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_dropout_zeroes_and_rescales_the_weights_reproducibly():
    """With value = I, the output is the (dropped) weight matrix itself: each entry is 0 or
    the undropped weight / (1 - p), and the same seed draws the same pattern."""
    q, k = (tg.tensor(rng.standard_normal((2, 6, 4))) for _ in range(2))
    identity = tg.eye(6, dtype=tg.float64).expand(2, 6, 6)
    weights = _call_sdpa(tg, q, k, identity).numpy()
    tg.manual_seed(5)
    dropped = _call_sdpa(tg, q, k, identity, dropout_p=0.25).numpy()
    kept = dropped != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped[kept], weights[kept] / 0.75, rtol=1e-12)
    tg.manual_seed(5)
    np.testing.assert_array_equal(_call_sdpa(tg, q, k, identity, dropout_p=0.25).numpy(), dropped)
    assert (_call_sdpa(tg, q, k, identity, dropout_p=1.0).numpy() == 0).all()


def test_dropout_gradients_match_finite_differences():
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3))]
    inputs = tuple(tg.tensor(a, requires_grad=True) for a in arrays)

    def attend(q, k, v):
        tg.manual_seed(11)  # the same dropout pattern at every evaluation
        return _call_sdpa(tg, q, k, v, dropout_p=0.4)

    assert tg.autograd.gradcheck(attend, inputs)


@pytest.mark.parametrize(
    "mask, options",
    [
        (None, {}),
        ("bool", {}),
        ("float", {"scale": 0.7}),
        (None, {"is_causal": True}),
    ],
)
def test_sdpa_double_backward_matches_finite_differences(mask, options):
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3))]
    inputs = [tg.tensor(a, requires_grad=True) for a in arrays]
    if mask == "bool":
        keep = rng.random((3, 5)) > 0.4
        keep[1] = False  # a fully masked row too
        constant = tg.tensor(keep)
        inputs = tuple(inputs)
    elif mask == "float":
        inputs.append(tg.tensor(rng.standard_normal((3, 5)), requires_grad=True))
        constant = None
    else:
        constant = None

    def attend(*tensors):
        extra = (constant,) if constant is not None else ()
        return _call_sdpa(tg, *tensors, *extra, **options)

    assert tg.autograd.gradgradcheck(attend, tuple(inputs))


def test_sdpa_hessian_vector_product_matches_torch():
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3))]
    direction = [rng.standard_normal(a.shape) for a in arrays]
    results = []
    for lib in (tg, torch):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = _call_sdpa(lib, *inputs, is_causal=True)
        grads = lib.autograd.grad((out * out).sum(), inputs, create_graph=True)
        dot = sum((g * lib.tensor(d)).sum() for g, d in zip(grads, direction))
        results.append([h.detach().numpy() for h in lib.autograd.grad(dot, inputs)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, atol=1e-10)


SDPA_ERRORS = {
    "mask and is_causal": lambda lib: _call_sdpa(
        lib,
        *_ones(lib, (2, 3, 4), (2, 5, 4), (2, 5, 2)),
        lib.ones(3, 5, dtype=lib.bool),
        is_causal=True,
    ),
    "1-d": lambda lib: _call_sdpa(lib, *_ones(lib, (4,), (4,), (4,))),
    "dtypes differ": lambda lib: _call_sdpa(
        lib, lib.ones(2, 3, 4), lib.ones(2, 5, 4, dtype=lib.float64), lib.ones(2, 5, 2)
    ),
    "integer mask": lambda lib: _call_sdpa(
        lib, *_ones(lib, (2, 3, 4), (2, 5, 4), (2, 5, 2)), lib.ones(3, 5, dtype=lib.int64)
    ),
    "mask shape": lambda lib: _call_sdpa(
        lib, *_ones(lib, (2, 3, 4), (2, 5, 4), (2, 5, 2)), lib.ones(3, 4, dtype=lib.bool)
    ),
    "mask larger than scores": lambda lib: _call_sdpa(
        lib, *_ones(lib, (2, 3, 4), (2, 5, 4), (2, 5, 2)), lib.ones(7, 2, 3, 5, dtype=lib.bool)
    ),
    "embedding sizes differ": lambda lib: _call_sdpa(
        lib, *_ones(lib, (2, 3, 4), (2, 5, 3), (2, 5, 2))
    ),
    "key and value lengths differ": lambda lib: _call_sdpa(
        lib, *_ones(lib, (2, 3, 4), (2, 5, 4), (2, 6, 2))
    ),
    "gqa heads do not divide": lambda lib: _call_sdpa(
        lib, *_ones(lib, (1, 3, 2, 4), (1, 2, 5, 4), (1, 2, 5, 2)), enable_gqa=True
    ),
    "dropout_p": lambda lib: _call_sdpa(
        lib, *_ones(lib, (2, 3, 4), (2, 5, 4), (2, 5, 2)), dropout_p=1.5
    ),
}


def _ones(lib, *shapes):
    return [lib.ones(*shape) for shape in shapes]


@pytest.mark.parametrize("name", sorted(SDPA_ERRORS))
def test_sdpa_errors_raise_pytorchs_exception_type(name):
    with pytest.raises(Exception) as theirs:
        SDPA_ERRORS[name](torch)
    with pytest.raises(type(theirs.value)):
        SDPA_ERRORS[name](tg)


# ----------------------------------------------------------------------------- MultiheadAttention
def _pair(options):
    """A PyTorch MultiheadAttention (float64) and ours with its state dict copied in."""
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(**options).double()
    ours = tg.nn.MultiheadAttention(**options).double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _assert_close(ours, theirs, what, atol=1e-6):
    np.testing.assert_allclose(ours, theirs, atol=atol, err_msg=what)


def check_mha(options, shapes, masks=None, **call):
    """Outputs, weights and every gradient (parameters and inputs) of both, float64."""
    ours, theirs = _pair(options)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    arrays = [rng.standard_normal(shape) for shape in shapes]
    inputs = {}
    for lib in (tg, torch):
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        if len(tensors) == 1:  # self-attention: one tensor as query, key and value
            tensors *= 3
        lib_masks = {name: lib.tensor(m) for name, m in (masks or {}).items()}
        module = ours if lib is tg else theirs
        output, weights = module(*tensors, **lib_masks, **call)
        upstream = lib.tensor(np.random.default_rng(1).standard_normal(tuple(output.shape)))
        loss = (output * upstream).sum()
        if weights is not None:
            loss = loss + (weights * weights).sum()
        loss.backward()
        inputs[lib] = (tensors, output, weights)
    (tg_in, tg_out, tg_w), (torch_in, torch_out, torch_w) = inputs[tg], inputs[torch]
    _assert_close(tg_out.detach().numpy(), torch_out.detach().numpy(), "output")
    assert (tg_w is None) == (torch_w is None)
    if tg_w is not None:
        _assert_close(tg_w.detach().numpy(), torch_w.detach().numpy(), "weights")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        _assert_close(p.grad.numpy(), q.grad.numpy(), name)
    for index, (a, b) in enumerate(zip(tg_in, torch_in)):
        _assert_close(a.grad.numpy(), b.grad.numpy(), f"input {index}")


def _kpm(batch, source_length):
    mask = rng.random((batch, source_length)) > 0.6
    mask[:, 0] = False  # every query keeps a key: no NaN rows on either path
    return mask


MHA_CASES = {
    "self attention": ({}, [(5, 3, 8)], None, {}),
    "batch_first": ({"batch_first": True}, [(3, 5, 8)], None, {}),
    "batch_first, no weights": ({"batch_first": True}, [(3, 5, 8)], None, {"need_weights": False}),
    "per-head weights": (
        {},
        [(5, 3, 8), (4, 3, 8), (4, 3, 8)],
        None,
        {"average_attn_weights": False},
    ),
    "kdim vdim": ({"kdim": 3, "vdim": 5}, [(5, 3, 8), (4, 3, 3), (4, 3, 5)], None, {}),
    "kdim vdim no bias batch_first": (
        {"kdim": 3, "vdim": 5, "bias": False, "batch_first": True},
        [(3, 5, 8), (3, 4, 3), (3, 4, 5)],
        None,
        {"need_weights": False},
    ),
    "unbatched": ({}, [(5, 8), (4, 8), (4, 8)], None, {}),
    "bool masks": (
        {},
        [(5, 3, 8), (4, 3, 8), (4, 3, 8)],
        {"attn_mask": np.triu(np.ones((5, 4), dtype=bool), 1), "key_padding_mask": _kpm(3, 4)},
        {},
    ),
    "bool masks, no weights": (
        {"batch_first": True},
        [(3, 5, 8), (3, 4, 8), (3, 4, 8)],
        {"attn_mask": rng.random((6, 5, 4)) > 0.7, "key_padding_mask": _kpm(3, 4)},
        {"need_weights": False},
    ),
    "float masks": (
        {},
        [(5, 3, 8), (4, 3, 8), (4, 3, 8)],
        {"attn_mask": rng.standard_normal((5, 4)), "key_padding_mask": rng.standard_normal((3, 4))},
        {"need_weights": False},
    ),
    "is_causal hint": (
        {},
        [(5, 3, 8)],
        {"attn_mask": np.triu(np.ones((5, 5), dtype=bool), 1)},
        {"is_causal": True, "need_weights": False},
    ),
    "add_bias_kv, add_zero_attn": (
        {"add_bias_kv": True, "add_zero_attn": True},
        [(5, 3, 8), (4, 3, 8), (4, 3, 8)],
        {"attn_mask": rng.random((5, 4)) > 0.7, "key_padding_mask": _kpm(3, 4)},
        {},
    ),
    "add_bias_kv unbatched, no weights": (
        {"add_bias_kv": True},
        [(5, 8), (4, 8), (4, 8)],
        {"key_padding_mask": _kpm(1, 4)[0]},
        {"need_weights": False},
    ),
}


@pytest.mark.parametrize("name", sorted(MHA_CASES))
def test_multihead_attention_matches_torch(name):
    options, shapes, masks, call = MHA_CASES[name]
    check_mha({"embed_dim": 8, "num_heads": 2, **options}, shapes, masks, **call)


def test_mismatched_mask_types_warn_and_match_torch():
    masks = {"attn_mask": rng.standard_normal((5, 4)), "key_padding_mask": _kpm(3, 4)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's own deprecation warning
        check_mha({"embed_dim": 8, "num_heads": 2}, [(5, 3, 8), (4, 3, 8), (4, 3, 8)], masks)
    query, key = tg.ones(5, 3, 8), tg.ones(4, 3, 8)
    tensors = {name: tg.tensor(mask) for name, mask in masks.items()}
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        tg.nn.MultiheadAttention(8, 2)(query, key, key, **tensors)


def test_parameters_init_and_repr_are_pytorchs():
    for options in ({}, {"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"bias": False}):
        theirs = torch.nn.MultiheadAttention(8, 2, **options)
        ours = tg.nn.MultiheadAttention(8, 2, **options)
        assert repr(ours) == repr(theirs)
        shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
        assert shapes == {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    ours = tg.nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform on the packed (3E, E) weight
    weight = ours.in_proj_weight.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.9 * bound
    assert (ours.in_proj_bias.detach().numpy() == 0).all()
    assert (ours.out_proj.bias.detach().numpy() == 0).all()
    assert ours.head_dim == 16 and ours._qkv_same_embed_dim
    assert not tg.nn.MultiheadAttention(8, 2, kdim=3)._qkv_same_embed_dim


def test_fully_masked_query_is_nan_with_weights_and_zero_without_like_torch():
    mask = np.array([[True, True, True], [False, False, True]])  # batch 0: every key padded
    results = {}
    for need_weights in (True, False):
        ours, theirs = _pair({"embed_dim": 4, "num_heads": 2, "batch_first": True})
        x = rng.standard_normal((2, 3, 4))
        out, _ = ours(
            *[tg.tensor(x)] * 3, key_padding_mask=tg.tensor(mask), need_weights=need_weights
        )
        expected, _ = theirs(
            *[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(mask), need_weights=need_weights
        )
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
        results[need_weights] = out.detach().numpy()
    assert np.isnan(results[True][0]).all() and not np.isnan(results[True][1]).any()
    assert np.isfinite(results[False]).all()


def test_dropout_applies_in_training_only():
    ours, _ = _pair({"embed_dim": 8, "num_heads": 2, "dropout": 0.5})
    plain, _ = _pair({"embed_dim": 8, "num_heads": 2})
    x = tg.tensor(rng.standard_normal((5, 3, 8)))
    with tg.no_grad():
        tg.manual_seed(0)
        first, weights = ours(x, x, x)
        tg.manual_seed(0)
        np.testing.assert_array_equal(ours(x, x, x)[0].numpy(), first.numpy())
        assert (weights.numpy() == 0).any()
        expected, _ = plain(x, x, x)
        assert not np.allclose(first.numpy(), expected.numpy())
        ours.eval()
        np.testing.assert_allclose(ours(x, x, x)[0].numpy(), expected.numpy(), atol=1e-12)


MHA_ERRORS = {
    "heads do not divide": lambda lib: lib.nn.MultiheadAttention(10, 3),
    "no heads": lambda lib: lib.nn.MultiheadAttention(8, 0),
    "4-d query": lambda lib: lib.nn.MultiheadAttention(4, 2)(*[lib.ones(1, 2, 3, 4)] * 3),
    "2-d attn_mask shape": lambda lib: lib.nn.MultiheadAttention(4, 2)(
        *[lib.ones(3, 2, 4)] * 3, attn_mask=lib.ones(3, 2, dtype=lib.bool)
    ),
    "3-d attn_mask shape": lambda lib: lib.nn.MultiheadAttention(4, 2)(
        *[lib.ones(3, 2, 4)] * 3, attn_mask=lib.ones(2, 3, 3, dtype=lib.bool)
    ),
    "key_padding_mask shape": lambda lib: lib.nn.MultiheadAttention(4, 2)(
        *[lib.ones(3, 2, 4)] * 3, key_padding_mask=lib.ones(2, 4, dtype=lib.bool)
    ),
    "integer mask": lambda lib: lib.nn.MultiheadAttention(4, 2)(
        *[lib.ones(3, 2, 4)] * 3, attn_mask=lib.ones(3, 3, dtype=lib.int64)
    ),
    "is_causal without a mask": lambda lib: lib.nn.MultiheadAttention(4, 2)(
        *[lib.ones(3, 2, 4)] * 3, is_causal=True
    ),
    "embedding size": lambda lib: lib.nn.MultiheadAttention(4, 2)(*[lib.ones(3, 2, 6)] * 3),
}


@pytest.mark.parametrize("name", sorted(MHA_ERRORS))
def test_multihead_attention_errors_raise_pytorchs_exception_type(name):
    with pytest.raises(Exception) as theirs:
        MHA_ERRORS[name](torch)
    with pytest.raises(type(theirs.value)):
        MHA_ERRORS[name](tg)
