"""tensorgrad.nn.utils.rnn against torch.nn.utils.rnn: packed and padded batches of
variable-length sequences, their gradients both ways, and every error PyTorch raises."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn as nn
from tensorgrad.nn.utils.rnn import (
    PackedSequence,
    invert_permutation,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
    unpad_sequence,
)

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn


def _same(mine, theirs):
    """A tensorgrad tensor (or None) equals a torch tensor (or None): values, shape, dtype."""
    if theirs is None:
        assert mine is None
        return
    assert str(mine.dtype) == str(theirs.dtype).replace("torch.", "tensorgrad.")
    assert tuple(mine.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


def _same_packed(mine, theirs):
    assert isinstance(mine, PackedSequence)
    for field in ("data", "batch_sizes", "sorted_indices", "unsorted_indices"):
        _same(getattr(mine, field), getattr(theirs, field))


def _sequences(seed, batch=5, longest=6, trailing=(3,), ties=False):
    """``batch`` float64 arrays of shapes ``(L_i, *trailing)``, 1 <= L_i <= longest."""
    rng = np.random.default_rng(seed)
    if ties:
        lengths = rng.integers(1, 4, batch)
    else:
        lengths = rng.permutation(np.arange(1, max(longest, batch) + 1))[:batch]
    return [rng.standard_normal((int(n), *trailing)) for n in lengths]


def _both(arrays, requires_grad=False):
    mine = [tg.tensor(a, requires_grad=requires_grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return mine, theirs


def _padded(seed, batch_first, trailing=(3,), sort=False, ties=False, batch=5):
    """A padded float64 batch (leaf of both libraries) and its lengths (a list)."""
    arrays = _sequences(seed, batch=batch, trailing=trailing, ties=ties)
    if sort:
        arrays.sort(key=len, reverse=True)
    padded = trnn.pad_sequence([torch.tensor(a) for a in arrays], batch_first=batch_first)
    mine = tg.tensor(padded.numpy(), requires_grad=True)
    theirs = padded.clone().requires_grad_(True)
    return mine, theirs, [len(a) for a in arrays]


# ------------------------------------------------------------------------------ the module
def test_rnn_is_a_submodule_and_an_attribute_of_nn_utils_with_torchs_names():
    assert nn.utils.rnn.pad_sequence is pad_sequence
    assert tg.nn.utils.rnn.PackedSequence is PackedSequence
    assert set(nn.utils.rnn.__all__) == set(trnn.__all__)
    for name in nn.utils.rnn.__all__:
        assert getattr(nn.utils.rnn, name).__doc__, name


def test_nn_utils_keeps_its_names():
    from tensorgrad.nn.utils import clip_grad, convert_parameters

    assert nn.utils.clip_grad_norm_ is clip_grad.clip_grad_norm_
    assert nn.utils.clip_grad_value_ is clip_grad.clip_grad_value_
    assert nn.utils.parameters_to_vector is convert_parameters.parameters_to_vector
    assert nn.utils.vector_to_parameters is convert_parameters.vector_to_parameters
    assert callable(nn.utils.array_module) and callable(nn.utils.zero_grads)
    assert set(nn.utils.__all__) == {
        "clip_grad_norm_",
        "clip_grad_value_",
        "parameters_to_vector",
        "vector_to_parameters",
        "rnn",
    }


# ------------------------------------------------------------------------------ pad_sequence
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (3,), (2, 2)])
def test_pad_sequence_and_its_gradient_match_torch(batch_first, padding_side, trailing):
    arrays = _sequences(0, trailing=trailing)
    mine, theirs = _both(arrays, requires_grad=True)
    kwargs = dict(batch_first=batch_first, padding_value=-1.5, padding_side=padding_side)
    out, expected = pad_sequence(mine, **kwargs), trnn.pad_sequence(theirs, **kwargs)
    _same(out, expected)
    weight = np.random.default_rng(1).standard_normal(tuple(expected.shape))
    (out * tg.tensor(weight)).sum().backward()
    (expected * torch.tensor(weight)).sum().backward()
    for a, b in zip(mine, theirs, strict=True):
        _same(a.grad, b.grad)


def test_pad_sequence_takes_the_first_dtype_a_tensor_and_a_generator():
    ints = [tg.tensor([1, 2, 3]), tg.tensor([4.7])]
    expected = trnn.pad_sequence([torch.tensor([1, 2, 3]), torch.tensor([4.7])], padding_value=9.5)
    _same(pad_sequence(ints, padding_value=9.5), expected)
    x = np.arange(6.0).reshape(2, 3)
    _same(pad_sequence(tg.tensor(x)), trnn.pad_sequence(torch.tensor(x)))
    _same(
        pad_sequence(tg.ones(n) for n in (2, 3)),
        trnn.pad_sequence(torch.ones(n, dtype=torch.float32) for n in (2, 3)),
    )
    empty = [np.zeros((0, 2)), np.zeros((0, 2))]
    _same(pad_sequence(_both(empty)[0]), trnn.pad_sequence(_both(empty)[1]))


# ------------------------------------------------------------------------------ packing
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pack_padded_sequence_matches_torch(batch_first, enforce_sorted, seed):
    mine, theirs, lengths = _padded(seed, batch_first, sort=enforce_sorted)
    kwargs = dict(batch_first=batch_first, enforce_sorted=enforce_sorted)
    _same_packed(
        pack_padded_sequence(mine, lengths, **kwargs),
        trnn.pack_padded_sequence(theirs, lengths, **kwargs),
    )


@pytest.mark.parametrize("trailing", [(), (2, 3)])
def test_pack_padded_sequence_with_tied_lengths_and_tensor_lengths(trailing):
    # PyTorch's sort is unstable above 16 elements; up to 16 it agrees with a stable sort.
    mine, theirs, lengths = _padded(3, False, trailing=trailing, ties=True, batch=16)
    for lengths_mine, lengths_theirs in [
        (lengths, lengths),
        (tg.tensor(lengths, dtype=tg.int32), torch.tensor(lengths, dtype=torch.int32)),
    ]:
        _same_packed(
            pack_padded_sequence(mine, lengths_mine, enforce_sorted=False),
            trnn.pack_padded_sequence(theirs, lengths_theirs, enforce_sorted=False),
        )


def test_pack_padded_sequence_of_integers_and_of_longer_padding():
    x = [[1, 2, 0, 0], [3, 0, 0, 0], [4, 5, 6, 0]]
    _same_packed(
        pack_padded_sequence(tg.tensor(x), [2, 1, 3], batch_first=True, enforce_sorted=False),
        trnn.pack_padded_sequence(
            torch.tensor(x), [2, 1, 3], batch_first=True, enforce_sorted=False
        ),
    )


@pytest.mark.parametrize("pack_batch_first", [False, True])
@pytest.mark.parametrize("pad_batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pad_packed_sequence_round_trip_matches_torch(
    pack_batch_first, pad_batch_first, enforce_sorted
):
    mine, theirs, lengths = _padded(4, pack_batch_first, sort=enforce_sorted)
    kwargs = dict(batch_first=pack_batch_first, enforce_sorted=enforce_sorted)
    packed = pack_padded_sequence(mine, lengths, **kwargs)
    expected_packed = trnn.pack_padded_sequence(theirs, lengths, **kwargs)
    for options in [{}, {"padding_value": 7.25}, {"total_length": max(lengths) + 2}]:
        out, out_lengths = pad_packed_sequence(packed, batch_first=pad_batch_first, **options)
        expected, expected_lengths = trnn.pad_packed_sequence(
            expected_packed, batch_first=pad_batch_first, **options
        )
        _same(out, expected)
        _same(out_lengths, expected_lengths)
    padded_again, _ = pad_packed_sequence(packed, batch_first=pack_batch_first)
    _same(padded_again, theirs)  # pack then pad gives the padded input back


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_gradients_flow_from_packed_data_to_the_padded_input(batch_first, enforce_sorted):
    mine, theirs, lengths = _padded(5, batch_first, sort=enforce_sorted)
    kwargs = dict(batch_first=batch_first, enforce_sorted=enforce_sorted)
    data = pack_padded_sequence(mine, lengths, **kwargs).data
    expected = trnn.pack_padded_sequence(theirs, lengths, **kwargs).data
    weight = np.random.default_rng(6).standard_normal((3, 4))
    (data.tanh() @ tg.tensor(weight)).pow(2).sum().backward()
    (expected.tanh() @ torch.tensor(weight)).pow(2).sum().backward()
    _same(mine.grad, theirs.grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 9])
def test_gradients_flow_from_the_padded_output_to_packed_data(batch_first, total_length):
    _, theirs, lengths = _padded(7, False)
    packed = trnn.pack_padded_sequence(theirs.detach(), lengths, enforce_sorted=False)
    data_theirs = packed.data.clone().requires_grad_(True)
    data_mine = tg.tensor(packed.data.numpy(), requires_grad=True)
    mine = PackedSequence(
        data_mine,
        tg.tensor(packed.batch_sizes.numpy()),
        tg.tensor(packed.sorted_indices.numpy()),
        tg.tensor(packed.unsorted_indices.numpy()),
    )
    theirs = trnn.PackedSequence(
        data_theirs, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices
    )
    kwargs = dict(batch_first=batch_first, padding_value=2.0, total_length=total_length)
    out, _ = pad_packed_sequence(mine, **kwargs)
    expected, _ = trnn.pad_packed_sequence(theirs, **kwargs)
    weight = np.random.default_rng(8).standard_normal(tuple(expected.shape))
    (out.sin() * tg.tensor(weight)).sum().backward()
    (expected.sin() * torch.tensor(weight)).sum().backward()
    _same(data_mine.grad, data_theirs.grad)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_unpack_sequence_and_unpad_sequence_match_torch(enforce_sorted):
    arrays = _sequences(9)
    if enforce_sorted:
        arrays.sort(key=len, reverse=True)
    mine, theirs = _both(arrays, requires_grad=True)
    packed = pack_sequence(mine, enforce_sorted=enforce_sorted)
    expected = trnn.pack_sequence(theirs, enforce_sorted=enforce_sorted)
    _same_packed(packed, expected)
    unpacked = unpack_sequence(packed)
    for a, b, original in zip(unpacked, trnn.unpack_sequence(expected), mine, strict=True):
        _same(a, b)
        _same(a, torch.tensor(original.detach().numpy()))
    sum(((seq * seq).sum() * (i + 1) for i, seq in enumerate(unpacked)), tg.tensor(0.0)).backward()
    sum(
        ((seq * seq).sum() * (i + 1) for i, seq in enumerate(trnn.unpack_sequence(expected))),
        torch.tensor(0.0),
    ).backward()
    for a, b in zip(mine, theirs, strict=True):
        _same(a.grad, b.grad)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence_matches_torch_and_leaves_its_input_alone(batch_first):
    arrays = _sequences(10)
    lengths = [len(a) for a in arrays]
    padded = trnn.pad_sequence([torch.tensor(a) for a in arrays], batch_first=batch_first)
    mine = tg.tensor(padded.numpy())
    out = unpad_sequence(mine, tg.tensor(lengths), batch_first=batch_first)
    expected = trnn.unpad_sequence(padded.clone(), torch.tensor(lengths), batch_first)
    for a, b in zip(out, expected, strict=True):
        _same(a, b)
    _same(mine, padded)


# ------------------------------------------------------------------------------ PackedSequence
def test_packed_sequence_is_torchs_named_tuple():
    packed = pack_sequence([tg.tensor([1.0, 2.0, 3.0]), tg.tensor([4.0, 5.0]), tg.tensor([6.0])])
    assert isinstance(packed, tuple) and packed._fields == trnn.PackedSequence._fields
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert sorted_indices is None and unsorted_indices is None
    assert repr(packed).startswith("PackedSequence(data=tensor([1., 4., 6., 2., 5., 3.])")
    assert batch_sizes.dtype == tg.int64 and batch_sizes.device.type == "cpu"
    assert packed.to(tg.float32) is packed and packed.float() is packed
    assert packed.double().data.dtype == tg.float64 and packed.long().data.dtype == tg.int64
    assert packed.is_cuda is False and packed.is_pinned() is False
    rebuilt = PackedSequence(data, batch_sizes, tg.tensor([2, 0, 1]))
    _same(rebuilt.unsorted_indices, torch.tensor([1, 2, 0]))
    _same(PackedSequence((data, batch_sizes)).data, torch.tensor([1.0, 4, 6, 2, 5, 3]))
    moved = PackedSequence(data, batch_sizes, tg.tensor([2, 0, 1])).double()
    _same(moved.sorted_indices, torch.tensor([2, 0, 1]))


def test_invert_permutation_matches_torch():
    permutation = np.random.default_rng(11).permutation(7)
    _same(
        invert_permutation(tg.tensor(permutation)),
        trnn.invert_permutation(torch.tensor(permutation)),
    )
    assert invert_permutation(None) is None


# ------------------------------------------------------------------------------ errors
def _pack(lengths, shape=(4, 3, 2), **kwargs):
    return lambda lib, rnn: rnn.pack_padded_sequence(lib.zeros(*shape), lengths, **kwargs)


def _packed(lib, rnn):
    return rnn.pack_padded_sequence(lib.zeros(4, 3, 2), [3, 2, 1])


ERRORS = {
    "unsorted lengths": _pack([2, 3, 1]),
    "a zero length": _pack([3, 2, 0]),
    "a negative length": _pack([3, 2, -1]),
    "a zero length, unsorted": _pack([0, 2, 3], enforce_sorted=False),
    "too few lengths": _pack([3, 2]),
    "too many lengths": _pack([3, 2, 1, 1]),
    "too many lengths, unsorted": _pack([1, 3, 2, 1], enforce_sorted=False),
    "2-D lengths": lambda lib, rnn: rnn.pack_padded_sequence(
        lib.zeros(4, 3, 2), lib.tensor([[3, 2, 1]])
    ),
    "2-D lengths, unsorted": lambda lib, rnn: rnn.pack_padded_sequence(
        lib.zeros(4, 3, 2), lib.tensor([[1, 3, 2]]), enforce_sorted=False
    ),
    "an empty batch": _pack([], shape=(4, 0, 2)),
    "no time steps": _pack([1, 1], shape=(0, 2, 2)),
    "1-D input": _pack([3], shape=(4,)),
    "no sequences": lambda lib, rnn: rnn.pad_sequence([]),
    "not iterable": lambda lib, rnn: rnn.pad_sequence(5),
    "different trailing sizes": lambda lib, rnn: rnn.pad_sequence(
        [lib.zeros(3, 2), lib.zeros(2, 3)]
    ),
    "padding_side='middle'": lambda lib, rnn: rnn.pad_sequence(
        [lib.zeros(3)], padding_side="middle"
    ),
    "0-d sequences": lambda lib, rnn: rnn.pad_sequence([lib.zeros(()), lib.zeros(())]),
    "total_length too short": lambda lib, rnn: rnn.pad_packed_sequence(
        _packed(lib, rnn), total_length=2
    ),
    "pack_sequence unsorted": lambda lib, rnn: rnn.pack_sequence([lib.zeros(1), lib.zeros(3)]),
    "pack_sequence of nothing": lambda lib, rnn: rnn.pack_sequence([]),
    "PackedSequence of one tensor": lambda lib, rnn: rnn.PackedSequence(lib.zeros(3)),
    "unpad_sequence with too few lengths": lambda lib, rnn: rnn.unpad_sequence(
        lib.zeros(4, 3), lib.tensor([3, 2])
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_match_torchs_exception_types(case):
    with pytest.raises(Exception) as expected:
        ERRORS[case](torch, trnn)
    with pytest.raises(expected.type):
        ERRORS[case](tg, nn.utils.rnn)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_a_length_longer_than_the_input_is_refused(enforce_sorted):
    # PyTorch reads past the end of the input here; tensorgrad raises.
    with pytest.raises(RuntimeError, match=r"length of 5 is longer than the input's 4 time"):
        pack_padded_sequence(tg.zeros(4, 3, 2), [5, 2, 1], enforce_sorted=enforce_sorted)
    with pytest.raises(RuntimeError, match=r"length of 5 is longer than the input's 4 time"):
        pack_padded_sequence(tg.zeros(3, 4), [5, 2, 1], batch_first=True)


def test_a_length_missing_is_refused_unsorted_too():
    # PyTorch checks the number of lengths only when they are sorted; unsorted, it silently
    # drops the sequences beyond the lengths given. tensorgrad raises either way.
    assert trnn.pack_padded_sequence(torch.zeros(4, 3), [3, 2], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"but got 2 \(batch_size=3\)"):
        pack_padded_sequence(tg.zeros(4, 3), [3, 2], enforce_sorted=False)


def test_error_messages_are_torchs():
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        pack_padded_sequence(tg.zeros(4, 3), [2, 3, 1])
    with pytest.raises(RuntimeError, match=r"has to be greater than 0"):
        pack_padded_sequence(tg.zeros(4, 3), [3, 2, 0])
    with pytest.raises(RuntimeError, match=r"but got 2 \(batch_size=3\)"):
        pack_padded_sequence(tg.zeros(4, 3), [3, 2])
    with pytest.raises(ValueError, match="total_length=2 and max sequence length being 3"):
        pad_packed_sequence(pack_padded_sequence(tg.zeros(4, 3), [3, 2, 1]), total_length=2)
