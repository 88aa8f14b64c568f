"""The Tensor API as PyTorch has it: the constructor, NumPy's keywords, ``out=``, dim
shuffles, ``randint``'s keywords, ``next_functions`` and the engine's errors, each checked
against PyTorch."""

from __future__ import annotations

import inspect
import re
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import _registry
from tensorgrad.autograd import differentiate

torch = pytest.importorskip("torch")


def _outcome(make):
    """``("ok", shape, dtype name)`` or ``("raises", exception type name)``."""
    try:
        result = make()
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return ("raises", _error_kind(error))
    return ("ok", tuple(result.shape), str(result.dtype).split(".")[-1])


def _error_kind(error: Exception) -> str:
    # tensorgrad's device error is both AssertionError and RuntimeError (see _device.py)
    return "RuntimeError" if isinstance(error, RuntimeError) else type(error).__name__


# ----------------------------------------------------------------------------- Tensor(...)
CONSTRUCTOR_CASES = {
    "sizes": lambda L: L.Tensor(2, 3),
    "one size": lambda L: L.Tensor(3),
    "zero size": lambda L: L.Tensor(0),
    "seven sizes": lambda L: L.Tensor(1, 2, 1, 2, 1, 2, 1),
    "five sizes and device": lambda L: L.Tensor(1, 2, 1, 2, 1, device="cpu"),
    "trailing zero size": lambda L: L.Tensor(2, 3, 4, 0),
    "size keyword": lambda L: L.Tensor(size=(2, 3)),
    "size keyword list": lambda L: L.Tensor(size=[2, 3], device="cpu"),
    "no arguments": lambda L: L.Tensor(),
    "list": lambda L: L.Tensor([1, 2]),
    "nested list": lambda L: L.Tensor([[1, 2], [3, 4]]),
    "tuple is data": lambda L: L.Tensor((2, 3)),
    "empty tuple": lambda L: L.Tensor(()),
    "bools": lambda L: L.Tensor([True, False]),
    "range": lambda L: L.Tensor(range(3)),
    "data keyword": lambda L: L.Tensor(data=[1.5]),
    "list and device": lambda L: L.Tensor([1.0], device="cpu"),
    "int tensor": lambda L: L.Tensor(L.tensor([1, 2])),
    "float64 tensor": lambda L: L.Tensor(L.tensor([1.0], dtype=L.float64)),
    "numpy integer and sizes": lambda L: L.Tensor(np.int32(2), 3),
    "float": lambda L: L.Tensor(3.0),
    "bool": lambda L: L.Tensor(True),
    "None": lambda L: L.Tensor(None),
    "string": lambda L: L.Tensor("a"),
    "negative size": lambda L: L.Tensor(-1),
    "negative second size": lambda L: L.Tensor(2, -1),
    "float then int": lambda L: L.Tensor(2.5, 3),
    "list then int": lambda L: L.Tensor([1], 2),
    "requires_grad keyword": lambda L: L.Tensor([1.0], requires_grad=True),
    "size keyword after sizes": lambda L: L.Tensor(2, size=(3,)),
    "size keyword after data": lambda L: L.Tensor([1], size=(3,)),
    "ragged": lambda L: L.Tensor([[1, 2], [3]]),
    "cuda": lambda L: L.Tensor(2, device="cuda"),
}


@pytest.mark.parametrize("case", CONSTRUCTOR_CASES, ids=list(CONSTRUCTOR_CASES))
def test_constructor_matches_torch(case):
    make = CONSTRUCTOR_CASES[case]
    assert _outcome(lambda: make(tg)) == _outcome(lambda: make(torch))


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.Tensor([1, 2]),
        lambda L: L.Tensor([[0.5, 2], [3, 4]]),
        lambda L: L.Tensor(()),
        lambda L: L.Tensor(range(4)),
    ],
)
def test_constructor_data_values_match_torch(make):
    assert make(tg).tolist() == make(torch).tolist()


def test_constructor_follows_the_default_dtype():
    previous = tg.get_default_dtype()
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.Tensor([1]).dtype == tg.float64
        assert tg.Tensor(2, 2).dtype == tg.float64
    finally:
        tg.set_default_dtype(previous)


