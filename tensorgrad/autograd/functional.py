"""Higher-level derivatives of functions: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``hvp``,
``vhp`` — the same signatures and output structure as ``torch.autograd.functional``.

All of them are built on ``autograd.grad``; ``jvp`` uses the double-vjp trick (the vjp is
linear in its vector, so differentiating it again gives the jvp) and the second-order ones use
``create_graph=True``.
"""

from __future__ import annotations

from .._creation import zeros
from .._creation_like import ones_like, zeros_like
from ..ops.joining import stack
from ..tensor import Tensor
from .differentiate import grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(value, name: str, fn: str) -> tuple[bool, tuple]:
    if isinstance(value, Tensor):
        return False, (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, Tensor) for v in value):
        return True, tuple(value)
    raise TypeError(f"{fn}: {name} must be a Tensor or a tuple of Tensors")


def _prepare(inputs: tuple) -> tuple:
    """Fresh leaves that require grad, sharing the inputs' memory."""
    return tuple(t.detach().requires_grad_() for t in inputs)


def _unpack(is_tuple: bool, values: tuple):
    return values if is_tuple else values[0]


def _grad_or_zeros(outputs, inputs, grad_outputs, create_graph: bool, strict: bool, fn: str):
    gradients = grad(
        outputs,
        inputs,
        grad_outputs,
        retain_graph=True,
        create_graph=create_graph,
        allow_unused=True,
    )
    result = []
    for index, (t, g) in enumerate(zip(inputs, gradients)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{fn}: the output does not depend on input {index} (strict=True)"
                )

            g = zeros_like(t)
        result.append(g)
    return tuple(result)


def _call(func, inputs: tuple, fn: str) -> tuple[bool, tuple]:
    with enable_grad():
        outputs = func(*inputs)
    return _as_tuple(outputs, "the function's output", fn)


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ·J)``: the vector-Jacobian product (v may be omitted for a scalar)."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs)
    outputs_are_tuple, outputs = _call(func, inputs, "vjp")
    vectors = None if v is None else _as_tuple(v, "v", "vjp")[1]
    products = _grad_or_zeros(outputs, inputs, vectors, create_graph, strict, "vjp")
    outputs = outputs if create_graph else tuple(o.detach() for o in outputs)
    return _unpack(outputs_are_tuple, outputs), _unpack(inputs_are_tuple, products)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J·v)``: the Jacobian-vector product (v may be omitted for a scalar
    input)."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    inputs = _prepare(inputs)
    vectors = _as_tuple(v, "v", "jvp")[1] if v is not None else tuple(_ones_like(t) for t in inputs)
    outputs_are_tuple, outputs = _call(func, inputs, "jvp")
    # u ↦ uᵀJ is linear in u, so d(uᵀJ·v)/du = J·v for any u.
    dummies = tuple(_zeros_like(o).requires_grad_() for o in outputs)
    with enable_grad():
        vjps = _grad_or_zeros(outputs, inputs, dummies, True, strict, "jvp")
        products = grad(vjps, dummies, vectors, create_graph=create_graph, allow_unused=True)
    products = tuple(_zeros_like(o) if p is None else p for o, p in zip(outputs, products))
    outputs = outputs if create_graph else tuple(o.detach() for o in outputs)
    return _unpack(outputs_are_tuple, outputs), _unpack(outputs_are_tuple, products)


def jacobian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """The Jacobian: for one input and one output a tensor of shape
    ``output.shape + input.shape``; tuples of those for tuples of inputs/outputs."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs)
    outputs_are_tuple, outputs = _call(func, inputs, "jacobian")

    per_output = []
    for output in outputs:
        rows = [[] for _ in inputs]
        flat = output.reshape(-1)
        for k in range(flat.shape[0]):
            one_hot = zeros(flat.shape[0], dtype=output.dtype, device=output.device)
            one_hot._data[k] = 1
            with enable_grad():
                row = _grad_or_zeros(flat, inputs, one_hot, create_graph, strict, "jacobian")
            for index, g in enumerate(row):
                rows[index].append(g)
        blocks = []
        for index, t in enumerate(inputs):
            if rows[index]:
                block = stack(rows[index]).reshape(output.shape + t.shape)
            else:
                block = zeros(output.shape + t.shape, dtype=t.dtype, device=t.device)
            blocks.append(block if create_graph else block.detach())
        per_output.append(_unpack(inputs_are_tuple, tuple(blocks)))
    return _unpack(outputs_are_tuple, tuple(per_output))


def hessian(
    func,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
):
    """The Hessian of a scalar function: shape ``input.shape + input.shape`` for one input,
    a tuple of tuples for several."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*args):
        outputs_are_tuple, outputs = _call(func, args, "hessian")
        if outputs_are_tuple or outputs[0].numel() != 1:
            raise RuntimeError("hessian: the function must return a single-element tensor")
        return _grad_or_zeros(outputs[0], args, None, True, strict, "hessian")

    # ``inputs`` is a tuple by now, so ``result[i][j]`` is d(grad_i)/d(input_j).
    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict)
    if inputs_are_tuple:
        return result
    return result[0][0]


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ·H)`` for a scalar function."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H·v)`` for a scalar function (equal to vhp: the Hessian is symmetric
    for twice continuously differentiable functions)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, fn: str):
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    inputs = _prepare(inputs)
    outputs_are_tuple, outputs = _call(func, inputs, fn)
    if outputs_are_tuple or outputs[0].numel() != 1:
        raise RuntimeError(f"{fn}: the function must return a single-element tensor")
    vectors = _as_tuple(v, "v", fn)[1] if v is not None else tuple(_ones_like(t) for t in inputs)
    with enable_grad():
        gradients = _grad_or_zeros(outputs[0], inputs, None, True, strict, fn)
        products = _grad_or_zeros(gradients, inputs, vectors, create_graph, strict, fn)
    output = outputs[0] if create_graph else outputs[0].detach()
    return output, _unpack(inputs_are_tuple, products)


def _zeros_like(t: Tensor) -> Tensor:

    return zeros_like(t)


def _ones_like(t: Tensor) -> Tensor:

    return ones_like(t)
