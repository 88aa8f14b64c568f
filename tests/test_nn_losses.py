"""Every loss, every reduction and option, against PyTorch (float64 values and gradients)."""

import warnings

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)


def compare_loss(name, args, kwargs=None, differentiable=(0,), constants=None):
    """Run ``F.name`` and ``torch...F.name`` on the same float64 arrays; compare the value and
    the gradients of the ``differentiable`` positional arguments."""
    kwargs = kwargs or {}
    ours_args = [tg.tensor(a, requires_grad=i in differentiable) for i, a in enumerate(args)]
    their_args = [torch.tensor(a, requires_grad=i in differentiable) for i, a in enumerate(args)]
    ours_kw = {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    their_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out = getattr(F, name)(*ours_args, **ours_kw)
    ref = getattr(TF, name)(*their_args, **their_kw)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(
        out.detach().numpy(),
        ref.detach().numpy(),
        rtol=1e-10,
        atol=1e-12,
        err_msg=f"{name} {kwargs}: value",
    )
    upstream = rng.standard_normal(tuple(ref.shape))
    out.backward(tg.tensor(upstream))
    ref.backward(torch.tensor(upstream))
    for i in differentiable:
        np.testing.assert_allclose(
            ours_args[i].grad.numpy(),
            their_args[i].grad.numpy(),
            rtol=1e-9,
            atol=1e-12,
            err_msg=f"{name} {kwargs}: grad {i}",
        )
    return out


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("weighted", [False, True])
def test_mse_and_l1(name, reduction, weighted):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    kwargs = {"reduction": reduction}
    if weighted:
        kwargs["weight"] = rng.random((4, 3))
    compare_loss(name, (x, y), kwargs, differentiable=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1(reduction, beta):
    x, y = rng.standard_normal((5, 3)) * 2, rng.standard_normal((5, 3))
    compare_loss("smooth_l1_loss", (x, y), {"reduction": reduction, "beta": beta}, (0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_huber(reduction, delta, weighted):
    x, y = rng.standard_normal((5, 3)) * 2, rng.standard_normal((5, 3))
    kwargs = {"reduction": reduction, "delta": delta}
    if weighted:
        kwargs["weight"] = rng.random((5, 3))
    compare_loss("huber_loss", (x, y), kwargs, (0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted):
    x, y = rng.uniform(0.05, 0.95, (4, 3)), rng.random((4, 3))
    kwargs = {"reduction": reduction, "weight": rng.random((4, 3)) if weighted else None}
    compare_loss("binary_cross_entropy", (x, y), kwargs, (0, 1))


def test_binary_cross_entropy_clamps_log_at_minus_100():
    x, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    ours = F.binary_cross_entropy(tg.tensor(x), tg.tensor(y), reduction="none")
    np.testing.assert_allclose(ours.numpy(), [100.0, 100.0, 0.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits(reduction, options):
    x, y = rng.standard_normal((4, 3)) * 3, rng.random((4, 3))
    x[0] = [0.0, 800.0, -800.0]  # the kink of the naive formula and far tails: stable
    kwargs = {"reduction": reduction}
    if options in ("weight", "both"):
        kwargs["weight"] = rng.random((4, 3))
    if options in ("pos_weight", "both"):
        kwargs["pos_weight"] = rng.random(3) * 3
    out = compare_loss("binary_cross_entropy_with_logits", (x, y), kwargs, (0, 1))
    assert np.isfinite(out.detach().numpy()).all()


CE_CASES = [
    {},
    {"weight": True},
    {"ignore_index": 1},
    {"label_smoothing": 0.2},
    {"weight": True, "ignore_index": 2, "label_smoothing": 0.1},
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("name", "options"),
    [("cross_entropy", case) for case in CE_CASES]
    + [("nll_loss", case) for case in CE_CASES if "label_smoothing" not in case],
)
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 2, 2), (4,)])
def test_class_index_losses(name, shape, options, reduction):
    x = rng.standard_normal(shape) * 2
    if name == "nll_loss":
        x = x - np.log(np.exp(x).sum(axis=0 if len(shape) == 1 else 1, keepdims=True))
    classes = shape[0] if len(shape) == 1 else shape[1]
    target_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    target = rng.integers(0, classes, target_shape)
    kwargs = dict(options, reduction=reduction)
    if kwargs.get("weight"):
        kwargs["weight"] = rng.random(classes) + 0.5
    compare_loss(name, (x, target), kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "options",
    [{}, {"weight": True}, {"label_smoothing": 0.3}, {"weight": True, "label_smoothing": 0.1}],
)
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4)])
def test_cross_entropy_with_probabilities(shape, options, reduction):
    x = rng.standard_normal(shape)
    target = rng.random(shape)
    target /= target.sum(axis=1, keepdims=True)
    kwargs = dict(options, reduction=reduction)
    if kwargs.get("weight"):
        kwargs["weight"] = rng.random(shape[1]) + 0.5
    compare_loss("cross_entropy", (x, target), kwargs, differentiable=(0, 1))


def test_cross_entropy_is_stable_for_huge_logits_and_all_ignored_mean_is_nan():
    x = tg.tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([1]))
    loss.backward()
    assert loss.item() == pytest.approx(2000.0)
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, -1.0, 0.0]], atol=1e-12)
    ignored = F.cross_entropy(tg.randn(2, 3), tg.tensor([-100, -100]))
    assert np.isnan(ignored.item())


