"""The activations of issue 12 against PyTorch: values and gradients in float64 (at the kinks
too), modules and their repr, in-place forms, integer inputs, NaN inputs and the errors."""

import warnings

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn
from tensorgrad.testing import assert_gradients_close, assert_second_gradients_close

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = dict(rtol=1e-10, atol=1e-12)

# Every kink of the functions below, both sides of it, and values far out.
KINKS = [-800.0, -30.0, -6.0, -3.0, -2.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 2.0, 3.0]
KINKS += [6.0, 30.0, 800.0]


def _points() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.concatenate([KINKS, rng.standard_normal(15) * 4]).reshape(4, 8)


# (id, name in nn.functional, positional args after the input, keyword args)
FUNCTIONS = [
    ("celu", "celu", (), {}),
    ("celu_alpha", "celu", (), {"alpha": 0.5}),
    ("relu6", "relu6", (), {}),
    ("hardswish", "hardswish", (), {}),
    ("hardsigmoid", "hardsigmoid", (), {}),
    ("hardtanh", "hardtanh", (), {}),
    ("hardtanh_bounds", "hardtanh", (-2.0, 0.5), {}),
    ("softsign", "softsign", (), {}),
    ("mish", "mish", (), {}),
    ("selu", "selu", (), {}),
    ("elu", "elu", (), {"alpha": 0.7}),
    ("leaky_relu", "leaky_relu", (), {"negative_slope": 0.2}),
    ("logsigmoid", "logsigmoid", (), {}),
    ("softmin", "softmin", (), {"dim": 1}),
    ("softmin_dim0", "softmin", (), {"dim": 0}),
    ("tanhshrink", "tanhshrink", (), {}),
    ("threshold", "threshold", (1.0, -2.0), {}),
    ("threshold_zero", "threshold", (0.0, 0.5), {}),
    ("hardshrink", "hardshrink", (), {}),
    ("hardshrink_lambd", "hardshrink", (), {"lambd": 2.0}),
    ("softshrink", "softshrink", (), {}),
    ("softshrink_lambd", "softshrink", (), {"lambd": 1.0}),
    ("glu", "glu", (), {}),
    ("glu_dim0", "glu", (), {"dim": 0}),
    ("rrelu_eval", "rrelu", (), {}),
    ("rrelu_eval_bounds", "rrelu", (0.1, 0.3), {}),
    ("softplus", "softplus", (), {"beta": 2.0, "threshold": 3.0}),
    ("gelu", "gelu", (), {}),
    ("silu", "silu", (), {}),
]


def _run_both(name, args, kwargs, data):
    ours_x = tg.tensor(data, requires_grad=True)
    their_x = torch.tensor(data, requires_grad=True)
    return (
        ours_x,
        getattr(F, name)(ours_x, *args, **kwargs),
        their_x,
        getattr(TF, name)(their_x, *args, **kwargs),
    )


@pytest.mark.parametrize(
    ("name", "args", "kwargs"), [f[1:] for f in FUNCTIONS], ids=[f[0] for f in FUNCTIONS]
)
def test_value_and_gradient_match_torch_in_float64(name, args, kwargs):
    ours_x, out, their_x, ref = _run_both(name, args, kwargs, _points())
    assert out.dtype == tg.float64 and out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    upstream = np.random.default_rng(1).standard_normal(tuple(ref.shape))
    out.backward(tg.tensor(upstream))
    ref.backward(torch.tensor(upstream))
    # PyTorch's float64 hardsigmoid gradient is a float32 1/6 (0.16666667163...); ours is 1/6.
    tolerance = dict(rtol=1e-7, atol=0) if name == "hardsigmoid" else TOL
    np.testing.assert_allclose(ours_x.grad.numpy(), their_x.grad.numpy(), **tolerance)


