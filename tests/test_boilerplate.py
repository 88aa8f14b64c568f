"""What scripts run before they train: device checks, backend switches, thread counts, the
modules they import at the top, ``Variable``, ``GradScaler`` and ``autocast`` — each answered
as PyTorch built without CUDA answers it (checked against it where it is installed)."""

from __future__ import annotations

import math
import os
import pickle
import warnings
from contextlib import nullcontext

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def raised(function) -> BaseException:
    """The exception ``function()`` raises (the test fails if it returns)."""
    with pytest.raises(BaseException) as info:
        function()
    return info.value


def same_exception_type(ours, theirs) -> None:
    """Our error is an instance of PyTorch's type (``except`` clauses for it catch ours)."""
    error, reference = raised(ours), raised(theirs)
    assert isinstance(error, type(reference)), (type(error), type(reference))


# ---------------------------------------------------------------- accelerator and backends
def test_accelerator_answers_as_pytorch_without_one(torch):
    assert tg.accelerator.is_available() is torch.accelerator.is_available() is False
    assert tg.accelerator.current_accelerator() is torch.accelerator.current_accelerator()
    assert tg.accelerator.current_accelerator(check_available=True) is None
    assert tg.accelerator.device_count() == torch.accelerator.device_count() == 0
    for name in ("current_device_index", "synchronize", "empty_cache", "memory_allocated"):
        ours, theirs = getattr(tg.accelerator, name), getattr(torch.accelerator, name)
        same_exception_type(ours, theirs)
        assert "none is available" in str(raised(ours))
    same_exception_type(
        lambda: tg.accelerator.set_device_index(0), lambda: torch.accelerator.set_device_index(0)
    )


