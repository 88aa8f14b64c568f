"""``einsum``: Einstein summation over any number of operands.

The public function reads PyTorch's equation (implicit or explicit output, ``...``, spaces,
repeated subscripts, the sublist form) with ``_einsum_equation``, which reduces it to one
canonical form: letters only, every ellipsis spelled out in fresh letters, an explicit
output, size-1 dims broadcast. The primitive ``Einsum`` computes that form: each operand's
diagonals and the dims nothing else needs first, then pairwise products in NumPy's greedy
order, each one BLAS ``matmul`` (as PyTorch does), or a broadcast multiply when nothing is
summed.

The gradient of an operand is itself an einsum of the upstream gradient with the other
operands, so double backward needs no second formula. A subscript repeated in the operand
(a diagonal) takes an identity matrix as an extra operand; one summed out of that operand
alone takes a vector of ones (its gradient is broadcast along it).
"""

from __future__ import annotations

import functools
import math

from .. import _backend
from .._backend import array_module
from .._registry import op
from ..tensor import Tensor
from ._einsum_equation import next_letter, plan, sublist_equation, unused_letters
from ._op import Op
from .conversion import cast


class Einsum(Op):
    """out = Σ Π operands, over the subscripts missing from the output (canonical form:
    letters only, explicit output, every letter of one size across operands)"""

    @staticmethod
    def forward(ctx, *arrays, subscripts, output):
        need = ctx.needs_input_grad[: len(arrays)]
        if any(need):
            ctx.subscripts, ctx.output_subscripts = subscripts, output
            ctx.sizes = {
                letter: size
                for subs, array in zip(subscripts, arrays, strict=True)
                for letter, size in zip(subs, array.shape, strict=True)
            }
            others_need = [sum(need) - n > 0 for n in need]
            ctx.save_for_backward(
                *(a if other else None for a, other in zip(arrays, others_need, strict=True))
            )
        return _contract(ctx.xp, subscripts, output, arrays)

    @staticmethod
    def backward(ctx, grad):  # d/d operand k = einsum(grad, the other operands -> subs k)
        operands = ctx.saved_tensors
        return tuple(
            _operand_gradient(ctx, grad, operands, k) if need else None
            for k, need in enumerate(ctx.needs_input_grad)
        )


def _operand_gradient(ctx, grad, operands, k: int):
    subscripts, output, sizes = ctx.subscripts, ctx.output_subscripts, ctx.sizes
    target = subscripts[k]
    terms = [output] + [s for j, s in enumerate(subscripts) if j != k]
    arrays = [grad] + [a for j, a in enumerate(operands) if j != k]
    fresh = iter(unused_letters(set(output).union(*subscripts)))
    constants, renamed = [], []
    for letter in target:  # the diagonal: δ(i, i') for each repeat of i
        if letter in renamed:
            twin = next_letter(fresh)
            constants.append((letter + twin, "eye", sizes[letter]))
            renamed.append(twin)
        else:
            renamed.append(letter)
    available = set("".join(terms + [subs for subs, _, _ in constants]))
    for letter in dict.fromkeys(target):  # summed out of this operand alone: broadcast back
        if letter not in available:
            constants.append((letter, "ones", sizes[letter]))
    as_tensors = isinstance(grad, Tensor)
    data = grad._data if as_tensors else grad
    xp = array_module(data)
    for subs, kind, size in constants:
        array = xp.eye(size, dtype=data.dtype) if kind == "eye" else xp.ones(size, data.dtype)
        terms.append(subs)
        arrays.append(Tensor(array) if as_tensors else array)
    return Einsum.apply(*arrays, subscripts=tuple(terms), output="".join(renamed))


def _contract(xp, subscripts, output: str, arrays):
    """The canonical einsum on arrays: per-operand reductions, then pairwise products."""
    reductions, steps, last = _program(subscripts, output, tuple(a.shape for a in arrays))
    operands = []
    for array, (kind, argument) in zip(arrays, reductions, strict=True):
        if kind == "sum":
            array = array.sum(axis=argument, dtype=array.dtype)  # NumPy's sum widens ints
        elif kind == "einsum":
            array = xp.einsum(argument, array)
        operands.append(array)
    for step, pairs in steps:  # NumPy's path: remove these operands, append their product
        group = [operands.pop(i) for i in sorted(step, reverse=True)][::-1]
        array = group[0]
        for other, (order_a, shape_a, order_b, shape_b, summed, shape) in zip(
            group[1:], pairs, strict=True
        ):
            a = array.transpose(order_a).reshape(shape_a)
            b = other.transpose(order_b).reshape(shape_b)
            array = (xp.matmul(a, b) if summed else a * b).reshape(shape)
        operands.append(array)
    result = operands[0].transpose(last)
    if any(xp.may_share_memory(result, array) for array in arrays):
        result = result.copy()  # an op's output never aliases its input
    return result


