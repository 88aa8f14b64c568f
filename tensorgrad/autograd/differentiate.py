"""The two ways to differentiate: ``backward()`` (accumulate into ``.grad``) and
``autograd.grad`` (return the gradients). Both check what they are given, build the starting
gradients and run one :class:`~tensorgrad.autograd.engine.BackwardPass`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from .. import _tracing as tracing
from .._backend import array_module, as_array
from ..tensor import Tensor
from .engine import BackwardPass

__all__ = ["backward", "grad"]


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, Tensor):
        return (value,)
    return tuple(value)


def _root_gradients(outputs: tuple, grad_outputs: Sequence, caller: str) -> list:
    """Validate the outputs and build their starting gradients (ones for scalars)."""
    if len(grad_outputs) not in (0, len(outputs)):
        raise RuntimeError(
            f"{caller}: got {len(outputs)} outputs but {len(grad_outputs)} grad_outputs"
        )
    gradients = []
    for index, output in enumerate(outputs):
        if not isinstance(output, Tensor):
            raise TypeError(f"{caller}: outputs must be Tensors, got {type(output).__name__}")
        if not output._requires_grad:
            raise RuntimeError(
                f"{caller}: output {index} does not require grad and has no grad_fn "
                f"(did you call backward on a result computed under no_grad, or from tensors "
                f"without requires_grad=True?)"
            )
        given = grad_outputs[index] if grad_outputs else None
        data = output._data
        if given is None:
            if data.size != 1:
                raise RuntimeError(
                    f"{caller}: grad can be created implicitly only for a scalar output, but "
                    f"output {index} has shape {output.shape}; pass gradient= (a tensor of "
                    f"that shape)"
                )
            given = Tensor(array_module(data).ones(data.shape, dtype=data.dtype))
        elif not isinstance(given, Tensor):
            given = Tensor(array_module(data).asarray(given, dtype=data.dtype))
        elif given._data.dtype != data.dtype:
            # Cast once here, as PyTorch does, instead of promoting at every node below.
            given = given.to(output.dtype)
        if given.shape != output.shape:
            raise RuntimeError(
                f"{caller}: gradient for output {index} has shape {given.shape} but the output "
                f"has shape {output.shape}"
            )
        gradients.append(given)
    return gradients


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves.

    ``tensorgrad.autograd.backward(loss)`` is the same as ``loss.backward()``.
    """
    outputs = _as_tuple(tensors)
    gradients = _root_gradients(outputs, _as_tuple(grad_tensors), "backward")
    if retain_graph is None:
        retain_graph = create_graph
    targets = _as_tuple(inputs)
    if inputs is not None and not targets:
        # An empty list would otherwise mean "every leaf": PyTorch refuses it.
        raise RuntimeError("backward: the `inputs` argument to `backward()` cannot be empty")
    for t in targets:
        if not t._requires_grad:
            raise RuntimeError("backward: every tensor in inputs= must require grad")
    if create_graph:
        _warn_about_the_reference_cycle()
    recorder = tracing.state.recorder if tracing.watch.threads else None
    if recorder is None or tracing.state.depth:
        BackwardPass(targets, True, create_graph, retain_graph).run(outputs, gradients)
        return
    # Inside a compiled step: the recorder plans the same pass over the ops it recorded first.
    step = recorder.backward(outputs, gradients, create_graph, targets)
    with tracing.opaque():
        BackwardPass(targets, True, create_graph, retain_graph).run(outputs, gradients)
    recorder.after_backward(step)


_warned = [False]  # PyTorch warns once per process (TORCH_WARN_ONCE)


def _warn_about_the_reference_cycle() -> None:
    if _warned[0]:
        return
    _warned[0] = True
    warnings.warn(
        "Using backward() with create_graph=True will create a reference cycle between the "
        "parameter and its gradient which can cause a memory leak. We recommend using "
        "autograd.grad when creating the graph to avoid this. If you have to use this "
        "function, make sure to reset the .grad fields of your parameters to None after use "
        "to break the cycle and avoid the leak.",
        UserWarning,
        stacklevel=4,
    )


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """Return d(outputs)/d(inputs) without touching any ``.grad``.

    Args:
        outputs: a Tensor or sequence of Tensors to differentiate.
        inputs: a Tensor or sequence of Tensors to differentiate with respect to.
        grad_outputs: the vector in the vector-Jacobian product, one per output
            (may be omitted for scalar outputs).
        retain_graph: keep the graph for another backward (defaults to ``create_graph``).
        create_graph: record the computation of the gradients, so that they can be
            differentiated again (Hessian-vector products, gradient penalties).
        allow_unused: return None for inputs the outputs do not depend on, instead of raising.
        materialize_grads: return zeros instead of None for unused inputs.

    Returns:
        a tuple with one gradient per input, each of that input's shape.
    """
    output_tuple = _as_tuple(outputs)
    input_tuple = _as_tuple(inputs)
    if not input_tuple:
        raise RuntimeError("grad: the `inputs` argument to `grad()` cannot be empty")
    for index, t in enumerate(input_tuple):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError(f"grad: input {index} does not require grad")
    gradients = _root_gradients(output_tuple, _as_tuple(grad_outputs), "grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    if tracing.watch.threads and tracing.is_recording():
        tracing.state.recorder.unsupported("autograd.grad()")
    # The same tensor asked for twice gets its gradient twice (the pass captures it once).
    unique = list({id(t): t for t in input_tuple}.values())
    captured_once = BackwardPass(tuple(unique), False, create_graph, retain_graph).run(
        output_tuple, gradients
    )
    by_id = {id(t): gradient for t, gradient in zip(unique, captured_once)}
    captured = [by_id[id(t)] for t in input_tuple]
    result = []
    for index, (t, gradient) in enumerate(zip(input_tuple, captured)):
        if gradient is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {index} (shape {t.shape}) was not used to compute the "
                    f"outputs; pass allow_unused=True to get None for it"
                )
            if materialize_grads:
                gradient = Tensor(array_module(t._data).zeros_like(t._data))
        elif not create_graph:
            # Returned gradients never alias each other (an add hands the same one to both).
            gradient = Tensor(as_array(gradient).copy())
        result.append(gradient)
    return tuple(result)