def test_hardsigmoid_gradient_is_exactly_one_sixth_inside():
    x = tg.tensor([-2.0, 0.0, 2.5], dtype=tg.float64, requires_grad=True)
    F.hardsigmoid(x).sum().backward()
    assert x.grad.tolist() == [1 / 6] * 3


SMOOTH = ["celu", "selu", "mish", "softsign", "logsigmoid", "tanhshrink", "glu", "softmin"]


@pytest.mark.parametrize("name", SMOOTH)
def test_smooth_activations_have_first_and_second_gradients(name):
    function = (lambda x: F.softmin(x, dim=-1)) if name == "softmin" else getattr(F, name)
    x = tg.tensor(np.random.default_rng(2).standard_normal((3, 4)) * 2, requires_grad=True)
    assert_gradients_close(function, x)
    assert_second_gradients_close(function, x)


@pytest.mark.parametrize(
    ("name", "args", "kwargs"), [f[1:] for f in FUNCTIONS], ids=[f[0] for f in FUNCTIONS]
)
def test_nan_input_gives_torchs_value(name, args, kwargs):
    data = np.array([[np.nan, 1.0, -1.0, np.nan], [0.5, np.nan, -4.0, 4.0]])
    _, out, _, ref = _run_both(name, args, kwargs, data)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)


@pytest.mark.parametrize(
    ("name", "args", "kwargs"), [f[1:] for f in FUNCTIONS], ids=[f[0] for f in FUNCTIONS]
)
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integer_and_bool_inputs_behave_as_in_torch(name, args, kwargs, dtype):
    data = np.array([[-3, 0, 2, 7], [1, -1, 5, -6]]).astype(dtype)
    try:
        ref = getattr(TF, name)(torch.tensor(data), *args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the oracle decides the type
        with pytest.raises(type(error), match=name.rstrip("_")):
            getattr(F, name)(tg.tensor(data), *args, **kwargs)
        return
    out = getattr(F, name)(tg.tensor(data), *args, **kwargs)
    assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


def test_logsigmoid_and_softplus_of_an_integer_tensor_raise_instead_of_truncating():
    for function in (F.logsigmoid, F.softplus):
        with pytest.raises(NotImplementedError, match="int64"):
            function(tg.tensor([1, 2]))
        with pytest.raises(NotImplementedError):
            getattr(TF, function.__name__)(torch.tensor([1, 2]))


INPLACE = [
    ("hardtanh", ()),
    ("relu6", ()),
    ("celu", ()),
    ("selu", ()),
    ("hardswish", ()),
    ("hardsigmoid", ()),
    ("mish", ()),
    ("threshold", (0.5, -1.0)),
    ("rrelu", ()),
    ("elu", ()),
    ("leaky_relu", ()),
]


@pytest.mark.parametrize(("name", "args"), INPLACE, ids=[i[0] for i in INPLACE])
def test_inplace_keyword_overwrites_a_non_leaf_and_keeps_the_gradient(name, args):
    data = _points()
    ours, theirs = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    hidden, hidden_t = ours * 2, theirs * 2
    out = getattr(F, name)(hidden, *args, inplace=True)
    ref = getattr(TF, name)(hidden_t, *args, inplace=True)
    assert out is hidden
    np.testing.assert_allclose(hidden.detach().numpy(), ref.detach().numpy(), **TOL)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["hardtanh_", "threshold_", "celu_", "selu_", "elu_", "leaky_relu_", "rrelu_"]
)
def test_underscore_functions_write_into_their_input(name):
    data = _points()
    args = (0.5, -1.0) if name == "threshold_" else ()
    ours, theirs = tg.tensor(data), torch.tensor(data)
    assert getattr(F, name)(ours, *args) is ours
    getattr(TF, name)(theirs, *args)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), **TOL)


