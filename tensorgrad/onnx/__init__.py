"""``tensorgrad.onnx``: export a model to ONNX (PyTorch's ``torch.onnx.export``).

The model runs once on the example arguments, in eval mode and without grad, while the
recorder of ``tensorgrad.compile`` writes down every op; each recorded op becomes ONNX nodes,
parameters and buffers become initializers named like ``state_dict``'s keys. A dynamic axis
(``dynamic_axes``) is found by running the model once more with that axis resized: the sizes
that move with it (a ``view(batch, -1)``, a ``zeros`` of initial states) are computed from the
input's shape when the ONNX model runs. Needs the ``onnx`` package (``pip install
tensorgrad[onnx]``); ONNX Runtime runs the result.

    tensorgrad.onnx.export(model, (images,), "model.onnx", input_names=["images"],
                           output_names=["logits"], dynamic_axes={"images": {0: "batch"},
                                                                  "logits": {0: "batch"}})
"""

from __future__ import annotations

import enum
import importlib
import inspect
import os
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING, BinaryIO

import numpy

from ..tensor import Tensor
from . import _calls, _indexing, _layers, _ops, errors  # noqa: F401 - they fill the translation table
from ._capture import capture
from ._export import build_model
from .errors import OnnxExporterError, UnsupportedOperatorError

if TYPE_CHECKING:
    import onnx

__all__ = [
    "export",
    "is_in_onnx_export",
    "TrainingMode",
    "OnnxExporterError",
    "UnsupportedOperatorError",
    "errors",
    "DEFAULT_OPSET",
    "MIN_OPSET",
]

DEFAULT_OPSET = 18  # what PyTorch's exporter writes by default; ONNX Runtime ≥ 1.14 runs it
MIN_OPSET = 15  # Shape(start=, end=) and the ops used here exist from opset 15
_exporting = [0]