def test_constructor_of_a_tensor_is_an_alias_in_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    alias = tg.Tensor(x)
    assert alias is not x and alias.requires_grad and alias.grad_fn is not None
    assert np.shares_memory(alias._data, x._data)
    (alias * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    with tg.no_grad():
        alias.mul_(2)  # same memory and version counter: the change shows in both
    assert x.tolist() == [2.0, 4.0] and x._version == alias._version == 1


def test_constructor_keeps_an_ndarray_as_it_is():
    """Documented difference: PyTorch converts to float32; the ops build results this way."""
    array = np.arange(3, dtype=np.int32)
    t = tg.Tensor(array)
    assert t.dtype == tg.int32 and t._data is array
    scalar = tg.Tensor(np.float64(2.5))
    assert scalar.shape == () and scalar.dtype == tg.float64


def test_internal_form_is_unchanged():
    """Tensor(array, requires_grad, grad_fn, output_nr): what every op builds."""
    x = tg.tensor([1.0], requires_grad=True)
    node = (x * 2).grad_fn
    t = tg.Tensor(np.ones(2, dtype=np.float16), True, node, 1)
    assert t.dtype == tg.float16 and t.requires_grad and t.grad_fn is node
    assert t._output_nr == 1


# ----------------------------------------------------------------------------- NumPy keywords
def _code_parameters(function) -> tuple:
    function = getattr(function, "fget", function)
    code = getattr(inspect.unwrap(function), "__code__", None)
    return () if code is None else code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]


def _public_parameters(function) -> set:
    try:
        return set(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return set()


def _torch_is_native(name: str, method: bool) -> bool:
    """PyTorch's argument parser (and so the NumPy aliases and out=) covers C functions."""
    if method:
        return type(inspect.getattr_static(torch.Tensor, name, None)).__name__ in (
            "method_descriptor",
            "builtin_function_or_method",
        )
    return isinstance(getattr(torch, name, None), types.BuiltinFunctionType)


@pytest.mark.parametrize("method", [False, True], ids=["function", "method"])
def test_numpy_aliases_exactly_where_torch_has_them(method):
    table = _registry.methods if method else _registry.functions
    wrong = []
    for name, function in sorted(table.items()):
        owner = torch.Tensor if method else torch
        if not hasattr(owner, name) or isinstance(function, property):
            continue
        parameters = _code_parameters(function)
        for alias, target in (("axis", "dim"), ("keepdims", "keepdim")):
            if target not in parameters:
                continue
            ours = alias in _public_parameters(function)
            theirs = alias in parameters or _torch_is_native(name, method)
            if ours != theirs:
                wrong.append(f"{name}: {alias}= ours {ours}, torch {theirs}")
    assert not wrong, "\n".join(wrong)


NUMPY_KEYWORD_CASES = {
    "sum": lambda L, x: x.sum(axis=1, keepdims=True),
    "mean": lambda L, x: L.mean(x, axis=0),
    "max": lambda L, x: x.max(axis=1, keepdims=True).values,
    "min": lambda L, x: L.min(x, axis=0).indices,
    "amax": lambda L, x: L.amax(x, axis=1, keepdims=True),
    "amin": lambda L, x: x.amin(axis=(0, 1)),
    "argmax": lambda L, x: x.argmax(axis=1, keepdims=True),
    "argmin": lambda L, x: L.argmin(x, axis=0),
    "prod": lambda L, x: L.prod(x, axis=1, keepdims=True),
    "std": lambda L, x: x.std(axis=1),
    "var": lambda L, x: L.var(x, axis=0, keepdims=True),
    "all": lambda L, x: L.all(x > 0, axis=1, keepdims=True),
    "any": lambda L, x: (x > 0).any(axis=0),
    "logsumexp": lambda L, x: L.logsumexp(x, axis=1, keepdims=True),
    "cumsum": lambda L, x: x.cumsum(axis=1),
    "softmax": lambda L, x: x.softmax(axis=0),
    "log_softmax": lambda L, x: L.log_softmax(x, axis=1),
    "cat": lambda L, x: L.cat([x, x], axis=1),
    "stack": lambda L, x: L.stack([x, x], axis=2),
    "unsqueeze": lambda L, x: x.unsqueeze(axis=1),
    "squeeze": lambda L, x: L.squeeze(x[:1], axis=0),
    "gather": lambda L, x: x.gather(axis=1, index=L.tensor([[0], [2]])),
    "index_select": lambda L, x: L.index_select(x, axis=1, index=L.tensor([2, 0])),
    "chunk": lambda L, x: x.chunk(3, axis=1)[2],
}


@pytest.mark.parametrize("case", NUMPY_KEYWORD_CASES, ids=list(NUMPY_KEYWORD_CASES))
def test_numpy_keywords_give_torchs_values(case):
    data = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]], dtype=np.float32)
    make = NUMPY_KEYWORD_CASES[case]
    ours, theirs = make(tg, tg.tensor(data)), make(torch, torch.tensor(data))
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.tolist(), theirs.tolist(), rtol=1e-5)


