"""ONNX translations of indexing, and of the in-place updates recorded as whole calls.

``x[1:3, None, 0]`` is a ``Slice`` (ints as one-element slices), a ``Squeeze`` of the int
dims and an ``Unsqueeze`` for each None. An integer-array index is a ``Gather`` (one array)
or a ``GatherND`` (arrays over the leading dims). Writing into a region (``x[:, 1:3] = v``,
``F.pad``) pads the values out to the tensor's shape and selects them with a padded mask:
``Where(mask, padded values, x)``, with the pads computed when the model runs, so it works
along dynamic axes too.
"""

from __future__ import annotations

import dataclasses

import numpy

from ..ops.indexing import BasicIndex, Index, IndexPut
from ._capture import Dim
from ._graph import INT64_MAX, INT64_MIN, Graph, Value, translates
from .errors import UnsupportedOperatorError

__all__ = ["put", "operand"]


def _expand(index, ndim: int) -> list:
    """The index items with Ellipsis spelled out and missing trailing dims as full slices."""
    items = list(index) if isinstance(index, tuple) else [index]
    used = sum(1 for item in items if item is not None and item is not Ellipsis)
    spelled = []
    for item in items:
        spelled += [slice(None)] * (ndim - used) if item is Ellipsis else [item]
    if not any(item is Ellipsis for item in items):
        spelled += [slice(None)] * (ndim - used)
    return spelled


def _is_full(item) -> bool:
    return (
        isinstance(item, slice)
        and (item.start is None or (type(item.start) is int and item.start == 0))
        and item.stop is None
        and item.step in (None, 1)
    )


def _next(value):
    """``value + 1`` for an index (a Dim too); -1 + 1 must mean the end, not 0."""
    if isinstance(value, Dim):
        return dataclasses.replace(value, value=value.value + 1, offset=value.offset + 1)
    return INT64_MAX if value == -1 else value + 1


def _slice(graph: Graph, name: str, items: list) -> tuple[str, list, list]:
    """``name`` sliced by the basic ``items`` (ints kept as length-1 dims): the sliced name,
    the int dims (to squeeze) and the output positions of the None items (to unsqueeze)."""
    starts, ends, axes, steps, ints, new = [], [], [], [], [], []
    axis = position = 0
    for item in items:
        if item is None:
            new.append(position)
            position += 1
            continue
        if isinstance(item, slice):
            if not _is_full(item):
                step = 1 if item.step is None else item.step
                starts.append(
                    item.start if item.start is not None else 0 if step > 0 else INT64_MAX
                )
                ends.append(
                    item.stop if item.stop is not None else INT64_MAX if step > 0 else INT64_MIN
                )
                axes.append(axis)
                steps.append(step)
            position += 1
        else:
            starts.append(item)
            ends.append(_next(item))
            axes.append(axis)
            steps.append(1)
            ints.append(axis)
        axis += 1
    if starts:
        name = graph.add(
            "Slice",
            [name, graph.ints(starts), graph.ints(ends), graph.ints(axes), graph.ints(steps)],
        )
    return name, ints, new


@translates(BasicIndex, dynamic=("index",))
def _basic_index(graph, x, index, unique=False):
    name, ints, new = _slice(graph, x.name, _expand(index, x.ndim))
    if ints:
        name = graph.squeeze(name, ints)
    if new:
        name = graph.unsqueeze(name, new)
    return name if name != x.name else graph.add("Identity", [x.name])


def _index_tensor(graph: Graph, item) -> str:
    if isinstance(item, Value):
        return graph.like(item, numpy.int64)
    return graph.constant(numpy.asarray(item, dtype=numpy.int64), "index")


@translates(Index, dynamic=("index",))
def _index(graph, x, index, unique=False):
    items = _expand(index, x.ndim)
    advanced = [k for k, item in enumerate(items) if not isinstance(item, slice)]
    for k in advanced:
        item = items[k]
        if item is None:
            raise UnsupportedOperatorError("Index", "None mixed with integer-array indices")
        if getattr(item, "dtype", None) is not None and numpy.dtype(item.dtype).kind == "b":
            raise UnsupportedOperatorError(
                "Index", "a boolean mask selects a number of elements known only at run time"
            )
    if not all(_is_full(items[k]) for k in range(len(items)) if k not in advanced):
        raise UnsupportedOperatorError("Index", "integer arrays mixed with partial slices")
    if len(advanced) == 1:
        return graph.add(
            "Gather", [x.name, _index_tensor(graph, items[advanced[0]])], axis=advanced[0]
        )
    if advanced != list(range(len(advanced))):
        raise UnsupportedOperatorError("Index", "integer arrays that are not the leading dims")
    shapes = [numpy.shape(getattr(item, "array", item)) for item in (items[k] for k in advanced)]
    common = numpy.broadcast_shapes(*shapes)
    columns = []
    for k, item_shape in zip(advanced, shapes):
        column = _index_tensor(graph, items[k])
        if item_shape != common:
            column = graph.add("Expand", [column, graph.ints(common)])
        columns.append(graph.unsqueeze(column, [-1]))
    return graph.add("GatherND", [x.name, graph.add("Concat", columns, axis=-1)])