def test_cross_entropy_double_backward_matches_torch():
    x, target = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    v = rng.standard_normal((4, 3))
    ours = tg.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    (g,) = tg.autograd.grad(
        F.cross_entropy(ours, tg.tensor(target), label_smoothing=0.1), ours, create_graph=True
    )
    (g_t,) = torch.autograd.grad(
        TF.cross_entropy(theirs, torch.tensor(target), label_smoothing=0.1),
        theirs,
        create_graph=True,
    )
    (h,) = tg.autograd.grad((g * tg.tensor(v)).sum(), ours)
    (h_t,) = torch.autograd.grad((g_t * torch.tensor(v)).sum(), theirs)
    np.testing.assert_allclose(h.numpy(), h_t.numpy(), rtol=1e-9, atol=1e-12)


LOSS_MODULES = [
    ("MSELoss", {}),
    ("L1Loss", {"reduction": "sum"}),
    ("SmoothL1Loss", {"beta": 0.5}),
    ("HuberLoss", {"delta": 0.5, "reduction": "none"}),
    ("BCEWithLogitsLoss", {}),
    ("BCELoss", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), LOSS_MODULES)
def test_loss_modules_call_their_functional_form(name, kwargs):
    x, y = rng.uniform(0.1, 0.9, (3, 2)), rng.random((3, 2))
    ours = getattr(nn, name)(**kwargs)(tg.tensor(x), tg.tensor(y))
    theirs = getattr(torch.nn, name)(**kwargs)(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


def test_weighted_loss_modules_keep_weights_as_buffers():
    weight = np.array([1.0, 2.0, 0.5])
    x, target = rng.standard_normal((4, 3)), np.array([0, 1, 2, -1])
    ours = nn.CrossEntropyLoss(weight=tg.tensor(weight), ignore_index=-1, label_smoothing=0.1)
    theirs = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(weight), ignore_index=-1, label_smoothing=0.1
    )
    assert list(ours.state_dict()) == ["weight"]
    value = ours(tg.tensor(x), tg.tensor(target)).item()
    assert value == pytest.approx(theirs(torch.tensor(x), torch.tensor(target)).item(), rel=1e-12)
    nll = nn.NLLLoss(weight=tg.tensor(weight), reduction="sum")
    nll_t = torch.nn.NLLLoss(weight=torch.tensor(weight), reduction="sum")
    logp = np.log(rng.dirichlet(np.ones(3), 4))
    assert nll(tg.tensor(logp), tg.tensor([0, 1, 2, 2])).item() == pytest.approx(
        nll_t(torch.tensor(logp), torch.tensor([0, 1, 2, 2])).item(), rel=1e-12
    )
    pos = nn.BCEWithLogitsLoss(pos_weight=tg.tensor([2.0, 0.5]))
    assert list(pos.state_dict()) == ["pos_weight"]


def test_legacy_size_average_and_reduce_flags():
    x, y = tg.tensor([1.0, 2.0]), tg.tensor([0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert F.mse_loss(x, y, size_average=False).item() == 5.0
        assert F.mse_loss(x, y, reduce=False).shape == (2,)
        assert nn.L1Loss(size_average=True)(x, y).item() == 1.5


def test_loss_errors_name_the_loss_and_shapes():
    logits = tg.randn(3, 5)
    with pytest.raises(
        IndexError,
        match=r"cross_entropy: target 9 is out of bounds for 5 "
        r"classes \(input of shape \(3, 5\)\)",
    ):
        F.cross_entropy(logits, tg.tensor([0, 9, 1]))
    with pytest.raises(
        ValueError,
        match=r"expected target of shape \(3,\).*got target of "
        r"shape \(2,\)",
    ):
        F.cross_entropy(logits, tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="expected target dtype to be an integer"):
        F.cross_entropy(logits, tg.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(IndexError, match="nll_loss: target -2 is out of bounds"):
        F.nll_loss(logits, tg.tensor([0, -2, 1]))
    with pytest.raises(
        ValueError,
        match=r"target size \(1, 2\) must be the same as input size "
        r"\(2,\)",
    ):
        F.binary_cross_entropy_with_logits(tg.zeros(2), tg.zeros(1, 2))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(tg.tensor([0.5, 1.5]), tg.tensor([0.0, 1.0]))
    with pytest.raises(
        RuntimeError,
        match=r"mse_loss: target of shape \(3,\) does not "
        r"broadcast with input of shape \(2,\)",
    ):
        F.mse_loss(tg.zeros(2), tg.zeros(3))
    with pytest.warns(UserWarning, match=r"target size \(2, 1\).*input size \(2,\)"):
        F.mse_loss(tg.zeros(2), tg.zeros(2, 1))
    with pytest.raises(ValueError, match="mean_all is not a valid value for reduction"):
        nn.MSELoss(reduction="mean_all")
