"""PyTorch names real scripts touch: ``cpu``, ``mps``, ``version``, ``jit``, inference-mode
queries, CPU-only generators, ``Module.to_empty`` and memory formats, each against the oracle."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import tomllib

import tensorgrad as tg

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ cpu
def test_cpu_answers_what_torch_cpu_answers():
    assert tg.cpu.is_available() is torch.cpu.is_available() is True
    assert tg.cpu.is_initialized() is torch.cpu.is_initialized()
    assert tg.cpu.device_count() == torch.cpu.device_count() == 1
    assert tg.cpu.current_device() == torch.cpu.current_device() == "cpu"
    assert tg.cpu.synchronize() is None and tg.cpu.synchronize("cpu") is None
    assert tg.cpu.set_device("cpu") is None


def test_cpu_stream_block_selects_the_stream_and_restores_it():
    default = tg.cpu.current_stream()
    assert isinstance(default, tg.cpu.Stream)
    other = tg.cpu.Stream()
    with tg.cpu.stream(other):
        assert tg.cpu.current_stream() is other
        with tg.cpu.stream(None):
            assert tg.cpu.current_stream() is other
    assert tg.cpu.current_stream() is default
    assert other.record_event() is torch.cpu.Stream().record_event() is None
    assert tg.cpu.Event().query() is torch.cpu.Event().query() is True


@pytest.mark.parametrize("name", ["autocast", "GradScaler"])
def test_cpu_amp_aliases_warn_futurewarning_like_torch(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(torch.cpu.amp, name)()
        getattr(tg.cpu.amp, name)()
    assert [w.category for w in caught] == [FutureWarning, FutureWarning]
    assert "amp." in str(caught[1].message) and "'cpu'" in str(caught[1].message)
    assert caught[1].filename == __file__  # points at the caller's line


def test_cpu_amp_autocast_is_autocast_on_the_cpu():
    with pytest.warns(FutureWarning):
        region = tg.cpu.amp.autocast()
    assert isinstance(region, tg.amp.autocast)
    assert (region.device, region.fast_dtype) == ("cpu", tg.bfloat16)
    with region:
        assert tg.is_autocast_enabled("cpu") is True
        assert tg.get_autocast_dtype("cpu") == tg.bfloat16
    assert tg.is_autocast_enabled("cpu") is False
    with pytest.warns(FutureWarning):
        decorated = tg.cpu.amp.autocast()(lambda: tg.is_autocast_enabled("cpu"))
    assert decorated() is True


def test_cpu_amp_autocast_with_an_unsupported_dtype_disables_itself_like_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.cpu.amp.autocast(dtype=torch.float32)._enabled
        got = tg.cpu.amp.autocast(dtype=tg.float32)._enabled
    assert got is expected is False


def test_cpu_amp_gradscaler_scales_on_the_cpu():
    with pytest.warns(FutureWarning):
        scaler = tg.cpu.amp.GradScaler(init_scale=4.0)
    assert scaler.is_enabled() and scaler.get_scale() == 4.0


# ------------------------------------------------------------------ mps
def test_mps_queries_match_torch_without_mps():
    assert tg.mps.is_available() is torch.mps.is_available() is False
    assert tg.mps.device_count() == torch.mps.device_count() == 0
    assert tg.mps.manual_seed(0) is torch.mps.manual_seed(0) is None


@pytest.mark.parametrize(
    "name, args",
    [
        ("empty_cache", ()),
        ("synchronize", ()),
        ("current_allocated_memory", ()),
        ("driver_allocated_memory", ()),
        ("recommended_max_memory", ()),
        ("seed", ()),
        ("get_rng_state", ()),
        ("set_per_process_memory_fraction", (0.5,)),
    ],
)
def test_mps_calls_that_need_the_device_raise_runtimeerror_like_torch(name, args):
    with pytest.raises(RuntimeError):
        getattr(torch.mps, name)(*args)
    with pytest.raises(RuntimeError, match=f"mps.{name}"):
        getattr(tg.mps, name)(*args)


# ------------------------------------------------------------------ version
def test_version_module_answers_like_a_cpu_build():
    for name in ("cuda", "hip", "rocm", "xpu"):
        assert getattr(tg.version, name) is getattr(torch.version, name) is None
    assert tg.version.debug is torch.version.debug is False
    assert isinstance(tg.version.git_version, str)
    assert all(hasattr(tg.version, name) for name in torch.version.__all__)
    assert not tg.version.cuda  # the ``if torch.version.cuda:`` check takes the CPU branch


def test_version_is_the_packages_own():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert tg.__version__ == tg.version.__version__ == project["version"]


# ------------------------------------------------------------------ inference mode
def _inference_flags(lib):
    flags = [lib.is_inference_mode_enabled()]
    with lib.inference_mode():
        flags.append(lib.is_inference_mode_enabled())
        with lib.inference_mode(False):
            flags.append(lib.is_inference_mode_enabled())
        with lib.no_grad():
            flags.append(lib.is_inference_mode_enabled())
        with lib.enable_grad():
            flags.append(lib.is_inference_mode_enabled())
        flags.append(lib.is_inference_mode_enabled())
    with lib.no_grad():
        flags.append(lib.is_inference_mode_enabled())
    flags.append(lib.inference_mode()(lib.is_inference_mode_enabled)())
    flags.append(lib.is_inference_mode_enabled())
    return flags


def test_is_inference_mode_enabled_follows_torch():
    assert _inference_flags(tg) == _inference_flags(torch)


def test_is_inference_mode_enabled_is_per_thread():
    import threading

    seen = []
    with tg.inference_mode():
        thread = threading.Thread(target=lambda: seen.append(tg.is_inference_mode_enabled()))
        thread.start()
        thread.join()
    assert seen == [False]


# ------------------------------------------------------------------ Generator
@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps", "meta"])
def test_generator_on_a_missing_device_raises_runtimeerror_like_torch(device):
    with pytest.raises(RuntimeError):
        torch.Generator(device=device)
    with pytest.raises(RuntimeError, match="Generator"):
        tg.Generator(device=device)
    with pytest.raises(RuntimeError):
        tg.Generator(device)


def test_generator_for_the_cpu_is_accepted_in_every_spelling():
    for device in ("cpu", "cpu:0", tg.device("cpu"), None):
        generator = tg.Generator(device=device)
        assert generator.device == tg.device("cpu")
        assert str(generator.device) == str(torch.Generator(device=str(device or "cpu")).device)
    with pytest.raises(RuntimeError):
        tg.Generator(device=0)  # an index names the accelerator, as in torch


# ------------------------------------------------------------------ Module.to_empty
def test_to_empty_keeps_parameters_and_gives_new_storage_like_torch():
    model = tg.nn.Linear(3, 2)
    model.register_buffer("steps", tg.ones(2, dtype=tg.int64))
    model.bias.requires_grad_(False)
    model.weight.grad = tg.ones(2, 3)
    weight, old_data = model.weight, model.weight.data
    assert model.to_empty(device="cpu") is model
    assert model.weight is weight and isinstance(model.weight, tg.nn.Parameter)
    assert not np.shares_memory(model.weight.data.numpy(), old_data.numpy())
    assert (model.weight.requires_grad, model.bias.requires_grad) == (True, False)
    assert model.weight.grad.shape == (2, 3)  # torch: a new uninitialised gradient too
    assert (model.steps.dtype, model.steps.shape) == (tg.int64, (2,))
    reference = torch.nn.Linear(3, 2).to_empty(device="cpu")
    assert [p.shape for p in model.parameters()] == [tuple(p.shape) for p in reference.parameters()]


def test_to_empty_recurse_false_leaves_children_alone():
    model = tg.nn.Sequential(tg.nn.Linear(2, 2))
    child_data = model[0].weight.detach().numpy()
    model.to_empty(device="cpu", recurse=False)
    assert np.shares_memory(model[0].weight.detach().numpy(), child_data)


def test_to_empty_errors_like_torch():
    model = tg.nn.Linear(2, 2)
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 2).to_empty("cpu")
    with pytest.raises(TypeError):
        model.to_empty("cpu")
    with pytest.raises(AssertionError):
        torch.nn.Linear(2, 2).to_empty(device="cuda")
    with pytest.raises(AssertionError):  # the device error is an AssertionError and RuntimeError
        model.to_empty(device="cuda")


# ------------------------------------------------------------------ memory formats
FORMATS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


def _pair(shape, seed=0):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return tg.tensor(data), torch.tensor(data)


def _fmt(lib, name):
    return getattr(lib, name)


def test_memory_format_objects_are_like_torchs():
    for name in FORMATS:
        value = getattr(tg, name)
        assert isinstance(value, tg.memory_format)
        assert repr(value) == repr(getattr(torch, name)).replace("torch", "tensorgrad")
        assert pickle.loads(pickle.dumps(value)) is value
    assert tg.channels_last == tg.channels_last != tg.contiguous_format
    with pytest.raises(TypeError):
        torch.memory_format()
    with pytest.raises(TypeError):
        tg.memory_format()


@pytest.mark.parametrize(
    "shape",
    [(2, 3, 4, 5), (2, 3, 1, 1), (2, 1, 4, 5), (1, 3, 4, 5), (2, 3, 4), (2, 3), (2, 3, 4, 5, 6)],
)
@pytest.mark.parametrize("name", FORMATS)
def test_is_contiguous_of_a_fresh_tensor_matches_torch(shape, name):
    ours, theirs = _pair(shape)
    assert ours.is_contiguous(memory_format=_fmt(tg, name)) is theirs.is_contiguous(
        memory_format=_fmt(torch, name)
    )


@pytest.mark.parametrize(
    "shape, name",
    [
        ((2, 3, 4, 5), "channels_last"),
        ((2, 3, 1, 1), "channels_last"),
        ((0, 3, 4, 5), "channels_last"),
        ((2, 3, 4, 5, 6), "channels_last_3d"),
        ((2, 3, 4, 5), "contiguous_format"),
    ],
)
def test_contiguous_in_a_format_gives_torchs_strides_and_the_same_values(shape, name):
    ours, theirs = _pair(shape)
    mine = ours.contiguous(memory_format=_fmt(tg, name))
    expected = theirs.contiguous(memory_format=_fmt(torch, name))
    np.testing.assert_array_equal(mine.numpy(), expected.numpy())
    if 0 in shape:
        return  # NumPy gives every empty array zero strides, so no layout can be read back
    assert mine.stride() == expected.stride()
    for check in FORMATS[:3]:
        assert mine.is_contiguous(memory_format=_fmt(tg, check)) is expected.is_contiguous(
            memory_format=_fmt(torch, check)
        )
    assert (mine.contiguous(memory_format=_fmt(tg, name)) is mine) is (
        expected.contiguous(memory_format=_fmt(torch, name)) is expected
    )
    assert mine.contiguous().stride() == expected.contiguous().stride()


def test_channels_last_layout_survives_clone_like_and_elementwise_ops_like_torch():
    ours, theirs = _pair((2, 3, 4, 5))
    mine = ours.contiguous(memory_format=tg.channels_last)
    expected = theirs.contiguous(memory_format=torch.channels_last)
    cl, torch_cl = tg.channels_last, torch.channels_last
    cf, torch_cf = tg.contiguous_format, torch.contiguous_format
    pairs = [
        (mine.clone(), expected.clone()),
        (mine.clone(memory_format=cf), expected.clone(memory_format=torch_cf)),
        (tg.clone(ours, memory_format=cl), torch.clone(theirs, memory_format=torch_cl)),
        (tg.empty_like(mine), torch.empty_like(expected)),
        (tg.zeros_like(mine), torch.zeros_like(expected)),
        (tg.ones_like(ours, memory_format=cl), torch.ones_like(theirs, memory_format=torch_cl)),
        (
            tg.full_like(ours, 2.0, memory_format=cl),
            torch.full_like(theirs, 2.0, memory_format=torch_cl),
        ),
        (tg.rand_like(ours, memory_format=cl), torch.rand_like(theirs, memory_format=torch_cl)),
        (tg.randn_like(mine), torch.randn_like(expected)),
        (tg.randint_like(mine, 3), torch.randint_like(expected, 3)),
        (tg.empty(2, 3, 4, 5, memory_format=cl), torch.empty(2, 3, 4, 5, memory_format=torch_cl)),
        (mine.exp(), expected.exp()),
        (mine + 1, expected + 1),
        (mine.double(), expected.double()),
        (ours.float(memory_format=cl), theirs.float(memory_format=torch_cl)),
        (ours.to(memory_format=cl), theirs.to(memory_format=torch_cl)),
        (ours.to(tg.float64, memory_format=cl), theirs.to(torch.float64, memory_format=torch_cl)),
        (mine.to(memory_format=cf), expected.to(memory_format=torch_cf)),
    ]
    for got, want in pairs:
        assert got.stride() == want.stride()
    np.testing.assert_array_equal(pairs[0][0].numpy(), expected.numpy())
    np.testing.assert_array_equal(pairs[5][0].numpy(), np.ones((2, 3, 4, 5)))
    assert (mine.to(memory_format=tg.channels_last) is mine) is (
        expected.to(memory_format=torch.channels_last) is expected
    )
    assert ours.to(memory_format=tg.contiguous_format) is ours


def test_a_channels_last_copy_is_differentiable_like_clone():
    ours, theirs = _pair((2, 3, 4, 5))
    ours.requires_grad_(), theirs.requires_grad_()
    mine = ours.contiguous(memory_format=tg.channels_last)
    expected = theirs.contiguous(memory_format=torch.channels_last)
    assert mine.grad_fn.name() == expected.grad_fn.name() == "CloneBackward0"
    (mine * mine).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


def _raises_same(ours, theirs, error):
    with pytest.raises(error):
        theirs()
    with pytest.raises(error):
        ours()


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 3, 4, 5, 6)])
def test_channels_last_on_the_wrong_rank_raises_runtimeerror_like_torch(shape):
    ours, theirs = _pair(shape)
    cases = [
        (lambda: ours.contiguous(memory_format=tg.channels_last),
         lambda: theirs.contiguous(memory_format=torch.channels_last)),
        (lambda: ours.to(memory_format=tg.channels_last),
         lambda: theirs.to(memory_format=torch.channels_last)),
        (lambda: ours.clone(memory_format=tg.channels_last),
         lambda: theirs.clone(memory_format=torch.channels_last)),
        (lambda: tg.empty_like(ours, memory_format=tg.channels_last),
         lambda: torch.empty_like(theirs, memory_format=torch.channels_last)),
        (lambda: tg.empty(*shape, memory_format=tg.channels_last),
         lambda: torch.empty(*shape, memory_format=torch.channels_last)),
    ]  # fmt: skip
    for mine, expected in cases:
        _raises_same(mine, expected, RuntimeError)


def test_channels_last_3d_on_a_4d_tensor_raises_like_torch():
    ours, theirs = _pair((2, 3, 4, 5))
    _raises_same(
        lambda: ours.contiguous(memory_format=tg.channels_last_3d),
        lambda: theirs.contiguous(memory_format=torch.channels_last_3d),
        RuntimeError,
    )


def test_memory_format_argument_errors_match_torch():
    ours, theirs = _pair((2, 3, 4, 5))
    _raises_same(
        lambda: ours.contiguous(memory_format="channels_last"),
        lambda: theirs.contiguous(memory_format="channels_last"),
        TypeError,
    )
    _raises_same(
        lambda: ours.contiguous(memory_format=None),
        lambda: theirs.contiguous(memory_format=None),
        TypeError,
    )
    _raises_same(
        lambda: ours.is_contiguous(memory_format=None),
        lambda: theirs.is_contiguous(memory_format=None),
        TypeError,
    )
    _raises_same(
        lambda: ours.contiguous(tg.channels_last),
        lambda: theirs.contiguous(torch.channels_last),
        TypeError,
    )
    _raises_same(
        lambda: tg.empty(2, 3, memory_format=tg.preserve_format),
        lambda: torch.empty(2, 3, memory_format=torch.preserve_format),
        RuntimeError,
    )
    # preserve_format: fine on a row-major tensor, refused on any other
    assert ours.contiguous(memory_format=tg.preserve_format) is ours
    _raises_same(
        lambda: ours.contiguous(memory_format=tg.channels_last).contiguous(
            memory_format=tg.preserve_format
        ),
        lambda: theirs.contiguous(memory_format=torch.channels_last).contiguous(
            memory_format=torch.preserve_format
        ),
        RuntimeError,
    )
    # None means the default where torch allows it
    assert ours.to(memory_format=None) is ours
    assert ours.clone(memory_format=None).stride() == theirs.clone(memory_format=None).stride()
    assert tg.empty(2, 3, memory_format=None).stride() == (3, 1)


def test_module_to_channels_last_converts_image_shaped_state_like_torch():
    ours = tg.nn.Sequential(tg.nn.Conv2d(3, 4, 3), tg.nn.Linear(3, 2))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Linear(3, 2))
    for model, lib in ((ours, tg), (theirs, torch)):
        model.register_buffer("counts", lib.zeros(2, 3, 4, 5, dtype=lib.int64))
        model[0].weight.grad = lib.ones(4, 3, 3, 3)
    weight = ours[0].weight
    assert ours.to(memory_format=tg.channels_last) is ours
    theirs.to(memory_format=torch.channels_last)
    assert ours[0].weight is weight
    for got, want in zip(
        [ours[0].weight, ours[0].weight.grad, ours.counts, ours[1].weight],
        [theirs[0].weight, theirs[0].weight.grad, theirs.counts, theirs[1].weight],
    ):
        assert got.stride() == want.stride()
    ours.to(tg.float64, memory_format=tg.channels_last)
    assert (ours[0].weight.dtype, ours.counts.dtype) == (tg.float64, tg.int64)
    ours.to(memory_format=tg.contiguous_format)
    assert ours[0].weight.is_contiguous()
    with pytest.raises(RuntimeError):
        theirs.to(memory_format=torch.channels_last_3d)
    with pytest.raises(RuntimeError):
        ours.to(memory_format=tg.channels_last_3d)
    with pytest.raises(TypeError):
        ours.to(memory_format="channels_last")


# ------------------------------------------------------------------ jit
def test_jit_decorators_leave_the_function_as_it_is():
    def double(x):
        return 2 * x

    for decorate in (tg.jit.ignore, tg.jit.unused, tg.jit.export, tg.jit.ignore(drop=False)):
        assert decorate(double) is double
    assert tg.jit.is_scripting() is torch.jit.is_scripting() is False
    assert tg.jit.is_tracing() is torch.jit.is_tracing() is False
    assert tg.jit.annotate(int, 3) == torch.jit.annotate(int, 3) == 3

    class Model(tg.nn.Module):
        @tg.jit.unused
        @property
        def size(self):
            return 5

        @tg.jit.export
        def answer(self):
            return 42

    assert (Model().size, Model().answer()) == (5, 42)


def test_jit_ignore_errors_and_warnings_match_torch():
    with pytest.raises(RuntimeError):
        torch.jit.ignore(3)
    with pytest.raises(RuntimeError, match="bool or a function"):
        tg.jit.ignore(3)
    with pytest.warns(FutureWarning):
        torch.jit.ignore(True)
    with pytest.warns(FutureWarning, match="unused"):
        decorator = tg.jit.ignore(True)
    assert decorator(len) is len


@pytest.mark.parametrize("name", ["script", "trace"])
def test_jit_script_and_trace_refuse_honestly(name):
    with pytest.raises(NotImplementedError, match=f"jit.{name}"):
        getattr(tg.jit, name)(tg.nn.Linear(2, 2))


# ------------------------------------------------------------------ backends, threads
def test_opt_einsum_answers_like_torch_without_the_package():
    ours, theirs = tg.backends.opt_einsum, torch.backends.opt_einsum
    assert ours.is_available() is theirs.is_available() is False
    assert ours.get_opt_einsum() is theirs.get_opt_einsum() is None
    assert ours.enabled is theirs.enabled is False
    assert ours.strategy is theirs.strategy is None


def test_cudnn_enabled_and_compiler_is_compiling_match_torch():
    assert tg.backends.cudnn.enabled is torch.backends.cudnn.enabled is True
    assert tg.compiler.is_compiling() is torch.compiler.is_compiling() is False
