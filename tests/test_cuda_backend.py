"""The CUDA backend's own code, on every CPU-only run: in a fresh process, ``cupy`` is the
stand-in of ``fake_cupy.py`` (strict NumPy dressed as CuPy), so ``tensorgrad/_cupy.py`` and
``tensorgrad.cuda`` run as they would with a GPU. The maths on a real GPU is CuPy's; what is
checked here is tensorgrad's side: devices, moves, errors, the ``tensorgrad.cuda`` API.

With a real GPU and CuPy installed, ``test_on_a_real_gpu`` runs the op table there instead.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tensorgrad

TESTS = Path(__file__).parent

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import fake_cupy

    cupy = fake_cupy.install()
    import tensorgrad as tg
    from tensorgrad import nn

    assert not tg.cuda.is_initialized()
    assert tg.cuda.is_available() and tg.cuda.device_count() == 1
    assert tg.cuda.current_device() == 0
    assert tg.cuda.get_device_name() == tg.cuda.get_device_name(0) == fake_cupy.DEVICE_NAME
    assert tg.cuda.get_device_capability("cuda:0") == (9, 0)
    assert tg.cuda.get_device_properties(0).total_memory == 2**30

    x = tg.arange(6.0, device="cuda").reshape(2, 3)
    assert x.device == tg.device("cuda", 0) and x.is_cuda and not x.is_cpu
    assert x.get_device() == 0 and type(x._data) is cupy.ndarray
    assert "device='cuda:0'" in repr(x), repr(x)
    for convert in (np.asarray, lambda t: t.numpy()):
        try:
            convert(x)
        except TypeError as error:
            assert "Use Tensor.cpu()" in str(error)
        else:
            raise AssertionError("NumPy conversion of a cuda tensor must raise")
    assert x.cpu().tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and x.sum().item() == 15.0
    assert x.cuda() is x and x.to("cuda:0") is x and x.cpu().cuda().device == x.device
    try:
        x.to("cuda:1")
    except RuntimeError as error:
        assert "invalid device ordinal" in str(error)
    else:
        raise AssertionError("cuda:1 does not exist")
    try:
        x + tg.ones(2, 3)
    except RuntimeError as error:
        assert "same device" in str(error) and "cuda:0" in str(error) and "cpu" in str(error)
    else:
        raise AssertionError("mixing devices must raise")
    assert (x * tg.tensor(2.0)).device == x.device  # a 0-d CPU tensor joins as a scalar

    # A training step on the GPU equals the CPU's.
    results = []
    for where in ("cpu", "cuda"):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))
        model.to(where)
        optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
        inputs = tg.randn(16, 4, device=where)
        targets = tg.randint(0, 3, (16,), device=where)
        for _ in range(3):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
        assert all(p.device.type == where for p in model.parameters())
        results.append([p.detach().cpu().numpy() for p in model.parameters()] + [loss.item()])
    for cpu_value, gpu_value in zip(*results):
        np.testing.assert_array_equal(cpu_value, gpu_value)

    tg.cuda.synchronize()
    assert fake_cupy._Runtime.synchronized == 1
    assert tg.cuda.is_initialized()
    assert tg.cuda.memory_allocated() == 4096 and tg.cuda.max_memory_reserved() == 8192
    tg.cuda.empty_cache()
    assert cupy.get_default_memory_pool().freed == 1
    print("ok")
    """
)


def test_the_cuda_backend_on_a_stand_in_for_cupy():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=TESTS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


def test_without_cupy_cuda_is_unavailable_and_says_why():
    assert not tensorgrad.cuda.is_available() or "cupy" in sys.modules
    if tensorgrad.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(AssertionError, match="CUDA is not available: CuPy") as caught:
        tensorgrad.zeros(2, device="cuda")
    assert isinstance(caught.value, RuntimeError)
    assert "cupy" not in sys.modules or sys.modules["cupy"] is None