def test_backend_queries_and_switches(torch, monkeypatch):
    assert tg.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert tg.backends.mps.is_built() is torch.backends.mps.is_built() is False
    assert tg.backends.cudnn.is_available() is torch.backends.cudnn.is_available()
    assert tg.backends.cudnn.version() is torch.backends.cudnn.version() is None
    assert tg.backends.cuda.is_built() is torch.backends.cuda.is_built()
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(tg.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction"):
        assert getattr(tg.backends.cuda.matmul, name) == getattr(torch.backends.cuda.matmul, name)
    # Accepted, read back, no effect (monkeypatch restores them).
    monkeypatch.setattr(tg.backends.cudnn, "benchmark", True)
    monkeypatch.setattr(tg.backends.cudnn, "deterministic", True)
    monkeypatch.setattr(tg.backends.cuda.matmul, "allow_tf32", True)
    assert tg.backends.cudnn.benchmark and tg.backends.cuda.matmul.allow_tf32
    assert (tg.ones(2, 2) @ tg.ones(2, 2)).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf33"):
        tg.backends.cuda.matmul.allow_tf33 = True
    with pytest.raises(AttributeError, match="Unknown attribute"):
        tg.backends.cuda.matmul.allow_tf33  # noqa: B018


def test_import_forms_scripts_use():
    import tensorgrad.backends.cudnn as cudnn
    from tensorgrad.cuda.amp import GradScaler, autocast
    from tensorgrad.distributed import destroy_process_group, init_process_group
    from tensorgrad.nn.parallel import DistributedDataParallel

    assert cudnn is tg.backends.cudnn and GradScaler is tg.cuda.amp.GradScaler
    assert callable(autocast) and callable(init_process_group) and callable(destroy_process_group)
    assert issubclass(DistributedDataParallel, nn.Module)
    assert tg.nn.DataParallel is tg.nn.parallel.DataParallel


# ---------------------------------------------------------------- devices
def test_cuda_module_answers_as_pytorch_without_cuda(torch):
    assert tg.cuda.is_available() is torch.cuda.is_available() is False
    assert tg.cuda.device_count() == torch.cuda.device_count() == 0
    assert tg.cuda.is_initialized() is torch.cuda.is_initialized() is False
    assert tg.cuda.is_bf16_supported() is torch.cuda.is_bf16_supported() is False
    assert tg.cuda.memory_allocated() == torch.cuda.memory_allocated() == 0
    assert tg.cuda.max_memory_allocated() == torch.cuda.max_memory_allocated() == 0
    assert tg.cuda.empty_cache() is None and tg.cuda.manual_seed_all(0) is None
    for name in ("current_device", "synchronize", "get_device_name"):
        same_exception_type(getattr(tg.cuda, name), getattr(torch.cuda, name))


@pytest.mark.parametrize(
    "make",
    [
        lambda m, device: m.ones(2).cuda(),
        lambda m, device: m.ones(2).to("cuda"),
        lambda m, device: m.ones(2).to(device("cuda", 1)),
        lambda m, device: m.zeros(2, device="cuda"),
        lambda m, device: m.tensor([1.0], device=device("cuda")),
        lambda m, device: m.nn.Linear(2, 2).cuda(),
        lambda m, device: m.nn.Linear(2, 2).to("cuda"),
        lambda m, device: m.zeros(1, device="xpu"),
        lambda m, device: m.nn.Linear(2, 2, device="cuda"),
        lambda m, device: m.nn.LayerNorm(2, device="cuda"),
        lambda m, device: m.nn.LSTM(2, 3, device="cuda"),
        lambda m, device: m.nn.TransformerEncoderLayer(8, 2, 16, device=device("cuda")),
    ],
    ids=[
        "x.cuda",
        "x.to",
        "x.to-device",
        "zeros",
        "tensor",
        "module.cuda",
        "module.to",
        "xpu",
        "Linear",
        "LayerNorm",
        "LSTM",
        "TransformerEncoderLayer",
    ],
)
def test_using_a_gpu_raises_pytorchs_assertion_error(torch, make):
    error = raised(lambda: make(tg, tg.device))
    reference = raised(lambda: make(torch, torch.device))
    assert type(reference) is AssertionError and "not compiled with" in str(reference)
    assert isinstance(error, AssertionError) and isinstance(error, RuntimeError)
    assert "is not available" in str(error) and "CPU" in str(error)


def test_the_error_names_the_call_and_the_device():
    with pytest.raises(RuntimeError, match=r"^cuda: CUDA is not available.*'cuda:1'"):
        tg.ones(1).cuda(1)
    with pytest.raises(RuntimeError, match=r"^randn: MPS is not available.*'mps'"):
        tg.randn(2, device="mps")
    with pytest.raises(RuntimeError, match="invalid device 'cpu', must be a cuda device"):
        tg.ones(1).cuda(tg.device("cpu"))


def test_module_cuda_raises_even_without_parameters():
    """*Decision:* PyTorch returns a parameterless module unchanged (nothing to move)."""
    with pytest.raises(AssertionError, match="CUDA is not available"):
        nn.ReLU().cuda()
    assert nn.ReLU().cpu().__class__ is nn.ReLU


def test_where_a_tensor_lives(torch):
    ours, theirs = tg.ones(2), torch.ones(2)
    for name in ("is_cuda", "is_cpu", "is_mps", "is_meta"):
        assert getattr(ours, name) is getattr(theirs, name), name
    assert ours.get_device() == theirs.get_device() == -1
    assert isinstance(ours.device, tg.device) and ours.device == tg.device("cpu")
    assert ours.cpu() is ours


FACTORIES = {
    "tensor": lambda device: tg.tensor([1.0, 2.0], device=device),
    "as_tensor": lambda device: tg.as_tensor([1.0, 2.0], device=device),
    "zeros": lambda device: tg.zeros(2, device=device),
    "ones": lambda device: tg.ones(2, device=device),
    "empty": lambda device: tg.empty(2, device=device),
    "full": lambda device: tg.full((2,), 3.0, device=device),
    "arange": lambda device: tg.arange(2, device=device),
    "linspace": lambda device: tg.linspace(0, 1, 2, device=device),
    "eye": lambda device: tg.eye(2, device=device)[0],
    "rand": lambda device: tg.rand(2, device=device),
    "randn": lambda device: tg.randn(2, device=device),
    "randint": lambda device: tg.randint(0, 3, (2,), device=device),
    "randperm": lambda device: tg.randperm(2, device=device),
    "zeros_like": lambda device: tg.zeros_like(tg.ones(2), device=device),
    "ones_like": lambda device: tg.ones_like(tg.ones(2), device=device),
    "empty_like": lambda device: tg.empty_like(tg.ones(2), device=device),
    "full_like": lambda device: tg.full_like(tg.ones(2), 3.0, device=device),
    "rand_like": lambda device: tg.rand_like(tg.ones(2), device=device),
    "randn_like": lambda device: tg.randn_like(tg.ones(2), device=device),
    "randint_like": lambda device: tg.randint_like(tg.ones(2), 3, device=device),
    "new_zeros": lambda device: tg.ones(2).new_zeros(2, device=device),
    "new_ones": lambda device: tg.ones(2).new_ones(2, device=device),
    "new_empty": lambda device: tg.ones(2).new_empty(2, device=device),
    "new_full": lambda device: tg.ones(2).new_full((2,), 3.0, device=device),
    "new_tensor": lambda device: tg.ones(2).new_tensor([1.0, 2.0], device=device),
    "to": lambda device: tg.ones(2).to(device),
    "to-keyword": lambda device: tg.ones(2).to(device=device, dtype=tg.float64),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_device_argument_takes_a_string_or_a_device_and_refuses_a_gpu(name):
    make = FACTORIES[name]
    for cpu in ("cpu", "cpu:0", tg.device("cpu"), tg.device("cpu", 0)):
        made = make(cpu)
        assert made.shape == (2,) and made.device == tg.device("cpu"), (name, cpu)
    for gpu in ("cuda", tg.device("cuda", 0), "mps"):
        with pytest.raises(AssertionError, match=rf"^{name.split('-')[0]}: .* is not available"):
            make(gpu)
    if not name.startswith("to"):  # Tensor.to reads an int as a dtype (not a device) for now
        with pytest.raises(RuntimeError, match="none is available"):
            make(0)  # PyTorch: the current accelerator, and there is none


def test_module_to_takes_a_device():
    model = nn.Linear(2, 3)
    assert model.to(tg.device("cpu")) is model and model.to("cpu", tg.float64) is model
    assert model.weight.dtype == tg.float64
    with pytest.raises(AssertionError, match="CUDA is not available"):
        model.to(device=tg.device("cuda"))


def test_default_device(torch):
    assert tg.get_default_device() == tg.device("cpu")
    assert str(tg.get_default_device()) == str(torch.get_default_device())
    for value in ("cpu", tg.device("cpu"), None):
        assert tg.set_default_device(value) is None
        assert tg.get_default_device() == tg.device("cpu")
    # PyTorch accepts set_default_device("cuda") and raises at the next tensor made;
    # tensorgrad raises at once, with the same exception type.
    try:
        torch.set_default_device("cuda")
        reference = raised(lambda: torch.zeros(1))
    finally:
        torch.set_default_device(None)
    error = raised(lambda: tg.set_default_device("cuda"))
    assert isinstance(error, type(reference)) and "set_default_device" in str(error)
    assert tg.zeros(1).device == tg.device("cpu")
    with tg.device("cpu") as device:
        assert device == tg.device("cpu") and tg.ones(1).device == device
    with pytest.raises(AssertionError), tg.device("cuda"):
        pass


def test_device_parsing_follows_pytorch(torch):
    for args in [("cpu",), ("cuda:1",), ("cuda", 2), ("mps",), ("cpu", 0)]:
        assert repr(tg.device(*args)) == repr(torch.device(*args)), args
        assert str(tg.device(*args)) == str(torch.device(*args)), args
    for args in [(1.5,), (None,), ("cuda", "0")]:
        same_exception_type(lambda a=args: tg.device(*a), lambda a=args: torch.device(*a))
    for args in [("gpu",), ("cuda:x",), ("cuda:0", 1), ("cuda", -1), (3,)]:
        same_exception_type(lambda a=args: tg.device(*a), lambda a=args: torch.device(*a))
    assert tg.device("cpu") != "cpu" and torch.device("cpu") != "cpu"
    assert pickle.loads(pickle.dumps(tg.device("cuda", 1))) == tg.device("cuda", 1)
    assert len({tg.device("cpu"), tg.device("cpu"), tg.device("cpu", 0)}) == 2


def test_device_agnostic_boilerplate_of_the_tutorials_and_examples():
    # pytorch/tutorials' quickstart and pytorch/examples' mnist, with the import swapped.
    device = tg.accelerator.current_accelerator().type if tg.accelerator.is_available() else "cpu"
    use_mps = tg.backends.mps.is_available()
    device = tg.device("cuda" if tg.cuda.is_available() else "mps" if use_mps else device)
    tg.backends.cudnn.benchmark = False  # PyTorch's default: the test leaves it as found
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU()).to(device)
    batch = tg.randn(2, 4).to(device)
    assert model(batch).device == device and model(batch).shape == (2, 3)


# ---------------------------------------------------------------- threads
def test_num_threads_sets_the_blas_pool():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    if not blas:
        pytest.skip("NumPy's BLAS is not visible to threadpoolctl")
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert tg.get_num_threads() == 1
        assert all(
            i["num_threads"] == 1
            for i in threadpoolctl.threadpool_info()
            if i["user_api"] == "blas"
        )
        a = tg.randn(64, 64)
        assert np.allclose((a @ a).numpy(), a.numpy() @ a.numpy(), atol=1e-4)
        tg.set_num_threads(np.int64(2))
        assert tg.get_num_threads() == 2
    finally:
        tg.set_num_threads(before)


def test_num_threads_without_threadpoolctl(monkeypatch):
    monkeypatch.setattr("tensorgrad._threads.threadpoolctl", None)
    assert tg.get_num_threads() == (os.cpu_count() or 1)
    assert tg.set_num_threads(1) is None
    assert tg.get_num_threads() == (os.cpu_count() or 1)


@pytest.mark.parametrize("value", [0, -1, 1.5, "1", True])
@pytest.mark.parametrize("name", ["set_num_threads", "set_num_interop_threads"])
def test_thread_counts_are_checked_as_in_pytorch(torch, name, value):
    error = raised(lambda: getattr(tg, name)(value))
    reference = raised(lambda: getattr(torch, name)(value))
    assert type(error) is type(reference) is RuntimeError
    assert str(error) == str(reference)


def test_interop_threads_are_remembered(monkeypatch):
    monkeypatch.setattr("tensorgrad._threads._interop_threads", [os.cpu_count() or 1])
    assert tg.get_num_interop_threads() == (os.cpu_count() or 1)
    tg.set_num_interop_threads(3)
    assert tg.get_num_interop_threads() == 3


# ---------------------------------------------------------------- onnx, distributed, parallel
def test_onnx_export_is_pytorchs_entry_point():
    pytest.importorskip("onnx")
    import tensorgrad.onnx

    assert tensorgrad.onnx.is_in_onnx_export() is False
    model = tensorgrad.onnx.export(nn.Linear(2, 2), (tg.ones(1, 2),), None)
    assert [output.name for output in model.graph.output] == ["output"]


def test_distributed_is_unavailable_and_collectives_raise_pytorchs_error(torch):
    assert tg.distributed.is_available() is False  # *Decision:* PyTorch's Linux build says True
    assert tg.distributed.is_initialized() is torch.distributed.is_initialized() is False
    assert tg.distributed.is_nccl_available() is torch.distributed.is_nccl_available() is False
    with pytest.raises(RuntimeError, match="distributed training is not available"):
        tg.distributed.init_process_group(backend="gloo")
    for name in ("get_rank", "get_world_size", "barrier", "get_backend"):
        ours, theirs = getattr(tg.distributed, name), getattr(torch.distributed, name)
        same_exception_type(ours, theirs)
        assert "not been initialized" in str(raised(ours))
    same_exception_type(
        lambda: tg.distributed.all_reduce(tg.ones(1), op=tg.distributed.ReduceOp.SUM),
        lambda: torch.distributed.all_reduce(torch.ones(1), op=torch.distributed.ReduceOp.SUM),
    )
    same_exception_type(
        tg.distributed.destroy_process_group, torch.distributed.destroy_process_group
    )


def test_distributed_data_parallel_raises(torch):
    model = nn.Linear(2, 2)
    error = raised(lambda: nn.parallel.DistributedDataParallel(model, device_ids=[0]))
    reference = raised(lambda: torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2)))
    assert isinstance(error, type(reference)) and isinstance(error, RuntimeError)
    assert "distributed training is not available" in str(error)


