"""The losses and distances of issue 12 against PyTorch (float64 values and gradients for every
reduction and option), their modules, their errors, and the silent wrong answers it lists."""

import warnings

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from test_activations import assert_raises_like_torch  # noqa: E402 (needs PyTorch)

REDUCTIONS = ["mean", "sum", "none"]
TOL = dict(rtol=1e-10, atol=1e-12)


def rng(seed=0):
    return np.random.default_rng(seed)


def _convert(library, value, requires_grad):
    if isinstance(value, np.ndarray):
        return library.tensor(value, requires_grad=requires_grad and value.dtype.kind == "f")
    return value


def compare(name, args, kwargs=None, grads=(0,), tol=TOL):
    """``F.name`` and PyTorch's on the same float64 arrays: the value, then the gradients of the
    positional arguments listed in ``grads`` (for a random upstream gradient)."""
    kwargs = kwargs or {}
    ours_args = [_convert(tg, a, i in grads) for i, a in enumerate(args)]
    their_args = [_convert(torch, a, i in grads) for i, a in enumerate(args)]
    ours_kw = {k: _convert(tg, v, False) for k, v in kwargs.items()}
    their_kw = {k: _convert(torch, v, False) for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' warns; tested on its own
        out = getattr(F, name)(*ours_args, **ours_kw)
        ref = getattr(TF, name)(*their_args, **their_kw)
    assert out.shape == tuple(ref.shape), (out.shape, ref.shape)
    assert out.dtype == tg.float64
    np.testing.assert_allclose(
        out.detach().numpy(), ref.detach().numpy(), **tol, err_msg=f"{name} {kwargs}: value"
    )
    if not ref.requires_grad:
        return out
    upstream = rng(99).standard_normal(tuple(ref.shape))
    out.backward(tg.tensor(upstream))
    ref.backward(torch.tensor(upstream))
    for i in grads:
        np.testing.assert_allclose(
            ours_args[i].grad.numpy(),
            their_args[i].grad.numpy(),
            **tol,
            err_msg=f"{name} {kwargs}: gradient of argument {i}",
        )
    return out


# ---------------------------------------------------------------- KL, Poisson, Gaussian
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    x = np.log(rng(1).dirichlet(np.ones(4), size=5))
    target = rng(2).dirichlet(np.ones(4), size=5)
    if log_target:
        target = np.log(target)
    else:
        target[0, 1] = 0.0  # xlogy: a zero target contributes 0
    grads = (0, 1) if log_target else (0,)
    compare("kl_div", (x, target), {"reduction": reduction, "log_target": log_target}, grads)


def test_kl_div_target_gradient_where_target_is_positive():
    x = np.log(rng(3).dirichlet(np.ones(3), size=4))
    target = rng(4).dirichlet(np.ones(3), size=4)
    compare("kl_div", (x, target), {"reduction": "batchmean"}, grads=(0, 1))


def test_kl_div_zero_target_has_a_finite_gradient_not_nan():
    # Deliberately better than PyTorch, whose xlogy gradient there is 0/0 = NaN: the
    # t·log t term contributes 0 at t = 0 (the where-NaN rule of docs/design.md).
    target = tg.tensor([0.0, 1.0], dtype=tg.float64, requires_grad=True)
    F.kl_div(tg.tensor([-1.0, -0.5], dtype=tg.float64), target, reduction="sum").backward()
    assert target.grad.tolist() == [1.0, 1.5]  # d/dt (t log t - t x) with t log t's part 0


def test_kl_div_broadcasts_warns_on_mean_and_batchmean_of_0d_is_the_sum():
    compare("kl_div", (rng(5).standard_normal(3), rng(6).random((2, 3))), {"reduction": "none"})
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(tg.zeros(2, 3), tg.ones(2, 3))
    compare("kl_div", (np.array(-1.0), np.array(0.5)), {"reduction": "batchmean"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(tg.zeros(2, 3), tg.ones(2, 3), reduction="batchmean")


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss(reduction, log_input, full):
    x = rng(7).standard_normal((4, 3))
    if not log_input:
        x = np.exp(x)
    target = rng(8).poisson(2.0, (4, 3)).astype(float) + rng(9).random((4, 3))
    kwargs = {"reduction": reduction, "log_input": log_input, "full": full, "eps": 1e-6}
    compare("poisson_nll_loss", (x, target), kwargs, grads=(0, 1))


def test_poisson_nll_loss_with_zero_counts_and_broadcasting():
    target = np.array([0.0, 1.0, 3.0])
    x = rng(10).standard_normal((2, 3))
    compare("poisson_nll_loss", (x, target), {"full": True, "reduction": "none"})
    compare("poisson_nll_loss", (np.exp(x), target), {"log_input": False, "reduction": "sum"})


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3), "float"], ids=lambda s: str(s))
def test_gaussian_nll_loss(reduction, full, var_shape):
    x, target = rng(11).standard_normal((4, 3)), rng(12).standard_normal((4, 3))
    var = 0.7 if var_shape == "float" else rng(13).random(var_shape) + 0.1
    grads = (0, 1) if var_shape == "float" else (0, 1, 2)
    compare("gaussian_nll_loss", (x, target, var), {"full": full, "reduction": reduction}, grads)


