"""The device seam, tested on every CPU-only run: the whole op table, forward, backward and
double backward, on the ``"strict"`` backend (``strict_backend.py``: NumPy that refuses NumPy)
against the CPU. An op that reaches for NumPy directly raises there; one that computes
differently off the CPU gives different numbers (the strict backend runs the same NumPy
calls, so the results must agree to rounding). With CuPy and a GPU, the table also runs on
``cuda``, where cuBLAS and CUDA's maths library may round differently: 1e-7 relative there."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_table import OPS
from strict_backend import tensors_in  # importing it registers the "strict" device

import tensorgrad
from tensorgrad import nn

DEVICES = {"strict": 1e-12}
if tensorgrad.cuda.is_available():
    DEVICES["cuda"] = 1e-7


def _on(inputs, where) -> list:
    return [t.detach().to(where).requires_grad_(t.requires_grad) for t in inputs]


def _run(call, inputs, second_order: bool):
    """Outputs, first gradients and (with ``second_order``) second gradients of ``call``, all
    as host arrays; every output must be on the inputs' device."""
    outputs = tensors_in(call(*inputs))
    for output in outputs:
        assert output.device == inputs[0].device, f"an output on {output.device}"
    floats = [o for o in outputs if o.is_floating_point() and o.requires_grad]
    leaves = [t for t in inputs if t.requires_grad]
    values = [o.detach().cpu().numpy() for o in outputs]
    if not floats or not leaves:
        return values, [], []
    # A weighted sum, so that every output element gets its own weight.
    loss = sum(
        (
            o * tensorgrad.arange(o.numel(), dtype=o.dtype, device=o.device).reshape(o.shape).cos()
        ).sum()
        for o in floats
    )
    grads = tensorgrad.autograd.grad(loss, leaves, create_graph=second_order, allow_unused=True)
    firsts = [None if g is None else g.detach().cpu().numpy() for g in grads]
    seconds = []
    if second_order:
        used = [g for g in grads if g is not None and g.requires_grad]
        if used:
            total = sum((g * g).sum() for g in used)
            again = tensorgrad.autograd.grad(total, leaves, allow_unused=True)
            seconds = [None if g is None else g.detach().cpu().numpy() for g in again]
    return values, firsts, seconds


def _assert_same(expected: list, actual: list, what: str, tolerance: float) -> None:
    assert len(expected) == len(actual), what
    for i, (e, a) in enumerate(zip(expected, actual)):
        if e is None or a is None:
            assert e is None and a is None, f"{what} {i}: None on one device only"
            continue
        assert a.dtype == e.dtype and a.shape == e.shape, f"{what} {i}"
        np.testing.assert_allclose(a, e, rtol=tolerance, atol=tolerance, err_msg=f"{what} {i}")


@pytest.mark.parametrize("where", sorted(DEVICES))
@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@settings(max_examples=4)
@given(data=st.data())
def test_op_on_the_device_equals_the_cpu(op, where, data):
    inputs, params = data.draw(op.case, label="inputs, params")
    call = op.bind(tensorgrad, params)
    expected = _run(call, _on(inputs, "cpu"), op.second_order)
    actual = _run(call, _on(inputs, where), op.second_order)
    for name, e, a in zip(("value", "gradient", "second gradient"), expected, actual):
        _assert_same(e, a, name, DEVICES[where])


# ----------------------------------------------------------------------------- devices
STRICT = tensorgrad.device("strict", 0)


def test_factories_place_their_tensors_and_draw_the_cpu_numbers():
    for make in (
        lambda d: tensorgrad.zeros(2, 3, device=d),
        lambda d: tensorgrad.tensor([[1.0, 2.0]], device=d),
        lambda d: tensorgrad.arange(5, device=d),
        lambda d: tensorgrad.full((2,), 3, device=d),
        lambda d: tensorgrad.eye(3, device=d),
        lambda d: tensorgrad.linspace(0, 1, 4, device=d),
        lambda d: tensorgrad.empty(2, device=d).zero_(),
        lambda d: tensorgrad.Tensor(2, 3, device=d).zero_(),
    ):
        on_device, on_cpu = make("strict"), make("cpu")
        assert on_device.device == STRICT and on_cpu.device.type == "cpu"
        np.testing.assert_array_equal(on_device.cpu().numpy(), on_cpu.numpy())
    for draw in (
        lambda d: tensorgrad.randn(3, 2, device=d),
        lambda d: tensorgrad.rand(4, device=d),
        lambda d: tensorgrad.randint(0, 9, (5,), device=d),
        lambda d: tensorgrad.randperm(6, device=d),
    ):
        tensorgrad.manual_seed(3)
        on_device = draw("strict")
        tensorgrad.manual_seed(3)
        np.testing.assert_array_equal(on_device.cpu().numpy(), draw("cpu").numpy())


