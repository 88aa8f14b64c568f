"""In-place variants of the pointwise ops: ``x.tan_()``, ``x.floor_()``, ``x.lerp_(end, w)``,
``x.addcmul_(a, b, value=v)``…, under PyTorch's names (``torch.tan_`` too where PyTorch has
the function).

Each one is its out-of-place op written into the tensor by ``inplace.py``'s machinery: outside
the graph the array is overwritten; inside it the tensor becomes the op's output (PyTorch's
rebase), and the version counter catches a backward that saved the old value. A result of a
higher kind than the tensor (``tan_`` of an integer tensor, ``square_`` of a bool one) is
refused with PyTorch's RuntimeError; one of the same kind is converted (float64 into float32).
"""

from __future__ import annotations

from collections.abc import Callable

from .._backend import array_module
from .._registry import op, tensor_method
from ..tensor import Tensor
from .fused import erf
from .inplace import _inplace
from .rounding import ceil, floor, frac, round, trunc
from .special import erfc, erfinv, exp2, log2, log10, nan_to_num
from .ternary import addcdiv, addcmul, lerp
from .trigonometry import acos, acosh, asin, asinh, atan, atan2, atanh, cosh, hypot, sinh, tan
from .unary import reciprocal, sgn, sign, square

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def _check_castable(name: str, result: Tensor, self: Tensor) -> None:
    """PyTorch's rule: an in-place result may not be of a higher kind than the tensor."""
    if _KIND_RANK[result._data.dtype.kind] > _KIND_RANK[self._data.dtype.kind]:
        raise RuntimeError(
            f"{name}: result type {result.dtype} can't be cast to the desired output type "
            f"{self.dtype}"
        )


def _in_place(function: Callable, name: str) -> Callable:
    """The in-place method ``name`` of the out-of-place ``function(self, *args, **kwargs)``."""

    def method(self: Tensor, *args, **kwargs) -> Tensor:
        others = tuple(v for v in (*args, *kwargs.values()) if isinstance(v, Tensor))

        def out_of_place(t: Tensor) -> Tensor:
            return function(t, *args, **kwargs)

        def update(array) -> None:
            result = out_of_place(Tensor(array))
            _check_castable(name, result, self)
            array_module(array).copyto(array, result._data, casting="unsafe")

        return _inplace(self, name, others, out_of_place, update)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place :func:`{function.__name__}`; returns ``self``."
    return method


# (names, the out-of-place op, whether PyTorch also has ``torch.<name>`` as a function)
_VARIANTS = [
    (("tan_",), tan, True),
    (("exp2_",), exp2, True),
    (("log2_",), log2, True),
    (("log10_",), log10, True),
    (("asin_", "arcsin_"), asin, True),
    (("acos_", "arccos_"), acos, True),
    (("atan_", "arctan_"), atan, True),
    (("sinh_",), sinh, True),
    (("cosh_",), cosh, True),
    (("asinh_", "arcsinh_"), asinh, True),
    (("acosh_", "arccosh_"), acosh, True),
    (("atanh_", "arctanh_"), atanh, True),
    (("erf_",), erf, True),
    (("erfc_",), erfc, True),
    (("floor_",), floor, True),
    (("ceil_",), ceil, True),
    (("round_",), round, True),
    (("trunc_", "fix_"), trunc, True),
    (("frac_",), frac, True),
    (("reciprocal_",), reciprocal, True),
    (("square_",), square, True),
    (("nan_to_num_",), nan_to_num, True),
    (("atan2_", "arctan2_"), atan2, False),
    (("erfinv_",), erfinv, False),
    (("hypot_",), hypot, False),
    (("lerp_",), lerp, False),
    (("addcmul_",), addcmul, False),
    (("addcdiv_",), addcdiv, False),
    (("sign_",), sign, False),
    (("sgn_",), sgn, False),
]

for _names, _function, _is_torch_function in _VARIANTS:
    _method = _in_place(_function, _names[0])
    (op if _is_torch_function else tensor_method)(*_names)(_method)