def test_data_parallel_wraps_and_calls_the_module(torch):
    model = nn.Linear(2, 3)
    wrapped = nn.DataParallel(model, device_ids=[0, 1])
    reference = torch.nn.DataParallel(torch.nn.Linear(2, 3))
    assert wrapped.module is model and wrapped.device_ids == reference.device_ids == []
    x = tg.randn(4, 2)
    assert np.array_equal(wrapped(x).detach().numpy(), model(x).detach().numpy())
    assert list(wrapped.state_dict()) == list(reference.state_dict())
    assert repr(wrapped) == repr(reference)
    assert list(wrapped.parameters()) == list(model.parameters())


# ---------------------------------------------------------------- Variable
def test_variable_is_a_tensor_sharing_memory(torch):
    Variable = tg.autograd.Variable
    x = tg.ones(2)
    v = Variable(x, requires_grad=True)
    reference = torch.autograd.Variable(torch.ones(2), requires_grad=True)
    assert type(v) is tg.Tensor and v is not x
    assert (v.requires_grad, v.is_leaf, x.requires_grad) == (
        reference.requires_grad,
        reference.is_leaf,
        False,
    )
    (v * 3).sum().backward()
    assert v.grad.tolist() == [3.0, 3.0]
    x.add_(1)  # shares memory with x, as PyTorch's does
    assert v.tolist() == [2.0, 2.0]
    assert isinstance(x, Variable) and isinstance(v, Variable) and not isinstance(1.0, Variable)
    assert Variable(x).requires_grad is False
    detached = Variable(tg.ones(2, requires_grad=True) * 2)
    assert detached.grad_fn is None and detached.requires_grad is False