# (class name, constructor args, constructor kwargs)
MODULES = [
    ("CELU", (), {}),
    ("CELU", (2.0, True), {}),
    ("SELU", (), {}),
    ("SELU", (), {"inplace": True}),
    ("ReLU6", (), {}),
    ("ReLU6", (True,), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 3.0), {}),
    ("Hardtanh", (), {"inplace": True}),
    ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (True,), {}),
    ("Hardswish", (), {}),
    ("Hardswish", (True,), {}),
    ("Mish", (), {}),
    ("Mish", (True,), {}),
    ("Softsign", (), {}),
    ("LogSigmoid", (), {}),
    ("Tanhshrink", (), {}),
    ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (1, 2, True), {}),
    ("Hardshrink", (), {}),
    ("Hardshrink", (0.3,), {}),
    ("Softshrink", (), {}),
    ("Softshrink", (), {"lambd": 1.5}),
    ("PReLU", (), {}),
    ("PReLU", (4, 0.1), {}),
    ("RReLU", (), {}),
    ("RReLU", (0.1, 0.3, True), {}),
    ("GLU", (), {}),
    ("GLU", (0,), {}),
    ("Softmin", (1,), {}),
    ("Softmin", (), {"dim": -1}),
    ("Softmax2d", (), {}),
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs"), MODULES, ids=[f"{m[0]}{m[1]}{m[2]}" for m in MODULES]
)
def test_module_repr_attributes_and_outputs_match_torch(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    for attribute in ("inplace", "alpha", "min_val", "max_val", "lambd", "dim", "threshold"):
        assert getattr(ours, attribute, None) == getattr(theirs, attribute, None), attribute
    ours.eval(), theirs.eval()  # RReLU: the deterministic slope
    ours.double(), theirs.double()
    data = _points().reshape(2, 4, 2, 2)
    x, x_t = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, ref = ours(x * 1), theirs(x_t * 1)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-7, atol=1e-12)
    for (key, p), (key_t, p_t) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert key == key_t
        np.testing.assert_allclose(p.grad.numpy(), p_t.grad.numpy(), **TOL)


def test_relu6_is_a_hardtanh_and_hardtanh_takes_the_deprecated_keywords():
    assert isinstance(nn.ReLU6(), nn.Hardtanh)
    assert (nn.ReLU6().min_val, nn.ReLU6().max_val) == (0.0, 6.0)
    with pytest.warns(FutureWarning) as caught:
        layer = nn.Hardtanh(min_value=-2.0, max_value=3.0)
    assert ["min_value" in str(w.message) for w in caught] == [True, False]
    assert repr(layer) == "Hardtanh(min_val=-2.0, max_val=3.0)"


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 3, 4)])
@pytest.mark.parametrize("per_channel", [False, True])
def test_prelu_matches_torch_for_shared_and_per_channel_slopes(shape, per_channel):
    channels = shape[1] if len(shape) >= 2 else 1
    slopes = np.linspace(-0.5, 0.7, channels if per_channel else 1)
    data = np.random.default_rng(3).standard_normal(shape)
    data.reshape(-1)[:1] = 0.0  # the kink: the slope's side, as in PyTorch
    x, w = tg.tensor(data, requires_grad=True), tg.tensor(slopes, requires_grad=True)
    x_t, w_t = torch.tensor(data, requires_grad=True), torch.tensor(slopes, requires_grad=True)
    out, ref = F.prelu(x, w), TF.prelu(x_t, w_t)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **TOL)
    upstream = np.random.default_rng(4).standard_normal(shape)
    out.backward(tg.tensor(upstream))
    ref.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), **TOL)
    np.testing.assert_allclose(w.grad.numpy(), w_t.grad.numpy(), **TOL)


def test_prelu_module_learns_its_slopes():
    layer = nn.PReLU(3, init=0.1)
    assert layer.weight.shape == (3,) and layer.weight.tolist() == pytest.approx([0.1] * 3)
    layer(-tg.ones(2, 3, 4)).sum().backward()
    assert layer.weight.grad.tolist() == [-8.0] * 3
    assert list(layer.state_dict()) == ["weight"]