@translates("tensorgrad.ops.indexing.getitem", dynamic=("index",))
def _getitem(graph, input, index):  # recorded whole when the index holds a Python list
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(numpy.asarray(i) if isinstance(i, list) else i for i in items)
    if all(not isinstance(i, (Value, numpy.ndarray)) for i in items):
        return _basic_index(graph, input, items)
    if any(type(i) is int for i in items):
        raise UnsupportedOperatorError("getitem", "integers mixed with integer-array indices")
    return _index(graph, input, items)


def operand(graph: Graph, value, dtype) -> str:
    """A Value or a Python number as an ONNX name in ``dtype``."""
    if isinstance(value, Value):
        return graph.like(value, dtype)
    return graph.scalar(value, dtype)


def put(graph: Graph, x: Value, values: str, index) -> str:
    """``x`` with ``values`` (an ONNX name in x's dtype) written at the basic ``index``."""
    items = _expand(index, x.ndim)
    for item in items:
        if not isinstance(item, (slice, int, Dim)) or (
            isinstance(item, slice) and item.step not in (None, 1)
        ):
            raise UnsupportedOperatorError(
                "IndexPut", "only ints and step-1 slices can be written into"
            )
    region, ints, _ = _slice(graph, x.name, items)
    shaped = graph.squeeze(region, ints) if ints else region
    values = graph.add("Expand", [values, graph.shape(shaped)])
    if ints:
        values = graph.unsqueeze(values, ints)
    befores, afters = [], []
    for axis, item in enumerate(items):
        if _is_full(item):
            befores.append(0)
            afters.append(0)
            continue
        start, stop = (item.start, item.stop) if isinstance(item, slice) else (item, _next(item))
        size = graph.dim(x.name, axis)
        begin = _offset(graph, start, size, 0)
        befores.append(begin)
        if stop is None or stop == INT64_MAX:
            afters.append(0)
        else:  # size - min(stop, size), stop counted from the end when negative
            end = _offset(graph, stop, size, None)
            after = graph.add("Sub", [size, end])
            afters.append(graph.add("Max", [after, graph.ints([0])]))
    pads = graph.concat_ints(befores + afters)
    zero = graph.constant(numpy.zeros((), dtype=x.dtype))
    padded = graph.add("Pad", [values, pads, zero])
    true = graph.constant(numpy.ones((), dtype=bool))
    mask = graph.add("Expand", [true, graph.shape(values)])
    mask = graph.add("Pad", [mask, pads, graph.constant(numpy.zeros((), dtype=bool))])
    return graph.add("Where", [mask, padded, x.name])


def _offset(graph: Graph, position, size: str, default):
    """A slice bound as a non-negative position: an int, a Dim, or a name computed at run time."""
    if position is None:
        return default
    if isinstance(position, Dim):
        return graph.size(position)
    if position >= 0:
        return graph.add("Min", [graph.ints([position]), size]) if default is None else position
    return graph.add("Max", [graph.add("Add", [size, graph.ints([position])]), graph.ints([0])])


@translates(IndexPut, dynamic=("index",))
def _index_put(graph, x, values, index):
    return put(graph, x, graph.like(values, x.dtype), index)


# ---------------------------------------------------------------------- in-place calls
_INPLACE = "tensorgrad.ops.inplace."


@translates(_INPLACE + "setitem", dynamic=("index",), inplace=True)
def _setitem(graph, self, index, value):
    return put(graph, self, operand(graph, value, self.dtype), index)


@translates(_INPLACE + "copy_", inplace=True)
def _copy_(graph, self, src, non_blocking=False):
    return graph.add("Expand", [graph.like(src, self.dtype), graph.shape(self.name)])


def _arithmetic_(op_type: str):
    def update(graph, self, other, *, alpha=1):
        dtype = numpy.result_type(self.dtype, getattr(other, "dtype", other))
        other_name = operand(graph, other, dtype)
        if alpha != 1:
            other_name = graph.add("Mul", [other_name, graph.scalar(alpha, dtype)])
        result = graph.add(op_type, [graph.like(self, dtype), other_name])
        return graph.cast(result, dtype, self.dtype)

    return update


for _name, _op_type in (("add_", "Add"), ("sub_", "Sub"), ("mul_", "Mul"), ("div_", "Div")):
    translates(_INPLACE + _name, inplace=True)(_arithmetic_(_op_type))


@translates(_INPLACE + "fill_", inplace=True)
def _fill_(graph, self, value):
    return graph.add("Expand", [operand(graph, value, self.dtype), graph.shape(self.name)])


@translates(_INPLACE + "zero_", inplace=True)
def _zero_(graph, self):
    return _fill_(graph, self, 0)


@translates(_INPLACE + "clamp_", inplace=True)
def _clamp_(graph, self, min=None, max=None):  # noqa: A002 - PyTorch's names
    out = self.name
    if min is not None:
        out = graph.add("Max", [out, operand(graph, min, self.dtype)])
    if max is not None:
        out = graph.add("Min", [out, operand(graph, max, self.dtype)])
    return out


@translates(_INPLACE + "masked_fill_", inplace=True)
def _masked_fill_(graph, self, mask, value):
    test = graph.like(mask, numpy.bool_)
    return graph.add("Where", [test, operand(graph, value, self.dtype), self.name])