def test_variable_errors_and_legacy_arguments(torch):
    Variable, TorchVariable = tg.autograd.Variable, torch.autograd.Variable
    same_exception_type(lambda: Variable([1.0]), lambda: TorchVariable([1.0]))
    same_exception_type(
        lambda: Variable(tg.ones(2, dtype=tg.int64), requires_grad=True),
        lambda: TorchVariable(torch.ones(2, dtype=torch.int64), requires_grad=True),
    )
    empty = Variable()
    assert empty.shape == tuple(TorchVariable().shape) == (0,) and empty.dtype == tg.float32
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert Variable(tg.ones(1), volatile=True).tolist() == [1.0]


# ---------------------------------------------------------------- GradScaler
def _model_and_optimizer(module, dtype=None):
    parameter = module.nn.Parameter(module.ones(2, dtype=dtype))
    return parameter, module.optim.SGD([parameter], lr=1.0)


def test_a_disabled_scaler_passes_through():
    with pytest.warns(FutureWarning, match="deprecated"):
        scaler = tg.cuda.amp.GradScaler(enabled=False)
    parameter, optimizer = _model_and_optimizer(tg)
    loss = (parameter * 2).sum()
    assert scaler.scale(loss) is loss and scaler.scale([loss])[0] is loss
    loss.backward()
    assert scaler.unscale_(optimizer) is None and parameter.grad.tolist() == [2.0, 2.0]
    assert scaler.step(optimizer) is None and parameter.tolist() == [-1.0, -1.0]
    assert scaler.update() is None and scaler.update(4.0) is None
    assert scaler.get_scale() == 1.0 and scaler.is_enabled() is False
    assert scaler.state_dict() == {} and scaler.load_state_dict({}) is None


