"""The ``Tensor``: an ndarray plus what autograd needs to know about it.

This file holds the object itself (storage, autograd fields, conversions, printing) and
imports nothing above it. The maths methods (``+``, ``exp``, ``sum``, ``reshape``, ``to``…),
``backward`` and NumPy's dispatch protocols are installed on it by
``tensorgrad/_tensor_methods.py``, from the layers that define them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from . import _backend
from ._backend import ndarray
from ._device import CPU, DLDeviceType, check_dlpack_device, device
from ._dtypes import bool as _BOOL
from ._dtypes import default_float_numpy, from_numpy_dtype
from ._dtypes import dtype as _dtype_class
from ._dtypes import float16 as _FLOAT16
from ._dtypes import float32 as _FLOAT32
from ._dtypes import float64 as _FLOAT64
from ._dtypes import int32 as _INT32
from ._dtypes import int64 as _INT64
from ._hooks import RemovableHandle
from ._memory_format import check_memory_format, contiguous_format, is_contiguous_as, resolve
from ._memory_format import preserve_format as _PRESERVE
from ._printing import tensor_repr
from ._shapes import normalize_dim
from ._tracing import escape, observed, watch

__all__ = ["Tensor"]

_NO_DATA = object()  # Tensor() with no data (None is data, and a TypeError, as in PyTorch)


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Attributes:
        grad: the accumulated gradient (a Tensor of the same shape and dtype) or None.
        grad_fn: the node (a ``Function``) that produced this tensor; None for leaves.

    Create tensors with :func:`tensorgrad.tensor`, :func:`tensorgrad.zeros`, … The
    constructor takes PyTorch's legacy forms, in the default float dtype:

    - ``Tensor(2, 3)`` or ``Tensor(size=(2, 3))``: uninitialised, of that shape;
    - ``Tensor([1, 2])`` (any nested sequence): a copy of the data;
    - ``Tensor()``: empty, shape ``(0,)``;
    - ``Tensor(t)`` for a Tensor ``t``: an alias of ``t`` (same memory, dtype and graph).

    ``device=`` places the new tensor (the default device if None). *Differences:* an
    ndarray, a device's array (a CuPy array) or a NumPy scalar is taken as it is,
    keeping its dtype and sharing its memory (PyTorch converts it to float32; the library's own
    ops build every result this way, as ``Tensor(array, requires_grad, grad_fn, output_nr)``).
    A tuple is data, as in PyTorch, but tensorgrad's shapes are plain tuples, so
    ``Tensor(x.shape)`` holds the sizes as values: write ``Tensor(*x.shape)`` or
    ``tensorgrad.empty(x.shape)``.
    """

    # The fields every tensor sets live in slots; the ones few tensors set (a leaf's grad, a
    # view's base, hooks) are class-level defaults overridden in the instance dict, which
    # CPython only creates when first written: a new tensor costs four stores.
    __slots__ = (
        "_data",
        "_requires_grad",
        "grad_fn",
        "_version_counter",
        "__dict__",
        "__weakref__",
    )
    _grad = None
    _output_nr = 0
    _base = None
    _retains_grad = False
    _hooks = None

    # NumPy defers ndarray-with-Tensor operators to us (see __array_ufunc__).
    __array_priority__ = 1000

    # Every op builds its result as Tensor(array, requires_grad, grad_fn, output_nr): that path
    # is one type check. `size` and `device` are ordinary parameters rather than keyword-only
    # ones because CPython looks up a missing keyword-only default in a dict on every call
    # (measured: ~10 ns each, on the hottest call in the library); see _construct.
    def __init__(
        self,
        data=_NO_DATA,
        requires_grad=False,
        grad_fn=None,
        output_nr=None,
        size=None,
        device=None,
        *sizes,
    ):
        if type(data) is not ndarray and type(data) not in _backend.array_types:
            if not isinstance(data, _ARRAYS) or _is_size(requires_grad):
                _construct(self, data, (requires_grad, grad_fn, output_nr, size, device), sizes)
                return
            data = _backend.default_module.asarray(data)  # a NumPy scalar, an ndarray subclass
        self._data = data
        self._requires_grad = requires_grad
        self.grad_fn = grad_fn
        self._version_counter = [0]
        if output_nr:
            self._output_nr = output_nr

    # ----------------------------------------------------------------- metadata
    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dimension, a tuple (PyTorch's ``torch.Size`` is a tuple too)."""
        return self._data.shape

    @property
    def dtype(self) -> _dtype_class:
        """The element type, e.g. ``tensorgrad.float32``."""
        return from_numpy_dtype(self._data.dtype)

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions (PyTorch's method form of ``ndim``)."""
        return self._data.ndim

    def size(self, dim: int | None = None):
        """The shape, or the size of dimension ``dim`` (negative counts from the end)."""
        if dim is None:
            return self._data.shape
        return self._data.shape[normalize_dim(dim, self._data.ndim, "size")]

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    def nelement(self) -> int:
        """Alias of :meth:`numel`."""
        return self._data.size

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        """True for float16/32/64 tensors."""
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=contiguous_format) -> bool:
        """True if the elements lie in ``memory_format``'s order without gaps (row-major by
        default; ``channels_last`` asks for (N, H, W, C) order, False for a rank other than 4).
        """
        fmt = check_memory_format(memory_format, "is_contiguous")
        return is_contiguous_as(self._data, contiguous_format if fmt is _PRESERVE else fmt)

    def stride(self, dim: int | None = None):
        """Steps in elements (not bytes) between neighbours along each dim, or along ``dim``."""
        steps = tuple(s // self._data.itemsize for s in self._data.strides)
        return steps if dim is None else steps[dim]

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (inputs, parameters)."""
        return self.grad_fn is None

    @property
    def device(self) -> device:
        """Where the data lives, e.g. ``device(type='cpu')`` or ``device(type='cuda', index=0)``
        (read off the array's type: a tensor cannot disagree with its data)."""
        return CPU if type(self._data) is ndarray else _backend.device_of(self._data)

    @property
    def _version(self) -> int:
        """How many in-place modifications this tensor's memory has seen."""
        return self._version_counter[0]

    # ----------------------------------------------------------------- autograd fields
    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded so that gradients can flow to it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns ``self``."""
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad of leaf tensors; use "
                "tensor.detach() to get a tensor that does not require grad"
            )
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad_: only floating-point tensors can require gradients, "
                f"got dtype {self.dtype}"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by ``backward()``; same shape and dtype as the tensor."""
        if watch.threads:
            escape(self, ".grad")
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        _assign_grad(self, value)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after ``backward()`` (leaves always keep it)."""
        if not self._requires_grad:
            raise RuntimeError(
                "retain_grad: cannot retain the grad of a tensor that does not require grad"
            )
        if watch.threads:
            escape(self, "retain_grad()")
        if self.grad_fn is not None and not self._retains_grad:
            self._retains_grad = True
            self.grad_fn._retain_output(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever the gradient of this tensor is computed.

        The hook may return a tensor to use instead of ``grad`` (same shape), or None to leave
        it. Returns a handle whose ``remove()`` unregisters the hook.
        """
        if watch.threads:
            escape(self, "register_hook()")
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that does not require grad"
            )
        if self.grad_fn is not None:
            return self.grad_fn._register_output_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    @property
    def retains_grad(self) -> bool:
        """True when :meth:`retain_grad` was called on this non-leaf tensor."""
        return self._retains_grad

    def detach(self) -> Tensor:
        """A tensor sharing this one's memory, cut out of the graph."""
        out = Tensor(self._data)
        out._version_counter = self._version_counter
        return out

    def detach_(self) -> Tensor:
        """Cut this tensor out of the graph, in place; returns ``self``."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's memory but outside the graph (PyTorch's ``.data``).

        Unlike :meth:`detach`, changes made through it are not seen by the version checks.
        """
        return Tensor(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be set to a Tensor, got {type(value).__name__}")
        if value._data is self._data:  # `p.data += update` writes the same array back
            return
        if watch.threads:
            escape(self, ".data assignment")
        self._data = value._data

    # ----------------------------------------------------------------- conversions
    def item(self):
        """The single element as a Python number."""
        if watch.threads:
            escape(self, "item()")
        if self._data.size != 1:
            raise RuntimeError(
                f"item: a Tensor with {self._data.size} elements cannot be converted to a "
                f"Python scalar (only one-element tensors can)"
            )
        return self._data.item()

    def tolist(self):
        """The data as (nested) Python lists of Python numbers."""
        if watch.threads:
            escape(self, "tolist()")
        return self._data.tolist()

    def numpy(self, force: bool = False):
        """The ndarray behind this tensor (shared memory, not a copy).

        Like PyTorch, refuses a tensor that requires grad unless ``force=True`` (then it
        returns a copy), since writing into that array would bypass autograd.
        """
        if watch.threads:
            escape(self, "numpy()")
        if type(self._data) is not ndarray:
            if force:  # PyTorch's force=True: a host copy, whatever the device
                return _backend.to_host(self._data)
            _refuse_numpy(self)
        if self._requires_grad:
            if force:
                return self._data.copy()
            raise RuntimeError(
                "numpy: cannot call numpy() on a tensor that requires grad; "
                "use tensor.detach().numpy() instead"
            )
        return self._data

    def type(self, dtype=None):
        """The type name (no argument) or a tensor converted to ``dtype``."""
        if dtype is None:
            return f"tensorgrad.{type(self).__name__}[{self.dtype.name}]"
        return self.to(dtype)

    def float(self, memory_format=_PRESERVE) -> Tensor:
        """Convert to float32."""
        return self.to(_FLOAT32, memory_format=memory_format)

    def double(self, memory_format=_PRESERVE) -> Tensor:
        """Convert to float64."""
        return self.to(_FLOAT64, memory_format=memory_format)

    def half(self, memory_format=_PRESERVE) -> Tensor:
        """Convert to float16."""
        return self.to(_FLOAT16, memory_format=memory_format)

    def long(self, memory_format=_PRESERVE) -> Tensor:
        """Convert to int64."""
        return self.to(_INT64, memory_format=memory_format)

    def int(self, memory_format=_PRESERVE) -> Tensor:
        """Convert to int32."""
        return self.to(_INT32, memory_format=memory_format)

    def bool(self, memory_format=_PRESERVE) -> Tensor:
        """Convert to bool."""
        return self.to(_BOOL, memory_format=memory_format)

    def cpu(self, memory_format=_PRESERVE) -> Tensor:
        """This tensor on the CPU: itself if already there (unless another ``memory_format``
        asks for a copy), else a copy that gradients flow back through."""
        if type(self._data) is ndarray and memory_format is _PRESERVE:
            return self
        return self.to("cpu", memory_format=memory_format)

    def contiguous(self, *, memory_format=contiguous_format) -> Tensor:
        """This tensor if its memory is row-major without gaps, else a contiguous copy.

        The copy is recorded like ``clone()``, so gradients flow through it; ``view`` needs it
        after a ``transpose`` or ``permute`` (``y.transpose(1, 2).contiguous().view(B, T, C)``).
        ``memory_format=tensorgrad.channels_last`` asks for (N, H, W, C) order instead.
        """
        if memory_format is contiguous_format:  # the common call, kept short
            return (
                self if self._data.flags.c_contiguous else self.clone(memory_format=memory_format)
            )
        fmt = check_memory_format(memory_format, "contiguous")
        if fmt is _PRESERVE:  # PyTorch: fine for a row-major tensor, refused for any other
            if self._data.flags.c_contiguous:
                return self
            raise RuntimeError(
                f"contiguous: preserve memory format is unsupported by the contiguous operator "
                f"(tensor of shape {self.shape}, strides {self.stride()})"
            )
        if is_contiguous_as(self._data, resolve(self._data, fmt)):
            return self
        return self.clone(memory_format=fmt)

    def __bool__(self) -> bool:
        if watch.threads:
            escape(self, "bool()")
        if self._data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a Tensor with {self._data.size} elements is "
                f"ambiguous; use .any() or .all()"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if watch.threads:
            escape(self, "an index")
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._data.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __reduce__(self):
        raise TypeError(
            "Tensors are not pickled (loading a pickle can execute code); "
            "use tensorgrad.save / tensorgrad.load, which write safetensors"
        )

    def __deepcopy__(self, memo: dict) -> Tensor:
        """``copy.deepcopy``: a new leaf with copied data (and grad), like PyTorch's."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "deepcopy: only leaf tensors (created by the user, not by recorded ops) can "
                "be deep-copied; deep-copy its .detach() instead"
            )
        if id(self) in memo:
            return memo[id(self)]
        copied = type(self).__new__(type(self))
        Tensor.__init__(copied, self._data.copy(), self._requires_grad)
        if self._grad is not None:
            copied._grad = Tensor(self._grad._data.copy())
        memo[id(self)] = copied
        return copied

    # ----------------------------------------------------------------- NumPy interop
    def __array__(self, dtype=None, copy=None):
        if watch.threads:
            escape(self, "numpy.asarray()")
        if type(self._data) is not ndarray:
            _refuse_numpy(self)
        if copy is False and dtype is not None and self._data.dtype != dtype:
            raise ValueError("__array__: a copy is needed to change the dtype")
        array = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __dlpack__(self, *, stream=-1, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule of this tensor's memory (no copy), for another library's
        ``from_dlpack`` (PyTorch, NumPy, JAX…). Any shape, stride and dtype tensorgrad has;
        the capsule is versioned (DLPack 1.x) when ``max_version`` allows it.

        As in PyTorch: a tensor that requires grad raises ``BufferError`` (the graph would be
        lost; ``detach()`` first); ``stream`` must be None or -1 on the CPU (AssertionError
        otherwise). ``dl_device`` other than the CPU raises ``DeviceUnavailableError``.
        """
        if self._requires_grad:
            # BufferError is the DLPack protocol's "cannot export" (PyTorch raises it too).
            raise BufferError(
                "__dlpack__: can't export a tensor that requires grad (the graph would be "
                "lost); use tensor.detach()"
            )
        if stream is not None and type(stream) is not int:
            raise TypeError(f"__dlpack__: stream must be int or None, not {type(stream).__name__}")
        data = self._data
        if type(data) is not ndarray:  # device memory: the array's own protocol (streams too)
            return data.__dlpack__(stream=stream)
        if stream not in (None, -1):
            raise AssertionError(f"__dlpack__: stream should be None on cpu, got {stream}")
        if dl_device is not None:
            check_dlpack_device(dl_device, "__dlpack__")
        if not data.flags.writeable:
            # Broadcast views (expand) are read-only to NumPy, but their memory is not; an
            # unversioned capsule cannot say "read-only", and PyTorch exports them writable.
            alias = data.view()
            try:
                alias.flags.writeable = True
            except ValueError:  # memory that really is read-only: NumPy's BufferError says so
                pass
            else:
                data = alias
        return data.__dlpack__(max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self) -> tuple[DLDeviceType, int]:
        """Where the data is, in DLPack's terms: ``(DLDeviceType.kDLCPU, 0)`` on the CPU."""
        code, index = self._data.__dlpack_device__()
        return DLDeviceType(code), index

    # ----------------------------------------------------------------- printing
    def __repr__(self) -> str:
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self._data.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)


# ----------------------------------------------------------------- the public constructor
_ARRAYS = (ndarray, _backend.default_module.generic)
_SLOT_NAMES = ("requires_grad", "grad_fn", "output_nr", "size", "device")
_DEFAULTS = (False, None, None, None, None)


def _is_size(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _construct(tensor: Tensor, data, slots: tuple, more_sizes: tuple) -> None:
    """``Tensor(...)`` in PyTorch's forms (see the class docstring): set up ``tensor``.

    ``slots`` are the parameters after ``data``: positional sizes fill them first
    (``Tensor(2, 3)`` arrives as ``data=2, requires_grad=3``), so the leading run of ints
    there are sizes, and a ``size``/``device`` value after that run came by keyword. The cost
    of keeping the ops' path free: six or more sizes with ``device=`` collide with the
    ``device`` slot (Python's TypeError; ``tensorgrad.empty(..., device=)`` has no limit).
    """
    count = len(slots) if more_sizes else 0  # with more sizes, every slot held one
    while count < len(slots) and _is_size(slots[count]):
        count += 1
    sizes = slots[:count] + more_sizes
    for name, value, default in zip(_SLOT_NAMES[count:3], slots[count:3], _DEFAULTS[count:3]):
        if value is not default:
            raise TypeError(
                f"Tensor(): unexpected argument {name}={value!r} (PyTorch's constructor takes "
                f"sizes or data, and device=); use tensorgrad.tensor(data, dtype=..., "
                f"requires_grad=...) for those"
            )
    size = slots[3] if count <= 3 else None
    device = slots[4] if count <= 4 else None
    target = _backend.target_device(device, "Tensor")
    array_module = _backend.default_module
    if data is _NO_DATA or _is_size(data):
        if data is not _NO_DATA:
            sizes = (data, *sizes)
        if size is not None:
            if sizes:
                raise TypeError("Tensor(): sizes given both positionally and as size=")
            sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,)
        elif data is _NO_DATA and not sizes:
            sizes = (0,)  # Tensor(): empty
        shape = tuple(_size(s) for s in sizes)
        if any(s < 0 for s in shape):
            raise RuntimeError(
                f"Tensor(): trying to create a tensor with negative dimension "
                f"{min(shape)}: {list(shape)}"
            )
        empty = array_module.empty(shape, dtype=default_float_numpy())
        Tensor.__init__(tensor, _backend.transfer(empty, target))
        return
    if sizes or size is not None:
        raise TypeError(
            f"Tensor(): got {_describe(data)} and then sizes; pass either sizes (ints) or "
            f"one data sequence"
        )
    if isinstance(data, Tensor):  # an alias: same memory, dtype and graph (a recorded view)
        alias = data.view_as(data)
        Tensor.__init__(tensor, alias._data, alias._requires_grad, alias.grad_fn)
        tensor._version_counter = alias._version_counter
        tensor.__dict__.update(alias.__dict__)
        return
    if isinstance(data, (str, bytes)) or not (
        isinstance(data, (Sequence, range)) or hasattr(data, "__array__")
    ):
        hint = f"; use tensorgrad.tensor({data!r}) for a 0-d tensor" if _is_number(data) else ""
        raise TypeError(f"Tensor(): data must be a sequence (got {_describe(data)}){hint}")
    try:
        array = array_module.array(data)
    except ValueError as error:
        raise ValueError(f"Tensor(): data is not a rectangular nested sequence: {error}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor(): data must hold numbers, got NumPy dtype {array.dtype}")
    Tensor.__init__(tensor, _backend.transfer(array.astype(default_float_numpy()), target))


def _refuse_numpy(tensor: Tensor):
    """PyTorch's TypeError for NumPy conversion of a tensor in device memory."""
    raise TypeError(
        f"can't convert {tensor.device} device type tensor to numpy. Use Tensor.cpu() to "
        f"copy the tensor to host memory first."
    )


def _size(value) -> int:
    if not _is_size(value):
        raise TypeError(f"Tensor(): sizes must be ints, got {_describe(value)}")
    return int(value)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number)


def _describe(value) -> str:
    return "no data" if value is _NO_DATA else type(value).__name__


@observed  # inside a compiled step, ``p.grad = …`` is a step the replay repeats
def _assign_grad(tensor: Tensor, value: Tensor | None) -> None:
    """``tensor.grad = value``, checked."""
    if value is not None:
        if not isinstance(value, Tensor):
            raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
        if value.shape != tensor.shape:
            raise RuntimeError(
                f"grad: assigned grad has shape {value.shape} but the tensor has shape "
                f"{tensor.shape}"
            )
        if value._data.dtype != tensor._data.dtype:
            raise RuntimeError(
                f"grad: assigned grad has dtype {value.dtype} but the tensor has dtype "
                f"{tensor.dtype}"
            )
        if type(value._data) is not type(tensor._data):
            raise RuntimeError(
                f"grad: assigned grad has data located on {value.device}, different from the "
                f"tensor's {tensor.device}"
            )
    tensor._grad = value
