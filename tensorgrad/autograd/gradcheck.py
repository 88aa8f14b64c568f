"""``gradcheck`` and ``gradgradcheck``: analytic Jacobians against central finite differences.

Like PyTorch's, they build both Jacobians column by column, so they are for small inputs in
float64. ``tensorgrad.testing`` has randomized, larger-scale checks built for hypothesis.
"""

from __future__ import annotations

import warnings

from .._backend import default_module as numpy
from ..tensor import Tensor
from .differentiate import grad
from .grad_mode import enable_grad, no_grad

__all__ = [
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "numerical_jacobian",
    "analytical_jacobian",
]


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when the analytic and numerical gradients disagree."""


def _as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _outputs(func, inputs: tuple) -> tuple:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def numerical_jacobian(func, inputs: tuple, eps: float = 1e-6) -> list:
    """``J[i][o]``: d output o / d input i by central differences, shape (in.numel, out.numel)."""
    inputs = _as_tuple(inputs)
    with no_grad():
        outputs = _outputs(func, inputs)
    jacobians = []
    for t in inputs:
        per_output = []
        if not (isinstance(t, Tensor) and t.requires_grad):
            jacobians.append(None)
            continue
        flat = t._data.reshape(-1)  # a view: perturbing it perturbs the input
        columns = [[] for _ in outputs]
        for k in range(flat.size):
            original = flat[k].copy()
            with no_grad():
                flat[k] = original + eps
                plus = [o._data.astype("float64").reshape(-1) for o in _outputs(func, inputs)]
                flat[k] = original - eps
                minus = [o._data.astype("float64").reshape(-1) for o in _outputs(func, inputs)]
                flat[k] = original
            for index, (p, m) in enumerate(zip(plus, minus)):
                columns[index].append((p - m) / (2 * eps))
        for index, output in enumerate(outputs):
            per_output.append(numpy.array(columns[index]).reshape(flat.size, output._data.size))
        jacobians.append(per_output)
    return jacobians


def analytical_jacobian(func, inputs: tuple, create_graph: bool = False) -> list:
    """``J[i][o]`` from backward, one one-hot ``grad_output`` per output element."""
    inputs = _as_tuple(inputs)
    differentiable = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    outputs = _outputs(func, inputs)
    result = {
        id(t): [numpy.zeros((t._data.size, o._data.size)) for o in outputs] for t in differentiable
    }
    for out_index, output in enumerate(outputs):
        if not output.requires_grad:
            continue
        for k in range(output._data.size):
            one_hot = numpy.zeros(output._data.size, dtype=output._data.dtype)
            one_hot[k] = 1
            gradients = grad(
                output,
                differentiable,
                Tensor(one_hot.reshape(output.shape)),
                retain_graph=True,
                allow_unused=True,
            )
            for t, g in zip(differentiable, gradients):
                if g is not None:
                    result[id(t)][out_index][:, k] = g._data.reshape(-1)
    return [
        result.get(id(t)) if isinstance(t, Tensor) and t.requires_grad else None for t in inputs
    ]


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_ignored,
) -> bool:
    """Check ``func``'s gradients for ``inputs`` (float64 tensors with ``requires_grad=True``).

    Returns True if every analytic Jacobian entry is within ``atol + rtol * |numerical|``;
    otherwise raises :class:`GradcheckError` (or returns False if ``raise_exception=False``)
    naming the input, the output, the worst element and both values.
    """
    inputs = _as_tuple(inputs)
    for index, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t._data.dtype.name != "float64":
            warnings.warn(
                f"gradcheck: input {index} is {t.dtype}, not float64; finite differences in "
                f"lower precision are unreliable",
                stacklevel=2,
            )
    numerical = numerical_jacobian(func, inputs, eps)
    analytical = analytical_jacobian(func, inputs)

    for in_index, (num_list, ana_list) in enumerate(zip(numerical, analytical)):
        if num_list is None:
            continue
        for out_index, (num, ana) in enumerate(zip(num_list, ana_list)):
            error = numpy.abs(ana - num) - (atol + rtol * numpy.abs(num))
            if error.size and (error.max() > 0 or not numpy.isfinite(ana).all()):
                worst = numpy.unravel_index(
                    numpy.nanargmax(numpy.where(numpy.isfinite(error), error, numpy.inf)),
                    error.shape,
                )
                message = (
                    f"gradcheck: Jacobian mismatch for output {out_index} with respect to "
                    f"input {in_index}: at (input element {worst[0]}, output element "
                    f"{worst[1]}) analytical {ana[worst]:.8g} vs numerical {num[worst]:.8g}"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_ignored,
) -> bool:
    """Check second derivatives: ``gradcheck`` of the vector-Jacobian product of ``func``."""
    inputs = _as_tuple(inputs)
    outputs = _outputs(func, inputs)
    if grad_outputs is None:
        generator = numpy.random.default_rng(0)
        grad_outputs = tuple(
            Tensor(generator.standard_normal(o.shape)).requires_grad_() for o in outputs
        )
    grad_outputs = _as_tuple(grad_outputs)
    differentiable = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    n_inputs = len(inputs)

    def first_derivatives(*args):
        primal, upstream = args[:n_inputs], args[n_inputs:]
        with enable_grad():  # the finite differences call this under no_grad
            result = grad(
                _outputs(func, primal),
                [primal[i] for i in differentiable],
                upstream,
                create_graph=True,
                allow_unused=True,
            )
        return tuple(g for g in result if g is not None)

    return gradcheck(
        first_derivatives,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