@pytest.mark.parametrize(
    "make", [lambda m: m.cuda.amp.GradScaler(), lambda m: m.amp.GradScaler()], ids=["cuda", "amp"]
)
def test_a_cuda_scaler_warns_and_disables_itself_as_in_pytorch(torch, make):
    def categories(module):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = make(module)
        return scaler, [w.category for w in caught], caught

    ours, our_categories, caught = categories(tg)
    theirs, their_categories, _ = categories(torch)
    assert our_categories == their_categories and UserWarning in our_categories
    assert ours.is_enabled() is theirs.is_enabled() is False
    assert caught[-1].filename == __file__  # points at the line that made the scaler
    assert "CUDA is not available" in str(caught[-1].message)


def test_a_cpu_scaler_matches_pytorch_step_by_step(torch):
    scalers = [m.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2) for m in (tg, torch)]
    models = [_model_and_optimizer(m) for m in (tg, torch)]
    for factor in [1.0, math.inf, 1.0, 1.0, 1.0, math.nan, 3.0]:
        results = []
        for scaler, (parameter, optimizer) in zip(scalers, models):
            optimizer.zero_grad()
            scaled = scaler.scale((parameter * factor).sum())
            scaled.backward()
            grad = parameter.grad.tolist()
            returned = scaler.step(optimizer)
            scaler.update()
            results.append((scaled.item(), grad, parameter.tolist(), returned, scaler.state_dict()))
        assert repr(results[0]) == repr(results[1]), factor  # floats exactly, NaN included
    for scaler in scalers:
        scaler.update(3.0)
    assert scalers[0].get_scale() == scalers[1].get_scale() == 3.0