def test_like_and_new_factories_follow_their_input():
    x = tensorgrad.ones(2, 2, device="strict")
    for made in (
        tensorgrad.zeros_like(x),
        tensorgrad.rand_like(x),
        tensorgrad.full_like(x, 7),
        x.new_zeros(3),
        x.new_tensor([1.0]),
        x.new_full((2,), 1.5),
    ):
        assert made.device == STRICT
    assert tensorgrad.zeros_like(x, device="cpu").device.type == "cpu"
    assert x.new_ones(2, device="cpu").device.type == "cpu"


def test_the_default_device_and_the_device_context():
    with tensorgrad.device("strict"):
        assert tensorgrad.get_default_device() == STRICT  # the index filled in, as PyTorch
        assert tensorgrad.zeros(2).device == STRICT
    assert tensorgrad.zeros(2).device.type == "cpu"
    tensorgrad.set_default_device("strict")
    try:
        assert tensorgrad.randn(2).device == STRICT
    finally:
        tensorgrad.set_default_device(None)
    assert tensorgrad.get_default_device() == tensorgrad.device("cpu")


def test_moving_a_tensor_is_a_recorded_copy():
    x = tensorgrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.to("strict")
    assert y.device == STRICT and y.grad_fn.name() == "ToDeviceBackward0"
    assert x.to("cpu") is x and y.to(STRICT) is y and y.to(y) is y
    (y * y).sum().backward()
    assert x.grad.device.type == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -4.0, 6.0])
    back = y.cpu()
    assert back.device.type == "cpu" and back.grad_fn.name() == "ToDeviceBackward0"
    both = x.to("strict", tensorgrad.float64)
    assert both.device == STRICT and both.dtype == tensorgrad.float64
    assert x.to(tensorgrad.zeros(1, dtype=tensorgrad.float64, device="strict")).device == STRICT


def test_mixing_devices_raises_pytorchs_error_but_cpu_scalars_join():
    x = tensorgrad.ones(2, 3, device="strict", requires_grad=True)
    for mixed in (lambda: x + tensorgrad.ones(2, 3), lambda: tensorgrad.ones(3, 2) @ x):
        with pytest.raises(RuntimeError, match="same device.*strict:0 and cpu|cpu and strict"):
            mixed()
    with pytest.raises(RuntimeError, match="same device"):
        x.detach().add_(tensorgrad.ones(2, 3))
    scaled = x * tensorgrad.tensor(2.0, requires_grad=True)
    assert scaled.device == STRICT
    scale = tensorgrad.tensor(2.0, requires_grad=True)
    (x * scale).sum().backward()
    assert scale.grad.device.type == "cpu" and scale.grad.item() == 6.0


def test_numpy_conversion_of_a_device_tensor_raises_pytorchs_type_error():
    x = tensorgrad.ones(2, device="strict")
    for convert in (np.asarray, lambda t: t.numpy()):
        with pytest.raises(TypeError, match=r"can't convert strict:0 device type tensor"):
            convert(x)
    assert x.tolist() == [1.0, 1.0] and x.sum().item() == 2.0 and float(x[0]) == 1.0
    assert "device='strict:0'" in repr(x)
    assert x.is_cpu is False and x.get_device() == 0


def test_indexing_takes_cpu_indices_and_copy_crosses_devices():
    x = tensorgrad.arange(6.0, device="strict")
    assert x[tensorgrad.tensor([4, 1])].tolist() == [4.0, 1.0]
    x[tensorgrad.tensor([0])] = tensorgrad.tensor(9.0)
    assert x[0].item() == 9.0
    x.copy_(tensorgrad.zeros(6))
    assert x.device == STRICT and x.sum().item() == 0.0