@functools.lru_cache(maxsize=512)
def _program(subscripts: tuple, output: str, shapes: tuple):
    """What ``_contract`` does for these subscripts and shapes (planned once, then cached):
    each operand's reduction, the contraction steps and the final transpose."""
    reductions, operands = [], []
    for k, (subs, shape) in enumerate(zip(subscripts, shapes, strict=True)):
        needed = set(output).union(*(s for j, s in enumerate(subscripts) if j != k))
        keep = "".join(dict.fromkeys(letter for letter in subs if letter in needed))
        if keep == subs:
            reductions.append((None, None))
        elif len(set(subs)) == len(subs):  # no diagonal: a plain sum keeps the order
            reductions.append(("sum", tuple(i for i, s in enumerate(subs) if s not in needed)))
        else:
            reductions.append(("einsum", f"{subs}->{keep}"))
        size = dict(zip(subs, shape, strict=True))
        operands.append((keep, tuple(size[letter] for letter in keep)))
    if len(operands) > 2:
        path = _greedy_path([s for s, _ in operands], output, [shape for _, shape in operands])
    else:
        path = [(0, 1)] if len(operands) == 2 else []
    steps = []
    for step in path:
        group = [operands.pop(i) for i in sorted(step, reverse=True)][::-1]
        subs, shape = group[0]
        pairs = []
        for index, (subs_b, shape_b) in enumerate(group[1:], start=2):
            remaining = set(output).union(*(s for s, _ in operands + group[index:]))
            layout, subs, shape = _pair(subs, shape, subs_b, shape_b, remaining)
            pairs.append(layout)
        steps.append((step, pairs))
        operands.append((subs, shape))
    subs = operands[0][0]
    return reductions, steps, tuple(subs.index(letter) for letter in output)


def _greedy_path(subscripts: list[str], output: str, shapes: list[tuple]) -> list[tuple]:
    """NumPy's greedy contraction order, computed on stand-ins of the right shapes."""
    numpy = _backend.default_module
    stand_ins = [numpy.broadcast_to(numpy.empty(()), shape) for shape in shapes]
    equation = ",".join(subscripts) + "->" + output
    return numpy.einsum_path(equation, *stand_ins, optimize="greedy")[0][1:]


def _pair(subs_a: str, shape_a: tuple, subs_b: str, shape_b: tuple, remaining: set):
    """How to multiply two operands, summing the letters they share that nothing else needs:
    one batched ``matmul`` (batch, left, summed) @ (batch, summed, right), or a broadcast
    multiply when nothing is summed (no matmul of 1×1 blocks). Returns the layout
    ``(order_a, shape_a, order_b, shape_b, summed, result shape)``, the result's
    subscripts and its shape."""
    batch = [s for s in subs_a if s in subs_b and s in remaining]
    summed = [s for s in subs_a if s in subs_b and s not in remaining]
    left = [s for s in subs_a if s not in subs_b]
    right = [s for s in subs_b if s not in subs_a]
    size = dict(zip(subs_a, shape_a, strict=True)) | dict(zip(subs_b, shape_b, strict=True))
    order_a = tuple(subs_a.index(s) for s in batch + left + summed)
    order_b = tuple(subs_b.index(s) for s in batch + summed + right)
    batch_shape = tuple(size[s] for s in batch)
    left_shape, right_shape = tuple(size[s] for s in left), tuple(size[s] for s in right)
    shape = batch_shape + left_shape + right_shape
    if summed:
        n_left, n_right = math.prod(left_shape), math.prod(right_shape)
        n_summed = math.prod(size[s] for s in summed)
        lead = (math.prod(batch_shape),) if batch else ()
        layout = (order_a, (*lead, n_left, n_summed), order_b, (*lead, n_summed, n_right), True)
    else:
        layout = (
            order_a,
            batch_shape + left_shape + (1,) * len(right),
            order_b,
            batch_shape + (1,) * len(left) + right_shape,
            False,
        )
    return (*layout, shape), "".join(batch + left + right), shape


@op("einsum", methods=(), numpy=("einsum",))
def einsum(*args) -> Tensor:
    """Einstein summation: ``einsum(equation, *operands)`` (or the operands as one list).

    The equation names each operand's dims with letters (``"bij,bjk->bik"``); letters
    missing from the output are summed over, a letter repeated in one operand takes its
    diagonal (``"ii->i"``), ``...`` stands for broadcast leading dims, and without ``->`` the
    output is the ellipsis dims then the letters seen once, in alphabetical order
    (uppercase first). PyTorch's sublist form ``einsum(op0, [0, 1], op1, [1, 2], [0, 2])``
    works too.

    Shapes: each letter has one size across the operands, or 1 (broadcast); the result has
    one dim per output letter. Dtypes: integer and bool operands summed over a dim of their
    own become int64 as in ``sum``; operands contracted together must share a dtype
    (RuntimeError otherwise, as in PyTorch); the others promote like ``mul``. Three or more
    operands are contracted pairwise in NumPy's greedy order, each product one ``matmul``.

    Example: ``einsum("bhqd,bhkd->bhqk", q, k)`` is attention's (B, H, Tq, Tk) scores.
    """
    if not args or (isinstance(args[0], str) and len(args) == 1):
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, or at least "
            "one operand and its subscripts list"
        )
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = sublist_equation(args)
    for index, operand in enumerate(operands):
        if isinstance(operand, _backend.ndarray):
            operands[index] = Tensor(operand)
        elif not isinstance(operand, Tensor):
            raise TypeError(
                f"einsum(): expected Tensor as element {index} of the operands, but got "
                f"{type(operand).__name__}"
            )
    subscripts, output, shapes, dtype = plan(
        equation, tuple(o._data.shape for o in operands), tuple(o._data.dtype for o in operands)
    )
    prepared = []
    for operand, shape in zip(operands, shapes, strict=True):
        if operand._data.shape != shape:
            operand = operand.expand(*shape)
        prepared.append(cast(operand, dtype))
    return Einsum.apply(*prepared, subscripts=subscripts, output=output)