def test_numpy_keywords_reach_the_gradient():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x.softmax(axis=1).amax(axis=1, keepdims=True).sum().backward()
    t = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    t.softmax(axis=1).amax(axis=1, keepdims=True).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), t.grad.tolist(), rtol=1e-6)


@pytest.mark.parametrize(
    "mistake",
    [
        lambda L: L.ones(2, 3).softmax(1, axis=1),  # dim positionally and axis=
        lambda L: L.ones(2, 3).argmax(dim=1, axis=1),
        lambda L: L.ones(2, 3).amax(1, keepdim=True, keepdims=True),
        lambda L: L.ones(2, 3).split(1, axis=1),  # PyTorch's split is Python: no aliases
        lambda L: L.ones(2, 3).norm(axis=1),
    ],
)
def test_numpy_keyword_mistakes_raise_a_type_error_like_torch(mistake):
    with pytest.raises(TypeError):
        mistake(torch)
    with pytest.raises(TypeError):
        mistake(tg)


def test_aliased_functions_show_the_keywords_in_their_signature():
    assert {"axis", "out"} <= set(inspect.signature(tg.softmax).parameters)
    assert "axis" in inspect.signature(tg.Tensor.argmax).parameters
    assert "out" not in inspect.signature(tg.Tensor.add).parameters


# ----------------------------------------------------------------------------- out=
# The signatures PyTorch generates for its C functions (the Python binding's own source).
_STUBS = Path(torch.__file__).parent.joinpath("_C", "_VariableFunctions.pyi").read_text()


def _torch_takes_out(name: str) -> bool | None:
    function = getattr(torch, name, None)
    if function is None:
        return None
    if isinstance(function, types.BuiltinFunctionType):  # the generated signatures say
        signatures = re.findall(rf"^def {re.escape(name)}\((.*?)\) ->", _STUBS, re.M | re.S)
        return any(re.search(r"\bout\b", s) for s in signatures)
    try:
        return "out" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return None


def test_out_exactly_where_torch_has_it():
    wrong = []
    for name, function in sorted(_registry.functions.items()):
        theirs = _torch_takes_out(name)
        if theirs is None:
            continue
        ours = "out" in _public_parameters(function)
        if ours != theirs:
            wrong.append(f"{name}: out= ours {ours}, torch {theirs}")
    assert not wrong, "\n".join(wrong)


OUT_CASES = {
    "add": (lambda L, a, b, out: L.add(a, b, out=out), (2, 3)),
    "add alpha": (lambda L, a, b, out: L.add(a, b, alpha=2, out=out), (2, 3)),
    "mul": (lambda L, a, b, out: L.mul(a, b, out=out), (2, 3)),
    "matmul": (lambda L, a, b, out: L.matmul(a, b.T, out=out), (2, 2)),
    "cat": (lambda L, a, b, out: L.cat([a, b], 0, out=out), (4, 3)),
    "exp": (lambda L, a, b, out: L.exp(a, out=out), (2, 3)),
    "sum over a dim": (lambda L, a, b, out: L.sum(a, 1, out=out), (2,)),
    "mean over a dim": (lambda L, a, b, out: L.mean(a, 0, keepdim=True, out=out), (1, 3)),
    "amax": (lambda L, a, b, out: L.amax(a, 1, out=out), (2,)),
    "where": (lambda L, a, b, out: L.where(a > 0, a, b, out=out), (2, 3)),
    "clamp": (lambda L, a, b, out: L.clamp(a, -0.5, 0.5, out=out), (2, 3)),
}


