"""What the linear-algebra ops share: PyTorch's argument checks and errors, the failure
reports of LAPACK made PyTorch's, and ``MultiOutputOp`` for the decompositions.

Every op works on the last two dims of its input and keeps the dims in front as a batch.

Off the CPU the ops call their inputs' module's ``linalg`` (CuPy's on ``cuda``), inside
``xp.errstate(...)``. CuPy tells of a failed factorisation (a singular matrix, one not
positive-definite, an SVD or eigensolver that did not converge) only under
``cupyx.errstate(linalg='raise')``, by the same ``LinAlgError`` as NumPy; elsewhere it returns
NaN or a meaningless factor. The errors here rely on the backend's ``errstate`` entering it.
"""

from __future__ import annotations

from .._backend import array_module, ndarray
from .._tracing import after_op, constant, watch
from ..autograd import anomaly
from ..autograd.function import connect, resolve_saved
from ..autograd.grad_mode import state as grad_state
from ..tensor import Tensor
from ._op import Op

__all__ = [
    "LinAlgError",
    "MultiOutputOp",
    "check_matrix",
    "batch_label",
    "first_zero_pivot",
    "constant_eye",
    "lower_masks",
]


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input: a singular matrix, one that is not
    positive-definite, an SVD that did not converge. PyTorch's ``torch.linalg.LinAlgError``,
    which is a RuntimeError too."""


def check_matrix(
    op: str,
    A,
    *,
    name: str = "A",
    square: bool = True,
    integer_error: type[Exception] = RuntimeError,
    half_error: type[Exception] = RuntimeError,
) -> None:
    """PyTorch's checks of a linear-algebra input: a Tensor of at least 2 dims, float32 or
    float64, square if ``square``. The exception types for an integer or bool input and for a
    float16 one differ between PyTorch's ops (a dtype dispatch error is a NotImplementedError
    there), so each op passes its own."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(
            f"{op}: The input tensor {name} must have at least 2 dimensions, got shape {A.shape}"
        )
    dtype = A._data.dtype
    if dtype.kind != "f":
        raise integer_error(f"{op}: Expected a floating point tensor as input. Got {A.dtype}")
    if dtype.itemsize < 4:
        raise half_error(f"{op}: Low precision dtypes not supported. Got {A.dtype}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"{op}: {name} must be batches of square matrices, but they are {A.shape[-2]} by "
            f"{A.shape[-1]} matrices (shape {A.shape})"
        )


def batch_label(batch_shape: tuple, flat_index: int) -> str:
    """PyTorch's ``(Batch element i): `` prefix of an error about one matrix of a batch."""
    return f"(Batch element {flat_index}): " if batch_shape else ""


def first_zero_pivot(matrix) -> int:
    """The 1-based index of the first exactly-zero pivot of the LU factorisation with partial
    pivoting (LAPACK's ``getrf`` info), 0 if there is none. Only run on a matrix LAPACK
    refused, to report what PyTorch reports."""
    xp = array_module(matrix)
    lu = xp.array(matrix, dtype="float64")
    size = lu.shape[-1]
    for column in range(size):
        pivot = column + int(xp.argmax(xp.abs(lu[column:, column])))
        if lu[pivot, column] == 0:
            return column + 1
        lu[[column, pivot]] = lu[[pivot, column]]
        below = lu[column + 1 :, column] / lu[column, column]
        lu[column + 1 :, column + 1 :] -= below[:, None] * lu[column, column + 1 :]
    return 0


def constant_eye(like, size: int):
    """An identity matrix of ``like``'s float dtype on ``like``'s device: a constant that
    backward formulas multiply with (a mask, a diagonal). A raw array for an array ``like``, a
    Tensor that records nothing for a Tensor (a device array cannot join a Tensor's arithmetic
    raw, as a host ndarray can)."""
    if isinstance(like, Tensor):
        return _constant(_eye(like._data, size))
    return _eye(like, size)


def lower_masks(like, size: int):
    """(the lower triangle with the diagonal, the strictly lower one) as constant 0/1 masks
    of ``like``'s dtype and device, arrays or Tensors as :func:`constant_eye`'s: ``tril`` by
    multiplication, in any backward formula."""
    data = like._data if isinstance(like, Tensor) else like
    eye = _eye(data, size)
    lower = (eye.cumsum(axis=0) > 0).astype(eye.dtype)
    strictly_lower = lower - eye
    if isinstance(like, Tensor):
        return _constant(lower), _constant(strictly_lower)
    return lower, strictly_lower


def _eye(data, size: int):
    return array_module(data).eye(size, dtype=data.dtype)


def _constant(array) -> Tensor:
    result = Tensor(array)
    return constant(result) if watch.threads else result


class MultiOutputOp(Op):
    """An op with several outputs (a decomposition): ``forward`` returns a tuple of arrays and
    ``backward`` takes one gradient per output, None for an output no gradient reached (so a
    formula can skip its terms: ``svdvals`` needs no division by singular-value gaps)."""

    _materialize_grads = False

    @classmethod
    def apply(cls, *inputs, **params):
        ctx = cls.__new__(cls)
        if not isinstance(inputs[0], Tensor):  # raw arrays: a formula inside a backward
            if type(inputs[0]) is not ndarray:
                ctx.xp = array_module(inputs[0])
            return cls.forward(ctx, *inputs, **params)
        record = grad_state.enabled and any(t._requires_grad for t in inputs)
        if record:
            arrays, ctx.needs_input_grad = connect(ctx, inputs)
        else:
            arrays = [t._data for t in inputs]
        if type(arrays[0]) is not ndarray:
            ctx.xp = array_module(arrays[0])
        raw = cls.forward(ctx, *arrays, **params)
        if not record:
            outputs = tuple(Tensor(data) for data in raw)
            if anomaly.watch.threads:
                after_op(ctx, inputs, params, outputs)
            return outputs
        ctx._n_outputs = len(raw)
        ctx._output_shapes = [data.shape for data in raw]
        outputs = tuple(Tensor(data, True, ctx, number) for number, data in enumerate(raw))
        if ctx._to_save:
            resolve_saved(ctx, arrays, inputs, raw, outputs)
        if anomaly.watch.threads:
            anomaly.check_forward(ctx, list(raw))
            after_op(ctx, inputs, params, outputs)
        return outputs