def test_modules_move_in_place_and_train_as_on_the_cpu():
    runs = []
    for where in ("cpu", "strict"):
        tensorgrad.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Dropout(0.3), nn.Linear(7, 2))
        weight = model[0].weight
        optimizer = tensorgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        assert model.to(where) is model and model[0].weight is weight  # the optimizer's
        inputs, targets = tensorgrad.randn(9, 5, device=where), tensorgrad.randn(9, 2)
        for _ in range(4):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(inputs), targets.to(where))
            loss.backward()
            optimizer.step()
        assert {p.device.type for p in model.parameters()} == {where}
        runs.append([p.detach().cpu().numpy() for p in model.parameters()])
    for cpu_value, device_value in zip(*runs):
        np.testing.assert_array_equal(device_value, cpu_value)


def test_compiling_device_work_warns_once_and_runs_eagerly():
    model = nn.Linear(3, 1).to("strict")
    compiled = tensorgrad.compile(model)
    x = tensorgrad.randn(4, 3, device="strict")
    with pytest.warns(UserWarning, match="a tensor on strict:0: compiled replays run on the CPU"):
        first = compiled(x)
    np.testing.assert_array_equal(first.detach().cpu().numpy(), model(x).detach().cpu().numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compiled(x).device == STRICT


def test_a_device_no_backend_serves_raises_before_anything_is_made():
    with pytest.raises(AssertionError, match="MPS is not available") as caught:
        tensorgrad.zeros(2, device="mps")
    assert isinstance(caught.value, RuntimeError)


def test_cpu_scalars_join_every_kind_of_op_and_other_mixes_raise():
    x = tensorgrad.arange(3.0, device="strict")
    two = tensorgrad.tensor(2.0)
    for joined in (
        two * x,  # the no-grad fast path, CPU operand first
        x > two,
        x // two,
        x % two,
        tensorgrad.isclose(x, two),
        tensorgrad.where(x > 0, x, two),
    ):
        assert joined.device == STRICT
    for mixed in (lambda: tensorgrad.ones(3) + x, lambda: x == tensorgrad.ones(3)):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
            mixed()


def test_out_must_be_on_the_results_device():
    x = tensorgrad.arange(3.0, device="strict")
    out = tensorgrad.empty(3, device="strict")
    assert tensorgrad.exp(x, out=out) is out and out.device == STRICT
    with pytest.raises(RuntimeError, match="Expected out tensor to have device strict:0"):
        tensorgrad.exp(x, out=tensorgrad.empty(3))


def test_factories_put_data_where_asked_even_from_a_device():
    on_device = tensorgrad.ones(2, device="strict")
    assert tensorgrad.tensor(on_device).device == STRICT
    assert tensorgrad.tensor(on_device, device="cpu").device.type == "cpu"
    assert tensorgrad.ones(1).new_tensor(on_device).device.type == "cpu"
    tensorgrad.set_default_device("strict")
    try:
        cpu_input = tensorgrad.ones(2, device="cpu")
        for made in (tensorgrad.rand_like(cpu_input), tensorgrad.randint_like(cpu_input, 5)):
            assert made.device.type == "cpu"
    finally:
        tensorgrad.set_default_device(None)


def test_a_compiled_module_moved_to_a_device_runs_eagerly():
    model = nn.Linear(3, 1)
    compiled = tensorgrad.compile(model)
    x = tensorgrad.randn(4, 3)
    for _ in range(3):
        compiled(x)
    model.to("strict")
    with pytest.warns(UserWarning, match="compiled replays run on the CPU"):
        assert compiled(x.to("strict")).device == STRICT


def test_gradients_hooks_and_assignments_respect_devices():
    leaf = tensorgrad.ones(2, device="strict", requires_grad=True)
    with pytest.raises(RuntimeError, match="assigned grad has data located on cpu"):
        leaf.grad = tensorgrad.zeros(2)
    x = tensorgrad.ones(3, device="strict")
    x[0:2] = tensorgrad.zeros(2)  # a copy across devices, as PyTorch's x[i] = v
    assert x.tolist() == [0.0, 0.0, 1.0] and x.device == STRICT
    np.testing.assert_array_equal(x.numpy(force=True), [0.0, 0.0, 1.0])
    jacobian = tensorgrad.autograd.functional.jacobian(lambda a: a * 3, leaf.detach())
    assert jacobian.device == STRICT and jacobian.cpu().tolist() == [[3.0, 0.0], [0.0, 3.0]]


def test_an_index_alone_names_the_accelerator_which_is_missing_here():
    with pytest.raises(RuntimeError, match="must not be negative"):
        tensorgrad.device(-1)
    if not tensorgrad.cuda.is_available():
        with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            tensorgrad.zeros(2, device=0)