@pytest.mark.parametrize("case", OUT_CASES, ids=list(OUT_CASES))
def test_out_writes_the_result_into_out_and_returns_it(case):
    call, shape = OUT_CASES[case]
    data = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]], dtype=np.float32)
    results = []
    for L in (tg, torch):
        out = L.zeros(shape)
        memory_before = out.numpy() if L is tg else out.data_ptr()
        returned = call(L, L.tensor(data), L.tensor(data[::-1].copy()), out)
        assert returned is out and out._version == 1
        if L is tg:
            assert out.numpy() is memory_before  # written in place, not replaced
        results.append(out.tolist())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_out_with_several_outputs_takes_a_tuple():
    data = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]], dtype=np.float32)
    found = []
    for L in (tg, torch):
        values, indices = L.zeros(2), L.zeros(2, dtype=L.int64)
        result = L.max(L.tensor(data), 1, out=(values, indices))
        assert result[0] is values and result[1] is indices
        assert result.values is values
        found.append((values.tolist(), indices.tolist()))
        with pytest.raises(TypeError):
            L.max(L.tensor(data), 1, out=values)
    assert found[0] == found[1]


def test_out_of_the_wrong_shape_is_resized_with_torchs_warning():
    for L in (tg, torch):
        out = L.zeros(5)
        with pytest.warns(UserWarning, match="was resized since it had shape \\[5\\]"):
            L.add(L.ones(2, 3), 1, out=out)
        assert tuple(out.shape) == (2, 3) and out.tolist() == [[2.0] * 3] * 2
        empty = L.zeros(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            L.add(L.ones(2, 3), 1, out=empty)  # an empty out is resized silently
        assert tuple(empty.shape) == (2, 3)


@pytest.mark.parametrize(
    ("result_dtype", "out_dtype"),
    [
        ("float32", "int64"),
        ("float32", "bool"),
        ("int64", "bool"),
        ("float32", "float64"),
        ("float64", "float32"),
        ("int64", "float32"),
        ("int64", "int32"),
        ("bool", "int64"),
    ],
)
def test_out_casts_by_torchs_rule(result_dtype, out_dtype):
    def write(L):
        a = L.ones(2, dtype=getattr(L, result_dtype))
        out = L.zeros(2, dtype=getattr(L, out_dtype))
        return (L.maximum(a, a, out=out) is out) and out.dtype

    ours, theirs = _outcome_of(write, tg), _outcome_of(write, torch)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert str(ours[1]).split(".")[-1] == str(theirs[1]).split(".")[-1]


def _outcome_of(write, L):
    try:
        return ("ok", write(L))
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return ("raises", type(error).__name__)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x, out: L.add(x, 1, out=out),
        lambda L, x, out: L.exp(x, out=out),
        lambda L, x, out: L.cat([x[:1], x.detach()[1:]], out=out),
    ],
)
def test_out_refuses_autograd_like_torch(call):
    for L in (tg, torch):
        x = L.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            call(L, x, L.zeros(2))
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            call(L, x.detach(), L.zeros(2, requires_grad=True))
        with L.no_grad():  # outside grad mode both are fine
            out = L.zeros(2, requires_grad=True)
            assert call(L, x, out) is out and out.requires_grad


def test_out_accepts_inputs_that_require_grad_for_non_differentiable_results():
    for L in (tg, torch):
        x = L.ones(2, requires_grad=True)
        out = L.zeros(2, dtype=L.bool)
        assert L.eq(x, x, out=out) is out and out.tolist() == [True, True]


def test_out_none_is_the_ordinary_call():
    assert tg.add(tg.ones(2), 1, out=None).tolist() == [2.0, 2.0]


def test_out_is_not_a_method_keyword():
    for L in (tg, torch):
        with pytest.raises(TypeError):
            L.ones(2).add(1, out=L.zeros(2))


# ----------------------------------------------------------------------------- dims
DIM_CASES = {
    "movedim ints": lambda L, x: x.movedim(0, 2),
    "movedim negative": lambda L, x: L.movedim(x, -1, 0),
    "movedim tuples": lambda L, x: x.movedim((0, 1), (2, 0)),
    "movedim lists": lambda L, x: L.movedim(x, [0, 1], [2, 0]),
    "movedim keywords": lambda L, x: L.movedim(x, source=(2,), destination=(0,)),
    "moveaxis": lambda L, x: L.moveaxis(x, 0, 2),
    "moveaxis method": lambda L, x: x.moveaxis((0, 2), (2, 1)),
    "swapaxes": lambda L, x: x.swapaxes(0, 2),
    "swapaxes keywords": lambda L, x: L.swapaxes(x, axis0=0, axis1=2),
    "swapdims": lambda L, x: x.swapdims(1, 2),
    "swapdims keywords": lambda L, x: L.swapdims(x, dim0=0, dim1=-1),
    "transpose keywords": lambda L, x: L.transpose(x, dim0=0, dim1=2),
    "permute varargs": lambda L, x: x.permute(2, 0, 1),
    "permute tuple": lambda L, x: x.permute((2, 0, 1)),
    "permute list": lambda L, x: x.permute([2, 0, 1]),
    "permute dims keyword": lambda L, x: x.permute(dims=(2, 0, 1)),
    "permute function": lambda L, x: L.permute(x, (1, 2, 0)),
    "flip varargs": lambda L, x: x.flip(0, 2),
    "flip tuple": lambda L, x: x.flip((0, 1)),
    "flip one dim": lambda L, x: x.flip(1),
    "flip dims keyword": lambda L, x: x.flip(dims=[2]),
    "flip no dims": lambda L, x: x.flip(()),
    "flip function": lambda L, x: L.flip(x, [0, -1]),
}


