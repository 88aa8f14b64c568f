"""What the exporter records: the model's call once, under the compiler's recorder, and once
more per dynamic axis with that axis resized.

A recording holds plain numbers: the shape a ``view`` was given, the end of a slice, the size of
a ``zeros`` of initial states. Which of them are the batch size in disguise? Comparing the
recordings tells: a number that moved when the batch axis was resized is written as a function
of it (:class:`Dim`, e.g. ``4·batch``), one that did not is a constant. A value that moved in a
way no such function describes becomes :class:`Varying`, and the op that reads it refuses to
export with a message naming the op and the axis.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

from .._backend import default_module as numpy_module
from .._backend import ndarray
from ..autograd.grad_mode import no_grad
from ..compiler._compiled import record_call
from ..compiler._steps import Ref
from ..tensor import Tensor
from .errors import OnnxExporterError

__all__ = ["Dim", "Varying", "Triangle", "Capture", "capture", "recorded", "is_symbolic"]


@dataclasses.dataclass(frozen=True)
class Dim:
    """A size known only when the model runs: ``scale · Π symbols + offset``.

    ``value`` is what it was in the export's own call (``Dim(8, ("batch",), 4)`` is ``4·batch``
    and was 8 for a batch of 2).
    """

    value: int
    symbols: tuple[str, ...]
    scale: int = 1
    offset: int = 0

    def __str__(self) -> str:
        text = "*".join(self.symbols)
        if self.scale != 1:
            text = f"{self.scale}*{text}"
        if self.offset:
            text += f"{self.offset:+d}"
        return text


@dataclasses.dataclass(frozen=True)
class Triangle:
    """A bool constant that is a triangle of a matrix whose size follows a dynamic axis (the
    causal mask of ``tril``/``triu``): True on and below diagonal ``diagonal`` (``upper``:
    on and above it), of ``shape`` (sizes may be :class:`Dim`)."""

    shape: tuple
    upper: bool
    diagonal: int


class Varying:
    """A value that changed with a dynamic axis in a way no :class:`Dim` describes."""

    __slots__ = ("value", "symbols")

    def __init__(self, value, symbols):
        self.value, self.symbols = value, tuple(symbols)

    def __repr__(self) -> str:
        return f"Varying({self.value!r}, {self.symbols})"


def recorded(value):
    """``value`` with every :class:`Dim` and :class:`Varying` back to its recorded value."""
    if isinstance(value, (Dim, Varying)):
        return value.value
    if type(value) in (tuple, list):
        return type(value)(recorded(item) for item in value)
    if isinstance(value, slice):
        return slice(recorded(value.start), recorded(value.stop), recorded(value.step))
    return value


def is_symbolic(value) -> bool:
    """Whether ``value`` (a parameter, possibly nested) holds a :class:`Dim` or :class:`Varying`."""
    if isinstance(value, (Dim, Varying)):
        return True
    if isinstance(value, (tuple, list)):
        return any(is_symbolic(item) for item in value)
    if isinstance(value, dict):
        return any(is_symbolic(item) for item in value.values())
    if isinstance(value, slice):
        return any(is_symbolic(v) for v in (value.start, value.stop, value.step))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(is_symbolic(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


@dataclasses.dataclass
class Capture:
    """One recording with its numbers unified across the resized calls.

    ``steps`` are the recorder's steps; ``arguments[i]`` is step i's parameters (an op's keyword
    parameters, or a call's ``(args, kwargs)`` template) with :class:`Dim`\\ s in place of sizes;
    ``constants`` maps each external register to its array, or a :class:`Dim` / :class:`Varying`
    for a constant that changed; ``output_shapes`` maps the result's registers to their shapes.
    """

    steps: list
    arguments: list
    values: list
    inputs: list  # (register, position in the flattened arguments)
    externals: list  # (register, tensor)
    constants: dict
    flat_args: list
    result: object
    outputs: list  # the result's tensors, flattened
    output_registers: list
    output_shapes: dict


def capture(function, args: tuple, kwargs: dict, dynamic: dict) -> Capture:
    """Record ``function(*args, **kwargs)``; ``dynamic`` maps each symbol to the
    ``(flattened argument position, axis)`` pairs that carry it."""
    result, base = _record(function, args, kwargs, "")
    flat = base.flat_args
    traces = []
    for symbol, places in dynamic.items():
        sizes = {flat[position].shape[axis] for position, axis in places}
        if len(sizes) != 1:
            raise OnnxExporterError(
                f"onnx.export: dynamic axis '{symbol}' has different sizes {sorted(sizes)} in the "
                f"example inputs; give the inputs that share it the same size"
            )
        size = sizes.pop()
        # Smaller when it can be (a model may cap a length: a table of positions), never 1
        # (a size of 1 broadcasts, so ops could differ for that reason alone).
        new_size = size - 1 if size >= 3 else size + 2
        resized = {}
        for position, axis in places:
            tensor = flat[position]
            array = resized.get(id(tensor), tensor._data)
            picks = numpy_module.arange(new_size) % size
            resized[id(tensor)] = numpy_module.take(array, picks, axis=axis)
        new_args, new_kwargs = _substitute((args, kwargs), resized)
        what = f" with dynamic axis '{symbol}' resized from {size} to {new_size}"
        other_result, trace = _record(function, new_args, new_kwargs, what)
        traces.append((symbol, size, new_size, trace, other_result))
    return _unify_recordings(result, base, traces)


def _record(function, args, kwargs, what: str):
    try:
        with no_grad():
            result, recorder = record_call(function, args, kwargs)
    except OnnxExporterError:
        raise
    except Exception as error:
        if not what:
            raise
        raise OnnxExporterError(
            f"onnx.export: the model failed when called{what} ({type(error).__name__}: {error}); "
            f"declare the axis dynamic on every input that shares it, or leave it static"
        ) from error
    if recorder.problem is not None:
        raise OnnxExporterError(
            f"onnx.export: the model's call cannot be captured{what}: {recorder.problem}"
        )
    return result, recorder


def _substitute(value, arrays: dict):
    """``value`` with the tensors whose id is in ``arrays`` replaced by tensors of those arrays."""
    if isinstance(value, Tensor):
        return Tensor(arrays[id(value)]) if id(value) in arrays else value
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_substitute(item, arrays) for item in value))
    if type(value) in (tuple, list):
        return type(value)(_substitute(item, arrays) for item in value)
    if type(value) is dict:
        return {key: _substitute(item, arrays) for key, item in value.items()}
    return value


def _parameters(step) -> object:
    """An op step's parameters (arrays made in the call as their templates) or a call's
    ``(args, kwargs)`` template."""
    if hasattr(step, "op"):
        params = dict(step.params)
        for name, template, _ in step.dynamic:
            params[name] = template
        return params
    return step.template


def _describe(step) -> str:
    if hasattr(step, "op"):
        return step.op.__name__
    function = getattr(step, "function", None)
    return getattr(function, "__qualname__", type(step).__name__)


def _unify_recordings(result, base, traces) -> Capture:
    steps = base.steps
    for symbol, size, new_size, trace, _ in traces:
        if len(trace.steps) != len(steps) or trace.n_slots != base.n_slots:
            raise _changed(symbol, size, new_size, "a different number of ops")
        for mine, theirs in zip(steps, trace.steps):
            same = (
                type(mine) is type(theirs)
                and getattr(mine, "op", None) is getattr(theirs, "op", None)
                and getattr(mine, "function", None) == getattr(theirs, "function", None)
                and _registers(mine) == _registers(theirs)
            )
            if not same:
                raise _changed(symbol, size, new_size, f"other ops from '{_describe(mine)}' on")
    arguments = []
    for index, step in enumerate(steps):
        others = [
            (symbol, size, new_size, _parameters(trace.steps[index]))
            for symbol, size, new_size, trace, _ in traces
        ]
        arguments.append(_unify(_parameters(step), others))
    constants = {}
    for position, (register, tensor) in enumerate(base.externals):
        others = []
        for symbol, size, new_size, trace, _ in traces:
            other = trace.externals[position][1] if position < len(trace.externals) else None
            if other is None or trace.externals[position][0] != register:
                raise _changed(symbol, size, new_size, "other parameters or constants")
            others.append((symbol, size, new_size, other._data))
        constants[register] = _unify_constant(tensor._data, others)
    outputs = _flatten_result(result)
    registers = [base.slot_of.get(id(t)) for t in outputs]
    shapes = {}
    for k, register in enumerate(registers):
        others = []
        for symbol, size, new_size, _, other_result in traces:
            other_outputs = _flatten_result(other_result)
            others.append((symbol, size, new_size, tuple(other_outputs[k].shape)))
        shapes[register] = _unify(tuple(outputs[k].shape), others)
    return Capture(
        steps=steps,
        arguments=arguments,
        values=base.values,
        inputs=base.tensor_inputs,
        externals=base.externals,
        constants=constants,
        flat_args=base.flat_args,
        result=result,
        outputs=outputs,
        output_registers=registers,
        output_shapes=shapes,
    )


def _registers(step) -> tuple:
    inputs = getattr(step, "inputs", None)
    if inputs is None:
        inputs = [ref.slot for ref in getattr(step, "refs", ())]
    return tuple(inputs), tuple(getattr(step, "outputs", ()))


def _changed(symbol, size, new_size, what: str) -> OnnxExporterError:
    return OnnxExporterError(
        f"onnx.export: the model runs {what} when dynamic axis '{symbol}' is resized from {size} "
        f"to {new_size}: its ops depend on that size, so it cannot be exported with the axis "
        f"dynamic (export it with that axis static)"
    )


def _flatten_result(value) -> list:
    """The tensors of a call's result, in order (tuples, lists, dict values, nested)."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _flatten_result(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _flatten_result(item)]
    return []


def _unify(base, others: list):
    """``base`` (from the export's call) with what changed in the resized calls (``others``:
    ``(symbol, size, new size, the same value there)``) written as :class:`Dim` or
    :class:`Varying`."""
    if isinstance(base, Ref) or base is None or isinstance(base, (str, bool)):
        return base
    if isinstance(base, numbers.Integral):
        changes = [(s, size, new, int(v)) for s, size, new, v in others if v != base]
        return _fit(int(base), changes) if changes else base
    if isinstance(base, numbers.Number):
        changed = [s for s, _, _, v in others if v != base]
        return Varying(base, changed) if changed else base
    if isinstance(base, tuple) and hasattr(base, "_fields"):
        return type(base)(*_unify(tuple(base), [(*o[:3], tuple(o[3])) for o in others]))
    if type(base) in (tuple, list):
        if any(type(v) is not type(base) or len(v) != len(base) for *_, v in others):
            return Varying(base, [s for s, *_ in others])
        return type(base)(
            _unify(item, [(*o[:3], o[3][k]) for o in others]) for k, item in enumerate(base)
        )
    if isinstance(base, slice):
        parts = [
            _unify(getattr(base, name), [(*o[:3], getattr(o[3], name)) for o in others])
            for name in ("start", "stop", "step")
        ]
        return slice(*parts)
    if type(base) is dict:
        return {
            key: _unify(item, [(*o[:3], o[3].get(key)) for o in others])
            for key, item in base.items()
        }
    if dataclasses.is_dataclass(base) and not isinstance(base, type):
        fields = {
            f.name: _unify(getattr(base, f.name), [(*o[:3], getattr(o[3], f.name)) for o in others])
            for f in dataclasses.fields(base)
        }
        if not any(is_symbolic(v) for v in fields.values()):
            return base
        unified = object.__new__(type(base))  # no __post_init__ checks on symbolic sizes
        for name, value in fields.items():
            object.__setattr__(unified, name, value)
        return unified
    if type(base) is ndarray:
        changed = [
            s
            for s, _, _, v in others
            if type(v) is not ndarray
            or v.shape != base.shape
            or not numpy_module.array_equal(v, base)
        ]
        return Varying(base, changed) if changed else base
    return base


def _unify_constant(array, others: list):
    changed = [
        o for o in others if o[3].shape != array.shape or not numpy_module.array_equal(o[3], array)
    ]
    if not changed:
        return array
    if array.ndim == 0 and float(array) == int(array):
        fitted = _fit(int(array), [(s, size, new, float(v)) for s, size, new, v in changed])
        if isinstance(fitted, Dim):
            return fitted
    if array.dtype == bool and array.ndim >= 2:
        shapes = [(*o[:3], o[3].shape) for o in changed]
        triangles = {_triangle(a) for a in [array] + [o[3] for o in changed]}
        if len(triangles) == 1 and None not in triangles:
            upper, diagonal = triangles.pop()
            return Triangle(_unify(array.shape, shapes), upper, diagonal)
    return Varying(array, [o[0] for o in changed])


def _triangle(array):
    """``(upper, diagonal)`` if ``array`` (…, R, C) is a triangle of True in every matrix."""
    rows, columns = array.shape[-2:]
    for upper in (False, True):
        lower = ~array if upper else array  # the complement of an upper triangle is a lower one
        counts = lower.reshape(-1, rows, columns)[0].sum(axis=1)
        inside = [c - i - 1 for i, c in enumerate(counts) if 0 < c < columns]
        diagonal = inside[0] if inside else (columns - 1 if counts[0] == columns else -rows)
        expected = numpy_module.tri(rows, columns, k=diagonal, dtype=bool)
        if numpy_module.array_equal(numpy_module.broadcast_to(expected, array.shape), lower):
            return (True, diagonal + 1) if upper else (False, diagonal)
    return None


def _fit(value: int, changes: list):
    """``value`` as ``scale·Π symbols + offset`` from how it changed, or :class:`Varying`.

    One symbol: the line through the two sizes (integer slope and offset). Several: a product
    ``scale · Π symbols`` that every resized call agrees with.
    """
    symbols = tuple(symbol for symbol, *_ in changes)
    if len(changes) == 1:
        symbol, size, new_size, new_value = changes[0]
        rise = new_value - value
        if rise != int(rise) or rise % (new_size - size):
            return Varying(value, symbols)
        scale = int(rise) // (new_size - size)
        return Dim(value, symbols, scale, value - scale * size)
    product = math.prod(size for _, size, _, _ in changes)
    if value % product:
        return Varying(value, symbols)
    scale = value // product
    for _, size, new_size, new_value in changes:
        if new_value != scale * product // size * new_size:
            return Varying(value, symbols)
    return Dim(value, symbols, scale)