def test_a_cpu_scaler_unscales_before_clipping_and_keeps_dtypes(torch):
    for module in (tg, torch):
        scaler = module.amp.GradScaler("cpu", init_scale=8.0)
        parameter, optimizer = _model_and_optimizer(module, module.float64)
        scaled = scaler.scale((parameter * 3).sum())
        assert scaled.dtype == module.float64
        scaled.backward()
        assert parameter.grad.tolist() == [24.0, 24.0]
        scaler.unscale_(optimizer)
        assert parameter.grad.tolist() == [3.0, 3.0]
        scaler.step(optimizer)
        assert parameter.tolist() == [-2.0, -2.0]
    assert tg.amp.GradScaler("cpu").scale(tg.ones(1, dtype=tg.int64)).dtype == tg.float32
    scaler = tg.amp.GradScaler("cpu", init_scale=2.0)
    a, b = tg.ones(1), tg.ones(2)
    assert [t.tolist() for t in scaler.scale([a, (b,)])[1]] == [[2.0, 2.0]]
    assert isinstance(scaler.scale((a, b)), tuple)
    assert [t.tolist() for t in scaler.scale(iter([a]))] == [[2.0]]
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        scaler.scale(3.0)


def _scaler_errors(module):
    def fresh():
        scaler = module.amp.GradScaler("cpu")
        parameter, optimizer = _model_and_optimizer(module)
        scaler.scale(parameter.sum()).backward()
        return scaler, optimizer

    def unscale_twice():
        scaler, optimizer = fresh()
        scaler.unscale_(optimizer)
        scaler.unscale_(optimizer)

    def step_twice():
        scaler, optimizer = fresh()
        scaler.step(optimizer)
        scaler.step(optimizer)

    def unscale_after_step():
        scaler, optimizer = fresh()
        scaler.step(optimizer)
        scaler.unscale_(optimizer)

    def fp16_gradients():
        scaler = module.amp.GradScaler("cpu")
        parameter, optimizer = _model_and_optimizer(module, module.float16)
        scaler.scale(parameter.sum()).backward()
        scaler.unscale_(optimizer)

    def no_gradients():
        scaler = module.amp.GradScaler("cpu")
        scaler.scale(module.ones(1))
        scaler.step(_model_and_optimizer(module)[1])

    def update_without_step():
        scaler = module.amp.GradScaler("cpu")
        scaler.scale(module.ones(1))
        scaler.update()

    return {
        "unscale twice": unscale_twice,
        "step twice": step_twice,
        "unscale after step": unscale_after_step,
        "fp16 gradients": fp16_gradients,
        "no gradients": no_gradients,
        "update without step": update_without_step,
        "closure": lambda: fresh()[0].step(fresh()[1], closure=lambda: 0.0),
        "unscale before scale": lambda: module.amp.GradScaler("cpu").unscale_(fresh()[1]),
        "growth factor": lambda: module.amp.GradScaler("cpu", growth_factor=1.0),
        "backoff factor": lambda: module.amp.GradScaler("cpu", backoff_factor=1.0),
        "load empty": lambda: module.amp.GradScaler("cpu").load_state_dict({}),
    }


@pytest.mark.parametrize("case", sorted(_scaler_errors(tg)))
def test_scaler_misuse_raises_pytorchs_error(torch, case):
    error = raised(_scaler_errors(tg)[case])
    reference = raised(_scaler_errors(torch)[case])
    assert type(error) is type(reference), (error, reference)
    assert str(error) == str(reference)