@pytest.mark.parametrize("case", DIM_CASES, ids=list(DIM_CASES))
def test_dim_shuffles_match_torch_with_gradients(case):
    make = DIM_CASES[case]
    data = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    x = tg.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    ours, theirs = make(tg, x), make(torch, t)
    assert ours.tolist() == theirs.tolist()
    weights = np.linspace(-1, 1, ours.numel()).reshape(ours.shape)
    (ours * tg.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    assert x.grad.tolist() == t.grad.tolist()


DIM_MISTAKES = {
    "movedim int and tuple": lambda L: L.ones(2, 3).movedim((0,), 1),
    "movedim lengths": lambda L: L.ones(2, 3, 4).movedim((0, 1), (2,)),
    "movedim repeated source": lambda L: L.ones(2, 3, 4).movedim((0, 0), (1, 2)),
    "movedim repeated destination": lambda L: L.ones(2, 3, 4).movedim((0, 1), (2, 2)),
    "movedim out of range": lambda L: L.ones(2, 3).movedim(2, 0),
    "permute out of range": lambda L: L.ones(2, 3).permute(0, 2),
    "permute float": lambda L: L.ones(2, 3).permute(0.0, 1),
    "permute no dims": lambda L: L.ones(2, 3).permute(),
    "flip repeated": lambda L: L.ones(2, 3).flip(0, 0),
    "flip out of range": lambda L: L.ones(2, 3).flip(2),
    "flip no dims": lambda L: L.ones(2, 3).flip(),
    "flip dims keyword int": lambda L: L.ones(2, 3).flip(dims=0),
    "reshape float": lambda L: L.ones(2, 3).reshape(3.0, 2),
    "expand float": lambda L: L.ones(2).expand(2.0),
    "expand nothing": lambda L: L.ones(2).expand(),
    "expand negative": lambda L: L.ones(1, 2).expand(-3, 2),
    "expand negative new dim": lambda L: L.ones(2).expand(-2, 2),
    "expand minus two": lambda L: L.ones(2).expand(-2),
    "expand minus one new dim": lambda L: L.ones(2).expand(-1, 2),
}


@pytest.mark.parametrize("case", DIM_MISTAKES, ids=list(DIM_MISTAKES))
def test_dim_mistakes_raise_torchs_exception_type(case):
    make = DIM_MISTAKES[case]
    ours, theirs = _outcome(lambda: make(tg)), _outcome(lambda: make(torch))
    assert ours[0] == theirs[0] == "raises"
    assert ours == theirs


# ----------------------------------------------------------------------------- randint
RANDINT_CASES = {
    "high size": lambda L: L.randint(5, (2,)),
    "low high size": lambda L: L.randint(1, 5, (2, 3)),
    "keywords": lambda L: L.randint(low=1, high=5, size=(2,)),
    "high and size keywords": lambda L: L.randint(high=5, size=(2,)),
    "size keyword": lambda L: L.randint(5, size=(3,)),
    "low high, size keyword": lambda L: L.randint(1, 5, size=[2]),
    "low, high and size keywords": lambda L: L.randint(1, high=5, size=(2,)),
    "empty size": lambda L: L.randint(5, ()),
    "dtype": lambda L: L.randint(5, (2,), dtype=L.float32),
    "generator": lambda L: L.randint(3, (2,), generator=L.Generator()),
    "low keyword with positional high": lambda L: L.randint(5, (2,), low=1),
    "low keyword only": lambda L: L.randint(low=1, size=(2,)),
    "one argument": lambda L: L.randint(5),
    "int size": lambda L: L.randint(5, 2),
    "float high": lambda L: L.randint(2.5, (2,)),
    "empty range": lambda L: L.randint(5, 5, (2,)),
    "zero high": lambda L: L.randint(0, (2,)),
    "negative high": lambda L: L.randint(-5, (2,)),
    "requires grad": lambda L: L.randint(5, (2,), requires_grad=True),
    "out of the dtype": lambda L: L.randint(300, (2,), dtype=L.uint8),
}


@pytest.mark.parametrize("case", RANDINT_CASES, ids=list(RANDINT_CASES))
def test_randint_forms_match_torch(case):
    make = RANDINT_CASES[case]
    assert _outcome(lambda: make(tg)) == _outcome(lambda: make(torch))


def test_randint_values_lie_in_range():
    values = tg.randint(low=-3, high=4, size=(2000,))
    assert values.min().item() == -3 and values.max().item() == 3


# ----------------------------------------------------------------------------- next_functions
EDGE_CASES = {
    "2 * b": lambda L, a, b, c: 2 * b,
    "b * 2": lambda L, a, b, c: b * 2,
    "2 + b": lambda L, a, b, c: 2 + b,
    "b + 2": lambda L, a, b, c: b + 2,
    "b - 2": lambda L, a, b, c: b - 2,
    "b / 2": lambda L, a, b, c: b / 2,
    "a * b": lambda L, a, b, c: a * b,
    "c * b": lambda L, a, b, c: c * b,
    "b * c": lambda L, a, b, c: b * c,
    "c + b": lambda L, a, b, c: c + b,
    "c - b": lambda L, a, b, c: c - b,
    "b - c": lambda L, a, b, c: b - c,
    "c / b": lambda L, a, b, c: c / b,
    "b / c": lambda L, a, b, c: b / c,
    "matmul": lambda L, a, b, c: L.matmul(c.reshape(1, 2), b.reshape(2, 1)),
    "cat": lambda L, a, b, c: L.cat([a, c, b]),
    "where": lambda L, a, b, c: L.where(c > 0, b, a * 2),
    "gather": lambda L, a, b, c: b.gather(0, L.tensor([1, 0])),
    "index_select": lambda L, a, b, c: b.index_select(0, L.tensor([1])),
    "neg": lambda L, a, b, c: -b,
    "2 * (b * 2)": lambda L, a, b, c: 2 * (b * 2),
}


def _edges(tensor, leaves: dict) -> list:
    found = []
    for node, _ in tensor.grad_fn.next_functions:
        if node is None:
            found.append(None)
        elif hasattr(node, "variable"):
            found.append(leaves[id(node.variable)])
        else:
            found.append("node")
    return found


@pytest.mark.parametrize("case", EDGE_CASES, ids=list(EDGE_CASES))
def test_next_functions_in_torchs_order(case):
    make = EDGE_CASES[case]
    found = []
    for L in (tg, torch):
        a = L.ones(2, requires_grad=True)
        b = L.ones(2, requires_grad=True)
        c = L.ones(2)
        found.append(_edges(make(L, a, b, c), {id(a): "a", id(b): "b"}))
    assert found[0] == found[1]


# ----------------------------------------------------------------------------- engine
def test_backward_with_empty_inputs_raises_like_torch():
    for L in (tg, torch):
        x = L.ones(2, requires_grad=True)
        for empty in ([], ()):
            with pytest.raises(RuntimeError, match="cannot be empty"):
                (x * 2).sum().backward(inputs=empty)
            with pytest.raises(RuntimeError, match="cannot be empty"):
                L.autograd.backward((x * 2).sum(), inputs=empty)
        assert x.grad is None
        with pytest.raises(RuntimeError, match="cannot be empty"):
            L.autograd.grad((x * 2).sum(), [])


def test_backward_with_create_graph_warns_once_about_the_reference_cycle(monkeypatch):
    monkeypatch.setattr(differentiate, "_warned", [False])
    x = tg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="create_graph=True will create a reference cycle"):
        (x * x).sum().backward(create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * x).sum().backward(create_graph=True)  # once per process, as in PyTorch
        tg.autograd.grad((x * x).sum(), x, create_graph=True)
    assert x.grad.tolist() == [4.0, 4.0] and x.grad.requires_grad


def test_autograd_grad_with_create_graph_does_not_warn(monkeypatch):
    monkeypatch.setattr(differentiate, "_warned", [False])
    x = tg.ones(2, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.autograd.grad((x * x).sum(), x, create_graph=True)