class TrainingMode(enum.IntEnum):
    """How ``export`` treats the model's training flag (PyTorch's ``torch.onnx.TrainingMode``).
    ``EVAL`` (the default) exports eval-mode behaviour; ``PRESERVE`` keeps the model's mode;
    ``TRAINING`` exports training mode (fails on dropout, which draws random numbers)."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def is_in_onnx_export() -> bool:
    """True while :func:`export` runs the model (for code that must trace differently)."""
    return _exporting[0] > 0


def export(
    model: Callable,
    args=(),
    f: str | os.PathLike | BinaryIO | None = None,
    *,
    kwargs: dict | None = None,
    verbose: bool | None = None,
    input_names=None,
    output_names=None,
    opset_version: int | None = None,
    dynamo: bool = True,
    external_data: bool = True,
    dynamic_shapes=None,
    custom_translation_table=None,
    report: bool = False,
    optimize: bool = True,
    verify: bool = False,
    profile: bool = False,
    dump_exported_program: bool = False,
    artifacts_dir=".",
    export_params: bool = True,
    keep_initializers_as_inputs: bool = False,
    dynamic_axes=None,
    training: TrainingMode = TrainingMode.EVAL,
    operator_export_type=None,
    do_constant_folding: bool = True,
    custom_opsets=None,
    export_modules_as_functions=False,
    autograd_inlining: bool = True,
) -> onnx.ModelProto:
    """Export ``model`` to ONNX, with PyTorch's ``torch.onnx.export`` arguments.

    The model runs on ``args`` (in eval mode, without grad) and what it computed becomes the
    graph: the file gives the model's outputs for inputs of the example's shapes, and of any
    size along ``dynamic_axes``. Python decisions (a branch on a shape) are those of the
    example; a decision that changes when a dynamic axis is resized is an error.

    Args:
        model: a Module (or any callable of tensors).
        args: the example input: a tensor or a tuple of arguments (tensors, nested tuples and
            lists of tensors, other values taken as constants); a trailing dict is keyword
            arguments, as in PyTorch.
        f: a path or a binary file object to write to; None writes nothing.
        kwargs: keyword arguments of the call.
        verbose: print the graph.
        input_names: the graph's input names, in the order of the flattened arguments
            (default: ``forward``'s parameter names).
        output_names: its output names, in the order of the flattened results (default:
            ``output``, or ``output_0``, ``output_1``…).
        opset_version: the ONNX opset (default :data:`DEFAULT_OPSET` = 18; 15 or later).
        dynamic_axes: ``{name: {axis: symbol}}`` or ``{name: [axes]}`` for inputs and outputs
            whose size may change (a batch, a sequence length).
        export_params: store parameters in the file (False: they become graph inputs).
        keep_initializers_as_inputs: also list the initializers as graph inputs.
        verify: run the exported model with ONNX Runtime on ``args`` and raise if its
            outputs differ from the model's (rtol and atol 1e-4).
        training: :class:`TrainingMode` (default EVAL).

    PyTorch's other options (``dynamo``, ``external_data``, ``report``, ``optimize``,
    ``profile``, ``dump_exported_program``, ``artifacts_dir``, ``operator_export_type``,
    ``do_constant_folding``, ``custom_opsets``, ``export_modules_as_functions``,
    ``autograd_inlining``) are accepted for its scripts and change nothing: tensorgrad has one
    exporter. ``dynamic_shapes`` and ``custom_translation_table`` are refused: use
    ``dynamic_axes``.

    Returns:
        The ``onnx.ModelProto`` (also written to ``f``).

    Example::

        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
        tensorgrad.onnx.export(model, tensorgrad.randn(1, 8, 8), "digits.onnx",
                               input_names=["images"], output_names=["logits"],
                               dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
        # ONNX Runtime then takes images of shape (N, 8, 8) and returns logits (N, 10)

    Raises:
        UnsupportedOperatorError: an op has no ONNX translation (the message names it).
        OnnxExporterError: the call cannot be captured, a name or dynamic axis is wrong, or
            the model's ops change when a dynamic axis is resized.
    """
    try:
        import onnx
    except ImportError as error:
        raise ImportError(
            "onnx.export needs the onnx package: pip install onnx (or tensorgrad[onnx])"
        ) from error
    if dynamic_shapes is not None:
        raise OnnxExporterError(
            "onnx.export: dynamic_shapes is not supported; give dynamic_axes={'input': {0: "
            "'batch'}, ...} instead"
        )
    if custom_translation_table:
        raise OnnxExporterError("onnx.export: custom_translation_table is not supported")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise OnnxExporterError(
            f"onnx.export: opset_version {opset} is not supported: choose {MIN_OPSET} to "
            f"{onnx.defs.onnx_opset_version()} (the installed onnx's newest)"
        )
    args, kwargs = _split_arguments(args, kwargs)

    modes = [(m, m.training) for m in _modules(model)]
    if training == TrainingMode.EVAL:
        for module, _ in modes:
            module.training = False
    elif training == TrainingMode.TRAINING:
        for module, _ in modes:
            module.training = True
    _exporting[0] += 1
    try:
        flat = _flat_arguments(args, kwargs)
        names = _input_names(model, args, kwargs, flat, input_names)
        dynamic = _dynamic_axes(dynamic_axes)
        places = _places(dynamic, names, flat)
        recording = capture(model, args, kwargs, places)
        outputs = _output_names(len(recording.outputs), output_names)
        unknown = set(dynamic) - set(names.values()) - set(outputs)
        if unknown:
            raise OnnxExporterError(
                f"onnx.export: dynamic_axes names {sorted(unknown)}, which are not input or "
                f"output names (inputs {list(names.values())}, outputs {outputs})"
            )
        input_list = [names[position] for _, position in recording.inputs]
        model_proto = build_model(
            recording,
            input_names=input_list,
            output_names=outputs,
            dynamic_names=dynamic,
            opset=opset,
            parameter_names=_parameter_names(model),
            export_params=export_params,
            keep_initializers_as_inputs=keep_initializers_as_inputs,
            producer_version=_version(),
        )
    finally:
        _exporting[0] -= 1
        for module, mode in modes:
            module.training = mode
    onnx.checker.check_model(model_proto)
    if verbose:
        print(onnx.helper.printable_graph(model_proto.graph))
    if verify:
        _verify(model_proto, recording, input_list)
    if f is not None:
        onnx.save_model(model_proto, f)
    return model_proto


def _split_arguments(args, kwargs):
    if isinstance(args, Tensor) or not isinstance(args, tuple):
        args = (args,)
    if args and isinstance(args[-1], dict) and kwargs is None:  # PyTorch's trailing dict
        args, kwargs = args[:-1], args[-1]
    return args, dict(kwargs or {})


def _modules(model) -> list:
    modules = getattr(model, "modules", None)
    return list(modules()) if callable(modules) else []


def _flat_arguments(args: tuple, kwargs: dict) -> list:
    """The tensors of the call, in the order the recorder numbers them."""
    flat: list = []

    def walk(value):
        if isinstance(value, Tensor):
            flat.append(value)
        elif isinstance(value, numpy.ndarray):
            raise OnnxExporterError(
                f"onnx.export: an argument is a NumPy array of shape {value.shape}; pass "
                f"tensors (tensorgrad.from_numpy(array))"
            )
        elif isinstance(value, (tuple, list)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk((args, kwargs))
    return flat


def _input_names(model, args: tuple, kwargs: dict, flat: list, given) -> dict:
    """``{position in flat: name}``: ``given`` first, then ``forward``'s parameter names."""
    forward = getattr(model, "forward", model)
    try:
        parameters = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    rest = next((p.name for p in parameters if p.kind is p.VAR_POSITIONAL), None)
    defaults = []
    for k, value in enumerate(args):
        if k < len(positional):
            defaults += _names_for(positional[k].name, value)
        else:  # *args: numbered from 0
            base = f"{rest}_{k - len(positional)}" if rest else f"input_{k}"
            defaults += _names_for(base, value)
    for key, value in kwargs.items():
        defaults += _names_for(key, value)
    unique, seen = [], {}
    for position, tensor in enumerate(flat):
        if id(tensor) not in seen:
            seen[id(tensor)] = position
            unique.append(position)
    given = list(given or [])
    if len(given) > len(unique):
        raise OnnxExporterError(
            f"onnx.export: {len(given)} input_names for {len(unique)} tensor inputs"
        )
    return {
        position: given[k] if k < len(given) else defaults[position]
        for k, position in enumerate(unique)
    }


def _names_for(base: str, value) -> list[str]:
    count = len(_flat_arguments((value,), {}))
    return [base] if isinstance(value, Tensor) else [f"{base}_{k}" for k in range(count)]


def _output_names(count: int, given) -> list[str]:
    given = list(given or [])
    if len(given) > count:
        raise OnnxExporterError(f"onnx.export: {len(given)} output_names for {count} outputs")
    defaults = ["output"] if count == 1 else [f"output_{k}" for k in range(count)]
    return given + defaults[len(given) :]


def _dynamic_axes(dynamic_axes) -> dict:
    """``{name: {axis: symbol}}``; a list of axes gets PyTorch's generated symbol names."""
    normalized = {}
    for name, axes in (dynamic_axes or {}).items():
        if isinstance(axes, dict):
            normalized[name] = {int(axis): str(symbol) for axis, symbol in axes.items()}
        else:
            normalized[name] = {
                int(axis): f"{name}_dynamic_axes_{k + 1}" for k, axis in enumerate(axes)
            }
    return normalized


def _places(dynamic: dict, names: dict, flat: list) -> dict:
    """``{symbol: [(flat position, axis)]}`` for the inputs' dynamic axes."""
    by_name = {name: position for position, name in names.items()}
    places: dict = {}
    for name, axes in dynamic.items():
        position = by_name.get(name)
        if position is None:
            continue
        for axis, symbol in list(axes.items()):
            ndim = flat[position].ndim
            if not -ndim <= axis < ndim:
                raise OnnxExporterError(
                    f"onnx.export: dynamic axis {axis} of input '{name}', which has {ndim} dims"
                )
            if axis < 0:
                del axes[axis]
                axis += ndim
                axes[axis] = symbol
            places.setdefault(symbol, []).append((position, axis))
    return places


def _parameter_names(model) -> dict:
    names = {}
    for method in ("named_buffers", "named_parameters"):
        named = getattr(model, method, None)
        if callable(named):
            names.update({id(tensor): name for name, tensor in named()})
    return names


def _version() -> str:
    try:
        return metadata.version("tensorgrad")
    except metadata.PackageNotFoundError:
        return ""


def _verify(model_proto, recording, input_names: list) -> None:
    # ONNX Runtime is optional (the test extra): imported only when verify=True asks for it.
    onnxruntime = importlib.import_module("onnxruntime")
    session = onnxruntime.InferenceSession(
        model_proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    feeds = {
        name: recording.flat_args[position]._data
        for name, (_, position) in zip(input_names, recording.inputs)
    }
    feeds = {i.name: feeds[i.name] for i in session.get_inputs() if i.name in feeds}
    for k, (expected, got) in enumerate(zip(recording.outputs, session.run(None, feeds))):
        if not numpy.allclose(got, expected._data, rtol=1e-4, atol=1e-4, equal_nan=True):
            worst = float(numpy.max(numpy.abs(got - expected._data)))
            raise OnnxExporterError(
                f"onnx.export(verify=True): output {k} of ONNX Runtime differs from the model's "
                f"by up to {worst:.3g}"
            )
