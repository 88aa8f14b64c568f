"""The device, pinned-memory, AMP and backend lines of real PyTorch scripts (nanoGPT, the
mnist example, the tutorials), checked against PyTorch's CPU build."""

from __future__ import annotations

import io
import warnings

import pytest

import tensorgrad as tg
from tensorgrad.utils.data import DataLoader, TensorDataset

torch = pytest.importorskip("torch")


def test_pin_memory_raises_and_is_pinned_is_false_like_torch():
    for module in (tg, torch):
        x = module.ones(2)
        assert x.is_pinned() is False
        with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            x.pin_memory()
        with pytest.warns(DeprecationWarning, match="deprecated"):
            assert x.is_pinned("cuda") is False
        with pytest.warns(DeprecationWarning), pytest.raises(RuntimeError, match="not an accel"):
            x.pin_memory("cpu")


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_refuse_pin_memory_true_like_torch(name):
    for module in (tg, torch):
        with pytest.raises(RuntimeError, match="pin_memory=True requires"):
            getattr(module, name)(2, pin_memory=True)
        assert tuple(getattr(module, name)(2, pin_memory=False).shape) == (2,)
    for module in (tg, torch):
        with pytest.raises(RuntimeError, match="pin_memory"):
            module.tensor([1.0], pin_memory=True)


def test_guarded_pin_memory_line_from_nanogpt_runs():
    device_type = "cuda" if tg.cuda.is_available() else "cpu"
    x = tg.arange(4)
    if device_type == "cuda":
        x = x.pin_memory().to("cuda", non_blocking=True)
    else:
        x = x.to("cpu", non_blocking=True)
    assert x.tolist() == [0, 1, 2, 3]