def test_scaler_state_round_trips(torch):
    state = {
        "scale": 8.0,
        "growth_factor": 3.0,
        "backoff_factor": 0.25,
        "growth_interval": 5,
        "_growth_tracker": 2,
    }
    ours, theirs = tg.amp.GradScaler("cpu"), torch.amp.GradScaler("cpu")
    for scaler in (ours, theirs):
        scaler.load_state_dict(state)
    assert ours.state_dict() == theirs.state_dict() == state
    assert (ours.get_growth_factor(), ours.get_backoff_factor(), ours.get_growth_interval()) == (
        3.0,
        0.25,
        5,
    )
    copy = pickle.loads(pickle.dumps(ours))
    assert copy.state_dict() == state
    assert copy.scale(tg.ones(1)).tolist() == [8.0]


# ---------------------------------------------------------------- autocast
def test_autocast_tracks_its_region_and_casts_nothing(torch):
    a = tg.ones(2, 2)
    for module in (tg, torch):
        with module.autocast("cpu", dtype=module.float16):
            assert module.is_autocast_enabled("cpu") and not module.is_autocast_enabled()
            with module.autocast("cpu", enabled=False):
                assert not module.is_autocast_enabled("cpu")
            assert module.is_autocast_enabled("cpu")
        assert not module.is_autocast_enabled("cpu")
    # *Decision:* PyTorch computes this product in float16; tensorgrad keeps float32.
    with tg.amp.autocast(device_type="cpu", dtype=tg.float16):
        assert (a @ a).dtype == tg.float32

    @tg.autocast("cpu")
    def product(x):
        assert tg.is_autocast_enabled("cpu")
        return x @ x

    assert product(a).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert not tg.is_autocast_enabled("cpu")


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.autocast(device_type="cuda", dtype=m.float16),
        lambda m: m.autocast("cpu", dtype=m.float32),
        lambda m: m.autocast("cpu", dtype=m.float64),
        lambda m: m.cuda.amp.autocast(),
    ],
    ids=["cuda", "cpu-float32", "cpu-float64", "cuda.amp"],
)
def test_autocast_warns_and_disables_itself_as_in_pytorch(torch, make):
    def run(module):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            context = make(module)
            with context:
                enabled = module.is_autocast_enabled("cpu") or module.is_autocast_enabled("cuda")
        return enabled, [w.category for w in caught]

    ours, theirs = run(tg), run(torch)
    assert ours == theirs and ours[0] is False and UserWarning in ours[1]


@pytest.mark.filterwarnings("ignore:In CPU autocast:UserWarning")
def test_autocast_argument_errors(torch):
    for args in [((), {}), (("gpu",), {}), ((None,), {})]:
        same_exception_type(
            lambda a=args: tg.autocast(*a[0], **a[1]), lambda a=args: torch.autocast(*a[0], **a[1])
        )
    same_exception_type(
        lambda: tg.autocast(tg.device("cpu")), lambda: torch.autocast(torch.device("cpu"))
    )
    same_exception_type(
        lambda: tg.autocast("cpu", dtype="float16").__enter__(),
        lambda: torch.autocast("cpu", dtype="float16").__enter__(),
    )
    assert tg.amp.is_autocast_available("cpu") is torch.amp.is_autocast_available("cpu")


def test_nanogpt_preamble_runs_on_the_cpu():
    """nanoGPT's train.py set-up, with the import swapped (its dtype table needs bfloat16)."""
    device = "cpu"
    dtype = "bfloat16" if tg.cuda.is_available() and tg.cuda.is_bf16_supported() else "float16"
    tg.backends.cuda.matmul.allow_tf32 = False  # nanoGPT sets True; the test leaves the default
    tg.backends.cudnn.allow_tf32 = True
    device_type = "cuda" if "cuda" in device else "cpu"
    ctx = nullcontext() if device_type == "cpu" else tg.amp.autocast(device_type=device_type)
    with pytest.warns(FutureWarning), pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = tg.cuda.amp.GradScaler(enabled=(dtype == "float16"))  # True: disables itself
    assert dtype == "float16" and not scaler.is_enabled()
    model = nn.Linear(3, 1)
    optimizer = tg.optim.AdamW(model.parameters(), lr=0.1)
    with ctx:
        loss = model(tg.ones(2, 3)).pow(2).mean()
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    before = model.weight.detach().clone()
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
    assert not np.array_equal(before.numpy(), model.weight.detach().numpy())


