"""DLPack both ways: ``tensorgrad.from_dlpack``, ``Tensor.__dlpack__`` and
``tensorgrad.utils.dlpack``, against NumPy and PyTorch (the oracle for what is refused)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad._device import DeviceUnavailableError
from tensorgrad.utils.dlpack import DLDeviceType, from_dlpack, to_dlpack

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_goes_to_torch_and_back_sharing_memory(name):
    t = tg.tensor([1, 0, 1]).to(getattr(tg, name))
    shared = torch.from_dlpack(t)
    assert shared.dtype == getattr(torch, name)
    assert shared.tolist() == t.tolist()
    back = tg.from_dlpack(shared)
    assert back.dtype == t.dtype
    shared[1] = 1  # a write through torch is seen by both tensorgrad tensors
    assert t.tolist() == [1, 1, 1] if name != "bool" else [True, True, True]
    assert back.tolist() == t.tolist()


def test_from_numpy_array_shares_memory_both_ways():
    array = np.arange(3.0)
    t = tg.from_dlpack(array)
    assert t.dtype == tg.float64
    t[0] = 7.0
    array[2] = -1.0
    assert array.tolist() == [7.0, 1.0, -1.0]
    assert t.tolist() == [7.0, 1.0, -1.0]


def test_strides_and_zero_d_survive_like_torch():
    base = tg.arange(6.0).reshape(2, 3)
    for t, reference in [
        (base.t(), torch.arange(6.0).reshape(2, 3).t()),
        (base[:, ::2], torch.arange(6.0).reshape(2, 3)[:, ::2]),
        (tg.tensor(2.5), torch.tensor(2.5)),
        (tg.ones(3).expand(2, 3), torch.ones(3).expand(2, 3)),
    ]:
        shared = torch.from_dlpack(t)
        assert (shared.shape, shared.stride()) == (reference.shape, reference.stride())
        assert shared.tolist() == reference.tolist()
        back = tg.from_dlpack(reference)
        assert (back.shape, back.stride()) == (tuple(reference.shape), reference.stride())


def test_the_legacy_capsule_is_read_by_torch_and_ours_by_tensorgrad():
    t = tg.arange(4.0)
    shared = torch.utils.dlpack.from_dlpack(to_dlpack(t))
    shared[1] = 9.0
    assert t.tolist() == [0.0, 9.0, 2.0, 3.0]
    # A broadcast view (read-only to NumPy) exports as PyTorch's expand does.
    assert torch.utils.dlpack.from_dlpack(to_dlpack(tg.ones(2).expand(3, 2))).stride() == (0, 1)
    source = torch.arange(3)
    ours = tg.from_dlpack(torch.utils.dlpack.to_dlpack(source))
    ours[0] = 5
    assert source.tolist() == [5, 1, 2]
    assert tg.utils.dlpack.from_dlpack is tg.from_dlpack is from_dlpack


def test_a_capsule_can_be_consumed_once_like_torch():
    capsule = to_dlpack(tg.ones(2))
    assert tg.from_dlpack(capsule).tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="consumed only once"):
        tg.from_dlpack(capsule)
    used = torch.utils.dlpack.to_dlpack(torch.ones(2))
    torch.from_dlpack(used)
    with pytest.raises(RuntimeError):
        torch.from_dlpack(used)


def test_requires_grad_is_refused_by_dunder_but_exported_by_to_dlpack_like_torch():
    for module in (tg, torch):
        with pytest.raises(BufferError, match="detach"):
            module.ones(2, requires_grad=True).__dlpack__()
        with pytest.raises(BufferError):
            (module.ones(2, requires_grad=True) * 2).__dlpack__()
    exported = torch.utils.dlpack.from_dlpack(to_dlpack(tg.ones(2, requires_grad=True)))
    assert (exported.tolist(), exported.requires_grad) == ([1.0, 1.0], False)
    with pytest.raises(TypeError, match="must be Tensor"):
        to_dlpack(np.ones(2))


def test_stream_argument_is_checked_like_torch():
    for module in (tg, torch):
        assert type(module.ones(1).__dlpack__(stream=None)).__name__ == "PyCapsule"
        assert type(module.ones(1).__dlpack__(stream=-1)).__name__ == "PyCapsule"
        with pytest.raises(AssertionError, match="stream should be None on cpu"):
            module.ones(1).__dlpack__(stream=1)
        with pytest.raises(TypeError, match="stream must be"):
            module.ones(1).__dlpack__(stream="x")


def test_versioned_capsule_when_asked_and_the_device_is_the_cpu():
    capsule = tg.ones(2).__dlpack__(max_version=(1, 0))
    assert "dltensor_versioned" in repr(capsule)
    assert "dltensor_versioned" not in repr(tg.ones(2).__dlpack__())
    assert tg.ones(1).__dlpack_device__() == torch.ones(1).__dlpack_device__()
    assert tg.ones(1).__dlpack_device__() == (DLDeviceType.kDLCPU, 0)
    assert isinstance(tg.ones(1).__dlpack_device__()[0], DLDeviceType)


def test_copy_true_does_not_share_and_device_must_be_the_cpu():
    array = np.zeros(2, dtype=np.float32)
    copied = tg.from_dlpack(array, copy=True)
    copied[0] = 1.0
    assert array.tolist() == [0.0, 0.0]
    assert tg.from_dlpack(array, device="cpu", copy=False).tolist() == [0.0, 0.0]
    with pytest.raises(DeviceUnavailableError, match="cuda"):
        tg.from_dlpack(array, device="cuda")
    with pytest.raises(AssertionError, match="already a DLPack capsule"):
        tg.from_dlpack(to_dlpack(tg.ones(1)), copy=True)


class _OnDevice:
    """A producer on an accelerator: DLPack device (kDLCUDA, 1)."""

    def __dlpack__(self, **kwargs):  # never reached: the device is checked first
        raise AssertionError("__dlpack__ called for a CUDA producer")

    def __dlpack_device__(self):
        return (2, 1)


def test_data_on_an_accelerator_raises_naming_the_device():
    with pytest.raises(DeviceUnavailableError, match="kDLCUDA:1"):
        tg.from_dlpack(_OnDevice())
    with pytest.raises(RuntimeError, match="kDLCUDA:0"):  # also a RuntimeError
        tg.ones(2).__dlpack__(dl_device=(DLDeviceType.kDLCUDA, 0))
    assert tg.ones(2).__dlpack__(dl_device=(DLDeviceType.kDLCPU, 0)) is not None


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (torch.ones(2, dtype=torch.bfloat16), "bfloat16"),
        (torch.ones(2, dtype=torch.complex64), "complex64"),
    ],
)
def test_a_dtype_tensorgrad_lacks_is_a_type_error_naming_it(source, name):
    with pytest.raises(TypeError, match=f"dtype {name} is not supported"):
        tg.from_dlpack(source)
    with pytest.raises(TypeError, match=name):
        tg.from_dlpack(torch.utils.dlpack.to_dlpack(source))


def test_something_that_is_not_dlpack_raises_runtime_error_like_torch():
    for module in (tg, torch):
        with pytest.raises(RuntimeError):
            module.from_dlpack([1, 2])


def test_read_only_memory_stays_read_only_and_legacy_capsules_are_writable():
    frozen = np.ones(2)
    frozen.flags.writeable = False
    assert tg.from_dlpack(frozen)._data.flags.writeable is False  # the producer's flag
    assert tg.from_dlpack(torch.utils.dlpack.to_dlpack(torch.ones(2)))._data.flags.writeable