def _epochs_of_warnings(module, loader_module, **options):
    dataset = loader_module.TensorDataset(module.arange(4.0))
    loader = loader_module.DataLoader(dataset, batch_size=2, pin_memory=True, **options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        batches = [[x.tolist() for (x,) in loader] for _ in range(3)]
    return batches, [str(w.message) for w in caught]


def test_dataloader_pin_memory_warns_once_and_carries_on_like_torch():
    ours = _epochs_of_warnings(tg, tg.utils.data)
    theirs = _epochs_of_warnings(torch, torch.utils.data)
    assert ours[0] == theirs[0] == [[[0.0, 1.0], [2.0, 3.0]]] * 3
    assert len(ours[1]) == len(theirs[1]) == 1
    assert ours[1] == theirs[1]
    assert "no accelerator is found" in ours[1][0]
    dataset = TensorDataset(tg.arange(2.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [
            x.tolist() for (x,) in DataLoader(dataset, pin_memory=True, pin_memory_device="cuda")
        ] == [[0.0], [1.0]]
    assert [str(w.message)[:33] for w in caught] == [
        "pin_memory_device is deprecated, ",
        "'pin_memory' argument is set as t",
    ]


def test_matmul_precision_and_tf32_switches_are_one_setting_like_torch():
    saved = torch.backends.cuda.matmul.fp32_precision, tg.backends.cuda.matmul.fp32_precision
    try:
        for module in (tg, torch):
            matmul = module.backends.cuda.matmul
            module.set_float32_matmul_precision("high")
            assert (matmul.fp32_precision, matmul.allow_tf32) == ("tf32", True)
            assert module.get_float32_matmul_precision() == "high"
            module.set_float32_matmul_precision("highest")
            assert (matmul.fp32_precision, matmul.allow_tf32) == ("ieee", False)
            assert module.get_float32_matmul_precision() == "highest"
            with pytest.warns(UserWarning, match="bogus"):
                module.set_float32_matmul_precision("bogus")
            assert module.get_float32_matmul_precision() == "highest"
            with pytest.raises(RuntimeError, match="expects a str"):
                module.set_float32_matmul_precision(3)
            with pytest.raises(RuntimeError, match="Unknown precision"):
                matmul.fp32_precision = "bogus"
            with pytest.raises(AttributeError):
                matmul.bogus  # noqa: B018
    finally:
        torch.backends.cuda.matmul.fp32_precision, tg.backends.cuda.matmul.fp32_precision = saved


def test_tf32_lines_of_nanogpt_read_back():
    tg.backends.cuda.matmul.allow_tf32 = True
    tg.backends.cudnn.allow_tf32 = True
    assert tg.backends.cuda.matmul.allow_tf32 and tg.backends.cudnn.allow_tf32
    assert tg.backends.cuda.matmul.fp32_precision == "tf32"
    tg.backends.cuda.matmul.allow_tf32 = False
    assert tg.backends.cuda.matmul.fp32_precision == "ieee"


def test_deterministic_switch_like_torch():
    for module in (tg, torch):
        try:
            module.use_deterministic_algorithms(True, warn_only=True)
            assert module.are_deterministic_algorithms_enabled() is True
            assert module.is_deterministic_algorithms_warn_only_enabled() is True
            with pytest.raises(TypeError):
                module.use_deterministic_algorithms("yes")
        finally:
            module.use_deterministic_algorithms(False)
        assert module.are_deterministic_algorithms_enabled() is False


def test_attention_kernel_switches_like_torch():
    for module in (tg, torch):
        backend = module.backends.cuda
        assert backend.flash_sdp_enabled() and backend.math_sdp_enabled()
        with pytest.warns(FutureWarning, match="sdp_kernel"):
            switches = backend.sdp_kernel(enable_flash=False, enable_math=True)
            switches.__enter__()
        try:
            assert (backend.flash_sdp_enabled(), backend.math_sdp_enabled()) == (False, True)
        finally:
            switches.__exit__(None, None, None)
        assert backend.flash_sdp_enabled() is True
        backend.enable_mem_efficient_sdp(False)
        assert backend.mem_efficient_sdp_enabled() is False
        backend.enable_mem_efficient_sdp(True)


def test_autocast_dtype_follows_the_open_block_like_torch():
    for module in (tg, torch):
        assert module.get_autocast_dtype("cpu") == module.bfloat16
        assert module.get_autocast_dtype("cuda") == module.float16
        with module.autocast("cpu", dtype=module.float16):
            assert module.get_autocast_dtype("cpu") == module.float16
        assert module.get_autocast_dtype("cpu") == module.bfloat16
        with pytest.raises(RuntimeError):
            module.get_autocast_dtype("bogus")


def test_nanogpt_device_and_amp_preamble_matches_torch():
    def preamble(module):
        device = "cuda" if module.cuda.is_available() else "cpu"
        device_type = "cuda" if "cuda" in device else "cpu"
        dtype = (
            "bfloat16"
            if module.cuda.is_available() and module.cuda.is_bf16_supported()
            else "float16"
        )
        module.cuda.manual_seed(1337)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scaler = module.amp.GradScaler("cuda", enabled=(dtype == "float16"))
            legacy = module.cuda.amp.GradScaler(enabled=False)
        x = module.arange(3.0).to(device, non_blocking=True)
        return (
            device,
            device_type,
            dtype,
            scaler.is_enabled(),
            legacy.is_enabled(),
            scaler.scale(x).tolist(),
            f"{x.device}",
            x.device.type,
            x.is_cuda,
            str(module.device("cpu", 0)),
            module.accelerator.is_available(),
            module.backends.mps.is_available(),
            str(module.get_default_device()),
        )

    assert preamble(tg) == preamble(torch)


@pytest.mark.parametrize(
    "map_location", ["cpu", "device", "dict", "callable", None], ids=lambda v: str(v)
)
def test_checkpoint_round_trip_with_each_map_location(map_location):
    locations = {
        "device": tg.device("cpu"),
        "dict": {"cuda:0": "cpu"},
        "callable": lambda storage, location: storage,
    }
    model = tg.nn.Linear(3, 2)
    checkpoint = {"model": model.state_dict(), "iter_num": 5, "best_val_loss": tg.tensor(1.5)}
    buffer = io.BytesIO()
    tg.save(checkpoint, buffer)
    buffer.seek(0)
    loaded = tg.load(buffer, map_location=locations.get(map_location, map_location))
    restored = tg.nn.Linear(3, 2)
    restored.load_state_dict(loaded["model"])
    assert restored.weight.tolist() == model.weight.tolist()
    assert (loaded["iter_num"], loaded["best_val_loss"].item()) == (5, 1.5)
    with pytest.raises(RuntimeError):
        buffer.seek(0)
        tg.load(buffer, map_location="cuda")