def test_gaussian_nll_loss_clamps_var_for_the_value_only():
    var = np.array([[1e-9, 0.5], [0.0, 2.0]])
    x, target = rng(14).standard_normal((2, 2)), rng(15).standard_normal((2, 2))
    compare("gaussian_nll_loss", (x, target, var), {"eps": 1e-3}, grads=(0, 1, 2))
    compare("gaussian_nll_loss", (rng(16).standard_normal(3), np.zeros(3), np.array(0.5)), {})


# ---------------------------------------------------------------- margins and embeddings
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(reduction, margin):
    x1, x2 = rng(17).standard_normal(6), rng(18).standard_normal(6)
    x2[0] = x1[0] - margin  # exactly on the hinge: PyTorch's clamp_min passes the gradient
    target = np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
    kwargs = {"margin": margin, "reduction": reduction}
    compare("margin_ranking_loss", (x1, x2, target), kwargs, grads=(0, 1, 2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss(reduction, margin):
    x = np.abs(rng(19).standard_normal((3, 4)))
    x[0, 0] = margin  # the kink
    target = np.where(rng(20).random((3, 4)) > 0.5, 1.0, -1.0)
    target[1, 1] = 0.0  # neither 1 nor -1: both terms, as in PyTorch
    compare("hinge_embedding_loss", (x, target), {"margin": margin, "reduction": reduction})


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.2])
@pytest.mark.parametrize("batched", [True, False])
def test_cosine_embedding_loss(reduction, margin, batched):
    shape = (5, 4) if batched else (4,)
    x1, x2 = rng(21).standard_normal(shape), rng(22).standard_normal(shape)
    target = np.array([1.0, -1.0, -1.0, 1.0, -1.0]) if batched else np.array(-1.0)
    kwargs = {"margin": margin, "reduction": reduction}
    compare("cosine_embedding_loss", (x1, x2, target), kwargs, grads=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.4])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, margin, weighted):
    x = rng(23).standard_normal((6, 4))
    target = np.array([0, 3, 1, 2, 3, 0])
    x[0, 1] = x[0, 0] - margin  # exactly on the hinge: no gradient, as in PyTorch
    kwargs = {"p": p, "margin": margin, "reduction": reduction}
    if weighted:
        kwargs["weight"] = rng(24).random(4) + 0.5
    compare("multi_margin_loss", (x, target), kwargs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("target_shape", [(), (1,)])
def test_multi_margin_loss_of_one_sample(reduction, target_shape):
    target = np.full(target_shape, 2)
    compare("multi_margin_loss", (rng(25).standard_normal(5), target), {"reduction": reduction})


def test_multi_margin_loss_of_an_empty_batch_is_zero_as_in_torch():
    compare("multi_margin_loss", (np.zeros((0, 3)), np.zeros(0, dtype=np.int64)), {})


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(4, 3), (5,)])
def test_multilabel_soft_margin_loss(reduction, weighted, shape):
    x = rng(26).standard_normal(shape) * 3
    target = (rng(27).random(shape) > 0.5).astype(float)
    kwargs = {"reduction": reduction}
    if weighted:
        kwargs["weight"] = rng(28).random(shape[-1])
    compare("multilabel_soft_margin_loss", (x, target), kwargs, grads=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    x = rng(29).standard_normal((3, 4)) * 3
    target = np.where(rng(30).random((3, 4)) > 0.5, 1.0, -1.0)
    # PyTorch refuses a target that requires grad here; ours would differentiate it.
    compare("soft_margin_loss", (x, target), {"reduction": reduction})


def test_soft_margin_loss_does_not_overflow():
    # Deliberately better than PyTorch's log1p(exp(800)) = inf.
    loss = F.soft_margin_loss(tg.tensor([-800.0, 800.0]), tg.tensor([1.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [800.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss(reduction, p, swap):
    anchor, positive, negative = (rng(s).standard_normal((6, 4)) for s in (31, 32, 33))
    kwargs = {"p": p, "swap": swap, "margin": 1.5, "eps": 1e-5, "reduction": reduction}
    compare("triplet_margin_loss", (anchor, positive, negative), kwargs, grads=(0, 1, 2))


def test_triplet_margin_loss_of_single_vectors():
    vectors = [rng(s).standard_normal(4) for s in (34, 35, 36)]
    compare("triplet_margin_loss", tuple(vectors), {"reduction": "none"}, grads=(0, 1, 2))


# ---------------------------------------------------------------- distances
@pytest.mark.parametrize(
    ("shape1", "shape2", "dim"),
    [((4, 3), (4, 3), 1), ((4, 3), (3,), -1), ((2, 1, 3), (4, 3), -1), ((3, 5), (3, 5), 0)],
)
@pytest.mark.parametrize("eps", [1e-8, 0.5])
def test_cosine_similarity(shape1, shape2, dim, eps):
    x1, x2 = rng(37).standard_normal(shape1), rng(38).standard_normal(shape2)
    compare("cosine_similarity", (x1, x2), {"dim": dim, "eps": eps}, grads=(0, 1))


def test_cosine_similarity_of_a_zero_vector_and_of_scalars():
    x1 = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    compare("cosine_similarity", (x1, np.ones((2, 3))), {}, grads=(0, 1))
    compare("cosine_similarity", (np.array(2.0), np.array(-3.0)), {"dim": 0}, grads=(0, 1))


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 0.5, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize(("shape1", "shape2"), [((4, 3), (4, 3)), ((4, 3), (3,)), ((5,), (5,))])
def test_pairwise_distance(p, keepdim, shape1, shape2):
    x1, x2 = rng(39).standard_normal(shape1), rng(40).standard_normal(shape2)
    compare("pairwise_distance", (x1, x2), {"p": p, "keepdim": keepdim}, grads=(0, 1))


def test_pairwise_distance_of_scalars_and_identical_points():
    compare("pairwise_distance", (np.array(1.0), np.array(3.0)), {}, grads=(0, 1))
    x = rng(41).standard_normal((2, 3))
    compare("pairwise_distance", (x, x.copy()), {"eps": 1e-6}, grads=(0, 1))


@pytest.mark.parametrize(("p", "dim"), [(2.0, 1), (1.0, 0), (3.0, -1), (float("inf"), 1)])
def test_normalize(p, dim):
    x = rng(42).standard_normal((3, 4))
    x[0] = 0.0  # a zero row stays zero (the eps)
    compare("normalize", (x,), {"p": p, "dim": dim})
    out = tg.empty(3, 4, dtype=tg.float64)
    assert F.normalize(tg.tensor(x), p, dim, out=out) is out
    np.testing.assert_allclose(out.numpy(), TF.normalize(torch.tensor(x), p, dim).numpy(), **TOL)


# ---------------------------------------------------------------- modules
# (class name, constructor kwargs, inputs as arrays)
def _module_cases():
    x, y = rng(43).standard_normal((4, 3)), rng(44).random((4, 3))
    signs = np.where(rng(45).random(4) > 0.5, 1.0, -1.0)
    classes = np.array([0, 2, 1, 2])
    return [
        ("KLDivLoss", {"reduction": "batchmean"}, (np.log(y), y)),
        ("KLDivLoss", {"log_target": True, "reduction": "sum"}, (x, np.log(y))),
        ("PoissonNLLLoss", {"full": True}, (x, y * 4)),
        ("PoissonNLLLoss", {"log_input": False, "eps": 1e-4}, (y, x * x)),
        ("GaussianNLLLoss", {"full": True, "eps": 1e-3}, (x, y, y[:, 0])),
        ("MarginRankingLoss", {"margin": 0.3}, (x[:, 0], x[:, 1], signs)),
        ("HingeEmbeddingLoss", {"margin": 2.0, "reduction": "sum"}, (y, np.sign(x))),
        ("CosineEmbeddingLoss", {"margin": 0.1}, (x, y, signs)),
        ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": y[0]}, (x, classes)),
        ("MultiLabelSoftMarginLoss", {"weight": y[1]}, (x, (y > 0.5) * 1.0)),
        ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True}, (x, y, x * y)),
        ("SoftMarginLoss", {"reduction": "none"}, (x, np.sign(y - 0.5))),
        ("CosineSimilarity", {"dim": 0, "eps": 1e-6}, (x, y)),
        ("PairwiseDistance", {"p": 1.0, "keepdim": True}, (x, y)),
    ]


@pytest.mark.parametrize("case", _module_cases(), ids=lambda case: case[0])
def test_modules_match_torch_and_share_its_repr_and_attributes(case):
    name, kwargs, inputs = case
    ours_kw = {k: tg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    their_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours, theirs = getattr(nn, name)(**ours_kw), getattr(torch.nn, name)(**their_kw)
    assert repr(ours) == repr(theirs)
    for attribute in ("reduction", "log_target", "log_input", "full", "eps", "margin", "p"):
        assert getattr(ours, attribute, None) == getattr(theirs, attribute, None), attribute
    for attribute in ("swap", "norm", "keepdim", "dim"):
        assert getattr(ours, attribute, None) == getattr(theirs, attribute, None), attribute
    assert list(ours.state_dict()) == list(theirs.state_dict())
    out = ours(*(tg.tensor(a) for a in inputs))
    ref = theirs(*(torch.tensor(a) for a in inputs))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), **TOL)


def test_legacy_flags_and_kl_batchmean_module():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nn.SoftMarginLoss(size_average=False).reduction == "sum"
        assert nn.MarginRankingLoss(reduce=False).reduction == "none"
        assert nn.KLDivLoss(size_average=False).reduction == "sum"
        x = tg.tensor([1.0, -1.0])
        assert F.soft_margin_loss(x, tg.ones(2), size_average=False).item() == pytest.approx(
            TF.soft_margin_loss(torch.tensor([1.0, -1.0]), torch.ones(2), reduction="sum").item()
        )
    with pytest.raises(ValueError, match="batchmean"):
        nn.MSELoss(reduction="batchmean")


# ---------------------------------------------------------------- errors
# (id, mistake written against a library module L and its functional module, message text)
ERRORS = [
    ("kl_bad_reduction", lambda L, LF: LF.kl_div(L.ones(2), L.ones(2), reduction="x"), "x"),
    ("kl_int", lambda L, LF: LF.kl_div(L.tensor([1]), L.tensor([1]), reduction="sum"), "Integral"),
    ("kl_shapes", lambda L, LF: LF.kl_div(L.ones(2, 3), L.ones(4), reduction="sum"), r"\(4,\)"),
    ("poisson_shapes", lambda L, LF: LF.poisson_nll_loss(L.ones(2, 3), L.ones(4)), r"\(2, 3\)"),
    (
        "poisson_reduction",
        lambda L, LF: LF.poisson_nll_loss(L.ones(2), L.ones(2), reduction="x"),
        "x",
    ),
    (
        "gauss_negative",
        lambda L, LF: LF.gaussian_nll_loss(L.ones(2), L.ones(2), -L.ones(2)),
        "negative",
    ),
    (
        "gauss_negative_float",
        lambda L, LF: LF.gaussian_nll_loss(L.ones(2), L.ones(2), -1.0),
        "negative",
    ),
    (
        "gauss_var_size",
        lambda L, LF: LF.gaussian_nll_loss(L.ones(2, 3), L.ones(2, 3), L.ones(3)),
        r"\(3,\)",
    ),
    (
        "gauss_var_two_dims",
        lambda L, LF: LF.gaussian_nll_loss(L.ones(2, 3), L.ones(2, 3), L.ones(1, 1)),
        "incorrect size",
    ),
    (
        "gauss_reduction",
        lambda L, LF: LF.gaussian_nll_loss(L.ones(2), L.ones(2), L.ones(2), reduction="x"),
        "x is not valid",
    ),
    (
        "ranking_dims",
        lambda L, LF: LF.margin_ranking_loss(L.ones(3), L.ones(3), L.ones(1, 3)),
        r"\(1, 3\)",
    ),
    (
        "ranking_shapes",
        lambda L, LF: LF.margin_ranking_loss(L.ones(3), L.ones(4), L.ones(3)),
        r"\(4,\)",
    ),
    ("hinge_shapes", lambda L, LF: LF.hinge_embedding_loss(L.ones(2, 3), L.ones(4)), r"\(4,\)"),
    (
        "cosine_2d_target",
        lambda L, LF: LF.cosine_embedding_loss(L.ones(2, 3), L.ones(2, 3), L.ones(2, 1)),
        "multi-target",
    ),
    (
        "cosine_1d_inputs",
        lambda L, LF: LF.cosine_embedding_loss(L.ones(3), L.ones(3), L.ones(2)),
        r"\(3,\)",
    ),
    (
        "cosine_0d_target",
        lambda L, LF: LF.cosine_embedding_loss(L.ones(2, 3), L.ones(2, 3), L.tensor(1.0)),
        "1D input",
    ),
    (
        "cosine_widths",
        lambda L, LF: LF.cosine_embedding_loss(L.ones(2, 3), L.ones(2, 4), L.ones(2)),
        r"\(2, 4\)",
    ),
    (
        "multi_margin_p",
        lambda L, LF: LF.multi_margin_loss(L.ones(2, 3), L.tensor([0, 1]), p=3),
        "p == 1",
    ),
    (
        "multi_margin_range",
        lambda L, LF: LF.multi_margin_loss(L.ones(2, 3), L.tensor([0, 3])),
        "out of range",
    ),
    (
        "multi_margin_negative",
        lambda L, LF: LF.multi_margin_loss(L.ones(2, 3), L.tensor([0, -1])),
        "out of range",
    ),
    (
        "multi_margin_float_target",
        lambda L, LF: LF.multi_margin_loss(L.ones(2, 3), L.ones(2)),
        "int64",
    ),
    (
        "multi_margin_3d",
        lambda L, LF: LF.multi_margin_loss(L.ones(2, 3, 4), L.tensor([0, 1])),
        r"\(2, 3, 4\)",
    ),
    (
        "multi_margin_no_classes",
        lambda L, LF: LF.multi_margin_loss(L.ones(2, 0), L.tensor([0, 0])),
        r"\(2, 0\)",
    ),
    (
        "multi_margin_targets",
        lambda L, LF: LF.multi_margin_loss(L.ones(2, 3), L.tensor([0, 1, 1])),
        r"\(3,\)",
    ),
    (
        "multi_margin_weight",
        lambda L, LF: LF.multi_margin_loss(L.ones(2, 3), L.tensor([0, 1]), weight=L.ones(4)),
        r"\(4,\)",
    ),
    (
        "multi_margin_weight_2d",
        lambda L, LF: LF.multi_margin_loss(L.ones(2, 3), L.tensor([0, 1]), weight=L.ones(3, 1)),
        "one-dimensional",
    ),
    ("MultiMarginLoss_p", lambda L, LF: L.nn.MultiMarginLoss(p=3), "p == 1"),
    ("MultiMarginLoss_weight", lambda L, LF: L.nn.MultiMarginLoss(weight=L.ones(3, 1)), "2D"),
    (
        "multilabel_reduction",
        lambda L, LF: LF.multilabel_soft_margin_loss(L.ones(2), L.ones(2), reduction="x"),
        "x",
    ),
    ("soft_margin_shapes", lambda L, LF: LF.soft_margin_loss(L.ones(2, 3), L.ones(4)), r"\(4,\)"),
    (
        "triplet_dims",
        lambda L, LF: LF.triplet_margin_loss(L.ones(2, 3), L.ones(2, 3), L.ones(3)),
        "negative 1D",
    ),
    (
        "triplet_margin",
        lambda L, LF: LF.triplet_margin_loss(L.ones(3), L.ones(3), L.ones(3), margin=0),
        "got 0",
    ),
    ("TripletMarginLoss_margin", lambda L, LF: L.nn.TripletMarginLoss(margin=-1.0), "-1.0"),
    (
        "cosine_similarity_dim",
        lambda L, LF: LF.cosine_similarity(L.ones(3), L.ones(3)),
        r"\[-1, 0\]",
    ),
    (
        "cosine_similarity_shapes",
        lambda L, LF: LF.cosine_similarity(L.ones(2, 3), L.ones(4), dim=-1),
        r"\(4,\)",
    ),
    (
        "cosine_similarity_int",
        lambda L, LF: LF.cosine_similarity(L.tensor([1, 2]), L.tensor([2, 2]), dim=0),
        "floating",
    ),
    ("pairwise_shapes", lambda L, LF: LF.pairwise_distance(L.ones(2, 3), L.ones(4)), r"\(4,\)"),
    ("normalize_int", lambda L, LF: LF.normalize(L.tensor([[3, 4]])), "int64"),
    ("normalize_dim", lambda L, LF: LF.normalize(L.ones(3)), "1"),
]


@pytest.mark.parametrize(("name", "mistake", "text"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_have_torchs_type_and_name_the_shapes(name, mistake, text):
    assert_raises_like_torch(mistake, text)


# ---------------------------------------------------------------- silent wrong answers
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("classes", [2, 4])
@pytest.mark.parametrize("input_shape", [(2, 3), (3,), (2, 3, 2)])
def test_class_weight_of_the_wrong_length_raises(name, classes, input_shape):
    target = tg.tensor([0, 1]) if len(input_shape) == 2 else tg.tensor(1)
    if len(input_shape) == 3:
        target = tg.tensor([[0, 1], [2, 0]])
    with pytest.raises(RuntimeError) as theirs:
        getattr(TF, name)(
            torch.ones(input_shape), torch.tensor(target.numpy()), torch.ones(classes)
        )
    with pytest.raises(RuntimeError, match=rf"all 3 classes.*\[{classes}\]"):
        getattr(F, name)(tg.ones(input_shape), target, weight=tg.ones(classes))
    assert "weight tensor should be defined either for all" in str(theirs.value)


def test_class_weight_checks_cover_probability_targets_and_modules():
    with pytest.raises(RuntimeError, match=r"all 3 classes.*\[4\]"):
        F.cross_entropy(tg.ones(2, 3), tg.ones(2, 3) / 3, weight=tg.ones(4))
    with pytest.raises(RuntimeError, match=r"all 3 classes.*\[3, 1\]"):
        nn.CrossEntropyLoss(weight=tg.ones(3, 1))(tg.ones(2, 3), tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match=r"all 3 classes.*\[2\]"):
        nn.NLLLoss(weight=tg.ones(2))(tg.ones(2, 3), tg.tensor([0, 1]))


@pytest.mark.parametrize(
    ("input", "target", "which"),
    [
        ([0.5, 0.5, 0.5], [0.0, 1.0, 2.0], "target"),
        ([0.5, 0.5], [0.0, -1.0], "target"),
        ([0.5, 0.5], [0.0, float("nan")], "target"),
        ([0.5, float("nan")], [0.0, 1.0], "input"),
        ([0.5, 1.5], [0.0, 1.0], "input"),
        ([0.5, 2.0], [2.0, 0.5], "target"),  # the first bad element decides, as in PyTorch
        ([2.0, 0.5], [0.5, 2.0], "input"),
    ],
)
def test_binary_cross_entropy_refuses_values_outside_0_1(input, target, which):
    message = f"all elements of {which} should be between 0 and 1"
    with pytest.raises(RuntimeError, match=message):
        TF.binary_cross_entropy(torch.tensor(input), torch.tensor(target))
    with pytest.raises(RuntimeError, match=message):
        F.binary_cross_entropy(tg.tensor(input), tg.tensor(target))
    with pytest.raises(RuntimeError, match=message):
        nn.BCELoss()(tg.tensor(input), tg.tensor(target))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 2), (2, 3, 0)])
@pytest.mark.parametrize("options", [{}, {"label_smoothing": 0.1}, {"weight": np.ones(3)}])
def test_cross_entropy_with_probability_targets_on_an_empty_batch(reduction, shape, options):
    x, target = np.zeros(shape), np.zeros(shape)
    out = compare("cross_entropy", (x, target), dict(options, reduction=reduction), grads=(0, 1))
    if reduction == "mean":
        assert np.isnan(out.item())


def test_load_state_dict_refuses_a_list_or_a_number_but_takes_arrays_and_torch_tensors():
    for value in ([[1.0, 2.0]], 1.0, "weights", None):
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.Linear(2, 1).load_state_dict({"weight": value, "bias": torch.zeros(1)})
        layer = nn.Linear(2, 1)
        before = layer.weight.tolist()
        with pytest.raises(RuntimeError, match=r'"weight".*received <class') as ours:
            layer.load_state_dict({"weight": value, "bias": tg.zeros(1)}, strict=False)
        assert type(value).__name__ in str(ours.value) and "Tensor-like" in str(theirs.value)
        assert layer.weight.tolist() == before  # nothing copied
    # Deliberately wider than PyTorch: NumPy arrays and torch tensors are tensor-like here.
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": torch.tensor([0.5])})
    assert layer.weight.tolist() == [[1.0, 2.0]] and layer.bias.tolist() == [0.5]