# ---------------------------------------------------------------- names tensorgrad lacks
@pytest.mark.parametrize(
    "namespace, prefix",
    [(tg, "tensorgrad"), (tg.nn, "tensorgrad.nn"), (tg.nn.functional, "tensorgrad.nn.functional")],
)
def test_a_missing_pytorch_name_says_so(namespace, prefix):
    torch_prefix = prefix.replace("tensorgrad", "torch")
    with pytest.raises(AttributeError) as info:
        namespace.no_such_thing_yet  # noqa: B018
    assert str(info.value) == (
        f"{prefix} has no 'no_such_thing_yet' (PyTorch's {torch_prefix}.no_such_thing_yet, "
        f"if it exists, is not implemented yet)"
    )
    assert info.value.name == "no_such_thing_yet"
    assert not hasattr(namespace, "no_such_thing_yet") and not hasattr(namespace, "_private")
    with pytest.raises(AttributeError, match=r"has no attribute '__wrapped__'"):
        namespace.__wrapped__  # noqa: B018


def test_missing_names_keep_imports_and_pickling_working():
    with pytest.raises(ImportError):
        from tensorgrad import no_such_thing_yet  # noqa: F401
    assert getattr(tg, "no_such_thing_yet", "default") == "default"
    assert pickle.loads(pickle.dumps(tg.float16)) is tg.float16
    assert pickle.loads(pickle.dumps(tg.device("cpu"))) == tg.device("cpu")


# ---------------------------------------------------------------- DistributedSampler
@pytest.mark.parametrize(
    "size, replicas, drop_last", [(10, 3, False), (10, 3, True), (2, 5, False)]
)
def test_distributed_sampler_gives_each_rank_pytorchs_share(torch, size, replicas, drop_last):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    from tensorgrad.utils.data.distributed import DistributedSampler

    data = list(range(size))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(data, replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    shuffled = [
        DistributedSampler(data, replicas, r, seed=1, drop_last=drop_last) for r in range(replicas)
    ]
    first = [list(s) for s in shuffled]
    if drop_last:
        assert len({i for part in first for i in part}) == sum(map(len, first))
    else:
        assert set().union(*first) == set(data)
    assert [list(s) for s in shuffled] == first  # the same epoch, the same order
    for sampler in shuffled:
        sampler.set_epoch(1)
    if size > replicas:  # a new epoch, a new order (seeded: fixed for these sizes)
        assert [list(s) for s in shuffled] != first


def test_distributed_sampler_needs_a_rank_without_a_process_group(torch):
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    from tensorgrad.utils.data.distributed import DistributedSampler

    with pytest.raises(RuntimeError, match="Requires distributed package"):
        DistributedSampler(range(4))
    same_exception_type(
        lambda: DistributedSampler(range(4), num_replicas=2, rank=2),
        lambda: TorchSampler(range(4), num_replicas=2, rank=2),
    )


def test_an_integer_device_index_is_a_gpu_the_cpu_build_refuses(torch):
    """``x.to(0)`` means CUDA device 0, not a dtype."""
    error = raised(lambda: tg.ones(2).to(0))
    reference = raised(lambda: torch.ones(2).to(0))
    assert type(error) is type(reference) is RuntimeError
    assert "none is available" in str(error)


def test_nanogpt_dtype_and_precision_setup_runs(torch):
    """nanoGPT names bfloat16 in a table and builds its autocast context and scaler from it;
    a bfloat16 tensor itself is a clear TypeError (NumPy has no bfloat16)."""
    for lib in (tg, torch):
        dtype = (
            "bfloat16" if lib.cuda.is_available() and lib.cuda.is_bf16_supported() else "float16"
        )
        table = {"float32": lib.float32, "bfloat16": lib.bfloat16, "float16": lib.float16}
        assert table[dtype] is lib.float16
        with lib.amp.autocast(device_type="cpu", dtype=lib.bfloat16):
            assert (lib.ones(2) @ lib.ones(2)).item() == 2.0
    assert tg.bfloat16.is_floating_point and tg.bfloat16.itemsize == 2
    assert tg.bfloat16 != tg.float16 and repr(tg.bfloat16) == "tensorgrad.bfloat16"
    with pytest.raises(TypeError, match="bfloat16 is not supported"):
        tg.zeros(2, dtype=tg.bfloat16)
    with pytest.raises(TypeError, match="bfloat16 is not supported"):
        tg.nn.Linear(2, 2).to(tg.bfloat16)