def test_rrelu_in_training_draws_slopes_between_the_bounds():
    x = tg.full((1000,), -1.0, dtype=tg.float64, requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -out.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.03
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)
    positive = tg.ones(3, dtype=tg.float64)
    assert F.rrelu(positive, training=True).tolist() == [1.0, 1.0, 1.0]
    layer = nn.RReLU(0.1, 0.3)
    assert layer.training and not np.allclose(layer(-tg.ones(4)).numpy(), -0.2)
    assert layer.eval()(-tg.ones(2)).tolist() == pytest.approx([-0.2, -0.2])


def test_softmin_without_dim_warns_like_softmax():
    x = np.random.default_rng(5).standard_normal((2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        out = F.softmin(tg.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = TF.softmin(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), **TOL)
    np.testing.assert_allclose(
        F.softmin(tg.tensor(x), dim=1, dtype=tg.float32).numpy(),
        TF.softmin(torch.tensor(x), dim=1, dtype=torch.float32).numpy(),
        rtol=1e-6,
    )


# (id, mistake written against a library module L and its functional module, message text)
ERRORS = [
    ("celu_alpha_zero", lambda L, LF: LF.celu(L.ones(2), alpha=0.0), "alpha cannot be 0"),
    ("softshrink_negative", lambda L, LF: LF.softshrink(L.ones(2), -1.0), "-1"),
    ("hardtanh_bounds", lambda L, LF: LF.hardtanh(L.ones(2), 2.0, 1.0), "min_val"),
    ("Hardtanh_bounds", lambda L, LF: L.nn.Hardtanh(2.0, 1.0), r"max_val \(1.0\)"),
    ("hardtanh_bool", lambda L, LF: LF.hardtanh(L.tensor([True])), "Bool"),
    ("glu_odd", lambda L, LF: LF.glu(L.ones(3, 5)), "dimension 1 is size 5"),
    ("glu_scalar", lambda L, LF: LF.glu(L.tensor(1.0)), "scalars"),
    ("glu_dim", lambda L, LF: LF.glu(L.ones(2, 4), dim=2), "Dimension out of range"),
    ("glu_int", lambda L, LF: LF.glu(L.ones(2, 4, dtype=L.int64)), "glu"),
    ("prelu_channels", lambda L, LF: LF.prelu(L.ones(2, 3, 4), L.ones(2)), "= 2.*= 3"),
    ("prelu_1d_input", lambda L, LF: LF.prelu(L.ones(3), L.ones(3)), "channel size = 1"),
    ("prelu_2d_weight", lambda L, LF: LF.prelu(L.ones(2, 3), L.ones(3, 1)), "ndim = 2"),
    ("prelu_promotion", lambda L, LF: LF.prelu(L.tensor([1, -2]), L.ones(1)), "promoting"),
    ("softmax2d_2d", lambda L, LF: L.nn.Softmax2d()(L.ones(2, 3)), "got 2D"),
    ("logsigmoid_int", lambda L, LF: LF.logsigmoid(L.tensor([1, 2])), "logsigmoid"),
    ("mish_bool", lambda L, LF: LF.mish(L.tensor([True])), "mish"),
]


def assert_raises_like_torch(mistake, text):
    """``mistake(L, LF)`` raises for PyTorch and for tensorgrad: the same exception type, and
    ours matches ``text``. (test_losses_more.py uses it too.)"""
    with pytest.raises(Exception) as theirs:
        mistake(torch, TF)
    with pytest.raises(Exception) as ours:
        mistake(tg, F)
    assert type(ours.value) is type(theirs.value), (str(ours.value), str(theirs.value))
    assert ours.match(text)


@pytest.mark.parametrize(("name", "mistake", "text"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_have_torchs_type_and_name_the_function_and_values(name, mistake, text):
    assert_raises_like_torch(mistake, text)
