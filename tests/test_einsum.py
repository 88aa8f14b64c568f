"""The ops sequence models need, beyond the op table: einsum's equations, dtypes and errors;
multinomial's statistics and errors; addmm/baddbmm/addbmm's checks; and gelu (tanh), tril/triu,
topk and embedding against PyTorch."""

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.nn.functional as F
from tensorgrad.testing import assert_matches_torch

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _outcome(call):
    """What a call gives: ('ok', dtype name, shape, values) or (exception type, message)."""
    try:
        result = call()
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error), str(error)
    values = result.detach().numpy() if hasattr(result, "detach") else result.numpy()
    return "ok", str(result.dtype).split(".")[-1], tuple(result.shape), values


def _raises_like_torch(mistake):
    """``mistake(L)`` raises, for tensorgrad, the exception type it raises for PyTorch."""
    with pytest.raises(Exception) as theirs:
        mistake(torch)
    with pytest.raises(Exception) as ours:
        mistake(tg)
    assert type(ours.value) is type(theirs.value), (str(ours.value), str(theirs.value))
    return ours


def _same_outcome(ours, theirs):
    assert ours[0] is theirs[0] or ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert ours[1:3] == theirs[1:3], (ours, theirs)
        np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------------- einsum
EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,bjk->bik", [(1, 3, 4), (4, 4, 5)]),  # size-1 letters broadcast, as in PyTorch
    ("i,j->ij", [(3,), (4,)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iii->i", [(3, 3, 3)]),
    ("iij->ji", [(2, 2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ba", [(2, 3)]),  # implicit output: alphabetical, so a transpose
    ("Ab,bA", [(2, 3), (3, 2)]),
    ("...ij,...jk", [(2, 1, 2, 3), (5, 3, 4)]),
    ("a...b,...->...", [(2, 3, 4, 5), (4,)]),
    ("...", [(2, 3)]),
    ("", [()]),
    ("i,->i", [(3,), ()]),
    (" i j -> j ", [(2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij,jk,kl,lm->im", [(2, 3), (3, 4), (4, 5), (5, 2)]),
    ("ij,i,j", [(3, 4), (3,), (4,)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ij,kl->ijkl", [(2, 3), (1, 2)]),
    ("ii,i->i", [(1, 1), (3,)]),
    ("ij,jk->ik", [(2, 0), (0, 3)]),
]


@pytest.mark.parametrize(("equation", "shapes"), EQUATIONS, ids=[e for e, _ in EQUATIONS])
def test_einsum_values_gradients_and_double_backward_match_torch(equation, shapes):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    assert_matches_torch(
        lambda *t: tg.einsum(equation, *t), lambda *t: torch.einsum(equation, *t), *arrays
    )
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]

    def second(lib, operands):  # Σ (d out / d operands)² differentiated again
        out = lib.einsum(equation, *operands)
        grads = lib.autograd.grad((out * out).sum(), operands, create_graph=True)
        return lib.autograd.grad(sum((g * g * g).sum() for g in grads), operands)

    for mine, reference in zip(second(tg, ours), second(torch, theirs), strict=True):
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-9, atol=1e-12)


def test_einsum_float32_matches_torch():
    rng = np.random.default_rng(1)
    q, k = (rng.standard_normal((2, 4, 8, 16)).astype(np.float32) for _ in range(2))
    assert_matches_torch(
        lambda a, b: tg.einsum("bhqd,bhkd->bhqk", a, b),
        lambda a, b: torch.einsum("bhqd,bhkd->bhqk", a, b),
        q,
        k,
    )


def test_einsum_takes_a_list_the_sublist_form_ndarrays_and_numpy_dispatch():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    expected = a @ b
    assert np.allclose(tg.einsum("ij,jk", [tg.tensor(a), tg.tensor(b)]).numpy(), expected)
    assert np.allclose(tg.einsum("ij,jk", (tg.tensor(a), b)).numpy(), expected)
    sublist = tg.einsum(tg.tensor(a), [0, 1], tg.tensor(b), [1, 2], [0, 2])
    assert np.allclose(sublist.numpy(), expected)
    implicit = tg.einsum(tg.tensor(a), [Ellipsis, 26], tg.ones(3, dtype=tg.float64), [26])
    theirs = torch.einsum(torch.tensor(a), [Ellipsis, 26], torch.ones(3, dtype=torch.float64), [26])
    assert np.allclose(implicit.numpy(), theirs.numpy())
    x = tg.tensor(a, requires_grad=True)
    through_numpy = np.einsum("ij,jk->ik", x, b)
    assert isinstance(through_numpy, tg.Tensor) and through_numpy.grad_fn is not None
    through_numpy.sum().backward()
    assert np.allclose(x.grad.numpy(), b.sum(axis=1)[None, :].repeat(2, axis=0))


def test_einsum_output_never_aliases_its_input():
    x = tg.ones(2, 3)
    y = tg.einsum("ij->ij", x)
    y.add_(1)
    assert x.sum().item() == 6.0 and y.sum().item() == 12.0
    z = tg.einsum("ij->ji", x)
    assert not np.shares_memory(z.numpy(), x.numpy())


DTYPE_CASES = [  # (equation, [(shape, dtype), ...]): PyTorch's dtype rules and dtype errors
    ("ij,jk", [((2, 3), "float32"), ((3, 4), "float64")]),
    ("ij,jk", [((2, 3), "float32"), ((3, 4), "int64")]),
    ("ij,jk", [((2, 3), "int64"), ((3, 4), "int64")]),
    ("ij,jk", [((2, 3), "bool"), ((3, 4), "bool")]),
    ("ij->", [((2, 3), "bool")]),
    ("ij->ji", [((2, 3), "bool")]),
    ("ij->", [((2, 3), "int32")]),
    ("ij,ij->", [((2, 3), "int32")] * 2),
    ("ij,ij->ij", [((2, 3), "bool")] * 2),
    ("ij->i", [((2, 3), "float16")]),
    ("ij->j", [((2, 3), "uint8")]),
    ("ii", [((2, 2), "bool")]),
    ("ii->i", [((2, 2), "int32")]),
    ("ij,j->", [((2, 3), "int32"), ((3,), "int32")]),
    ("ij,j->i", [((2, 3), "int32"), ((3,), "int32")]),
    ("ij,ik->", [((2, 3), "int32")] * 2),
    ("i,j->", [((2,), "int32"), ((3,), "int32")]),
    ("ij,j,i->", [((2, 3), "int32"), ((3,), "int32"), ((2,), "int32")]),
    ("ij,j->i", [((2, 1), "int32"), ((3,), "int32")]),
    ("ij,i->i", [((2, 1), "int32"), ((2,), "int32")]),  # a size-1 dim summed: no widening
    ("ij,i->i", [((2, 1), "bool"), ((2,), "bool")]),
    ("ij,jk->", [((2, 3), "bool"), ((3, 4), "bool")]),
    ("i,j->ij", [((3,), "float32"), ((3,), "float64")]),
    ("i,i->i", [((3,), "float32"), ((3,), "float64")]),
    ("i,i->", [((3,), "float32"), ((3,), "float64")]),
    ("i,i->", [((1,), "float32"), ((1,), "float64")]),
    ("i,j->ij", [((3,), "int32"), ((3,), "int64")]),
    ("i,i->i", [((3,), "bool"), ((3,), "float32")]),
    ("ij,->ij", [((2, 2), "float32"), ((), "float64")]),
    ("i,j,ij->", [((2,), "float32"), ((3,), "float64"), ((2, 3), "float32")]),
    ("i,i,j->j", [((2,), "float32"), ((2,), "float32"), ((3,), "float64")]),
]


@pytest.mark.parametrize(("equation", "operands"), DTYPE_CASES, ids=[e for e, _ in DTYPE_CASES])
def test_einsum_dtypes_match_torch(equation, operands):
    def call(lib):
        tensors = [lib.ones(shape, dtype=getattr(lib, dtype)) for shape, dtype in operands]
        return lambda: lib.einsum(equation, *tensors)

    _same_outcome(_outcome(call(tg)), _outcome(call(torch)))


EINSUM_MISTAKES = [  # (equation, shapes, text our message must contain)
    ("ij,jk", [(2, 3)], "fewer operands"),
    ("ij", [(2, 3), (2, 3)], "more operands"),
    ("ijk", [(2, 3)], r"subscripts in the equation \(3\) does not match.*\(2\) for operand 0"),
    ("...ij->", [(2,)], r"\(2\) is more than the number of dimensions \(1\)"),
    ("ij,jk", [(2, 3), (4, 4)], "subscript j has size 4 for operand 1"),
    ("ij->k", [(2, 3)], "output subscript k does not appear"),
    ("ij->ii", [(2, 3)], "output subscript i appears more than once"),
    ("ii", [(2, 3)], "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    ("i1->i", [(2, 3)], "index 1"),
    ("ij->->i", [(2, 3)], "index 4"),
    ("ij->ij,", [(2, 3)], "index 6"),
    ("..i->i", [(2, 3)], "not part of any ellipsis"),
    ("....->", [(2,)], "already found"),
    ("ij->...i...", [(2, 2)], "already found"),
    ("...ij,...jk", [(2, 2, 3), (5, 3, 4)], "covered by ellipsis in operand 1"),
    ("i,i", [(2,), (3,)], "subscript i has size 3"),
    ("i,i->", [(3,), (0,)], "size 0"),
]


@pytest.mark.parametrize(
    ("equation", "shapes", "text"), EINSUM_MISTAKES, ids=[m[0] for m in EINSUM_MISTAKES]
)
def test_einsum_errors_match_torch(equation, shapes, text):
    ours = _raises_like_torch(lambda L: L.einsum(equation, *[L.ones(s) for s in shapes]))
    assert ours.match("einsum") and ours.match(text)


@pytest.mark.parametrize(
    "call",
    [
        lambda L: L.einsum(),
        lambda L: L.einsum("ij"),
        lambda L: L.einsum("ij,jk", L.ones(2, 3), 3),
        lambda L: L.einsum(L.ones(2, 3), [0, 52]),
    ],
    ids=["nothing", "no_operand", "a_number", "sublist_label"],
)
def test_einsum_argument_errors_match_torch(call):
    _raises_like_torch(call)


def test_einsum_three_operands_follow_a_good_order():
    """A chain contracted right to left costs far less here; the greedy path finds it."""
    a, b, c = tg.ones(64, 64), tg.ones(64, 64), tg.ones(64, 1)
    assert np.allclose(tg.einsum("ij,jk,kl->il", a, b, c).numpy(), 64 * 64)
    from tensorgrad.ops.einsum import _program

    _, steps, _ = _program(("ij", "jk", "kl"), "il", ((64, 64), (64, 64), (64, 1)))
    assert steps[0][0] == (1, 2)  # b @ c first: a matrix-vector product, not a 64³ one


# ----------------------------------------------------------------------------- multinomial
def test_multinomial_shapes_dtype_and_method():
    weights = tg.tensor([1.0, 0.0, 2.0, 3.0])
    drawn = tg.multinomial(weights, 3)
    assert drawn.dtype == tg.int64 and drawn.shape == (3,) and not drawn.requires_grad
    assert weights.multinomial(5, replacement=True).shape == (5,)
    rows = tg.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 4.0]], dtype=tg.float64)
    drawn = rows.multinomial(2, True)
    assert drawn.shape == (2, 2) and drawn[1].tolist() == [2, 2]
    assert tg.multinomial(tg.ones(0, 3), 2).shape == (0, 2)


def test_multinomial_is_reproducible_and_honours_generator():
    weights = tg.tensor([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    tg.manual_seed(5)
    first = tg.multinomial(weights, 10, True)
    tg.manual_seed(5)
    assert (tg.multinomial(weights, 10, True) == first).all()
    generator = tg.Generator().manual_seed(11)
    state = generator.get_state()
    before = tg.random.default_generator.get_state()
    one = tg.multinomial(weights, 2, generator=generator)
    assert tg.random.default_generator.get_state() == before  # the global one untouched
    generator.set_state(state)
    assert (tg.multinomial(weights, 2, generator=generator) == one).all()


def _chi_square(counts: np.ndarray, expected: np.ndarray) -> float:
    return float(((counts - expected) ** 2 / expected).sum())


def test_multinomial_with_replacement_frequencies_match_the_weights():
    weights = np.array([1.0, 0.0, 2.0, 3.0, 4.0])
    tg.manual_seed(0)
    drawn = tg.multinomial(tg.tensor(np.stack([weights, weights[::-1]])), 50_000, True).numpy()
    for row, w in zip(drawn, (weights, weights[::-1]), strict=True):
        counts = np.bincount(row, minlength=5)
        assert counts[w == 0].sum() == 0
        positive = w > 0
        expected = len(row) * w[positive] / w.sum()
        assert _chi_square(counts[positive], expected) < 25  # 3 dof: p ≈ 2e-5


def test_multinomial_without_replacement_never_repeats_and_has_the_right_law():
    weights = np.array([4.0, 3.0, 2.0, 1.0])
    p = weights / weights.sum()
    tg.manual_seed(0)
    drawn = tg.multinomial(tg.tensor(np.tile(weights, (20_000, 1))), 2).numpy()
    assert (drawn[:, 0] != drawn[:, 1]).all()
    # first draw ~ p; second draw j given first i ~ p_j / (1 - p_i)
    expected_first = len(drawn) * p
    assert _chi_square(np.bincount(drawn[:, 0], minlength=4), expected_first) < 25
    second = np.array([sum(p[i] * p[j] / (1 - p[i]) for i in range(4) if i != j) for j in range(4)])
    counts = np.bincount(drawn[:, 1], minlength=4)
    assert _chi_square(counts, len(drawn) * second) < 25
    full = tg.multinomial(tg.tensor(np.tile(weights, (100, 1))), 4).numpy()
    assert (np.sort(full, axis=1) == np.arange(4)).all()


def test_multinomial_without_replacement_takes_zero_weights_last():
    tg.manual_seed(0)
    drawn = tg.multinomial(tg.tensor([[1.0, 0.0, 1.0, 0.0]] * 50), 4).numpy()
    assert set(map(tuple, np.sort(drawn[:, :2], axis=1))) == {(0, 2)}
    assert set(map(tuple, np.sort(drawn[:, 2:], axis=1))) == {(1, 3)}
    assert tg.multinomial(tg.tensor([1.0, 0.0, 1.0]), 3).shape == (3,)  # as PyTorch allows


MULTINOMIAL_MISTAKES = [
    lambda L: L.multinomial(L.tensor([1.0, -1.0]), 1),
    lambda L: L.multinomial(L.tensor([1.0, float("inf")]), 1),
    lambda L: L.multinomial(L.tensor([1.0, float("nan")]), 1, True),
    lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1),
    lambda L: L.multinomial(L.tensor([[1.0, 1.0], [0.0, 0.0]]), 1, True),
    lambda L: L.multinomial(L.tensor([1.0, 1.0]), 0),
    lambda L: L.multinomial(L.tensor([1.0, 1.0]), -1),
    lambda L: L.multinomial(L.tensor(1.0), 1),
    lambda L: L.multinomial(L.ones(2, 2, 2), 1),
    lambda L: L.multinomial(L.tensor([1.0, 0.0, 1.0]), 4),
    lambda L: L.multinomial(L.tensor([1, 2]), 1),
    lambda L: L.multinomial(L.tensor([True, True]), 1),
    lambda L: L.multinomial(L.tensor([1.0, 2.0]), 1.5),
    lambda L: L.multinomial(L.tensor([1.0, 2.0]), True),
    lambda L: L.multinomial(L.tensor([1.0, 2.0]), 1, replacement=1),
    lambda L: L.multinomial(L.ones(2, 0), 1),
    lambda L: L.multinomial(L.ones(2, 0), 1, True),
]


@pytest.mark.parametrize("mistake", MULTINOMIAL_MISTAKES, ids=range(len(MULTINOMIAL_MISTAKES)))
def test_multinomial_errors_match_torch(mistake):
    _raises_like_torch(mistake)


# ----------------------------------------------------------------------------- addmm & co
def test_add_products_match_torch_with_scalars_and_broadcast_input():
    rng = np.random.default_rng(2)
    x, a, b = rng.standard_normal((3,)), rng.standard_normal((2, 4)), rng.standard_normal((4, 3))
    for beta, alpha in [(1, 1), (0.5, 2.0), (0, -1.5)]:
        assert_matches_torch(
            lambda x, a, b, beta=beta, alpha=alpha: tg.addmm(x, a, b, beta=beta, alpha=alpha),
            lambda x, a, b, beta=beta, alpha=alpha: torch.addmm(x, a, b, beta=beta, alpha=alpha),
            x,
            a,
            b,
        )
    batch1, batch2 = rng.standard_normal((5, 2, 4)), rng.standard_normal((5, 4, 3))
    for name in ("baddbmm", "addbmm"):
        assert_matches_torch(
            lambda x, a, b, name=name: getattr(x, name)(a, b, beta=0.5, alpha=3),
            lambda x, a, b, name=name: getattr(x, name)(a, b, beta=0.5, alpha=3),
            rng.standard_normal((2, 3)),
            batch1,
            batch2,
        )


def test_beta_zero_ignores_nan_and_inf_in_input():
    for lib in (tg, torch):
        nan = lib.full((2, 3), float("nan"), requires_grad=True)
        out = lib.addmm(nan, lib.ones(2, 4), lib.ones(4, 3), beta=0)
        assert out.tolist() == [[4.0] * 3] * 2
        out.sum().backward()
        assert nan.grad.tolist() == [[0.0] * 3] * 2  # beta·grad, as PyTorch
        batched = lib.baddbmm(
            lib.full((5, 2, 3), float("inf")), lib.ones(5, 2, 4), lib.ones(5, 4, 3), beta=0
        )
        assert batched.sum().item() == 120.0
        summed = lib.addbmm(
            lib.full((3,), float("nan")), lib.ones(5, 2, 4), lib.ones(5, 4, 3), beta=0
        )
        assert summed.sum().item() == 120.0


def test_add_products_on_integers_match_torch():
    for beta in (2, 0.5):
        ours, theirs = (
            L.addmm(
                L.ones(2, 3, dtype=L.int64),
                L.ones(2, 4, dtype=L.int64),
                L.ones(4, 3, dtype=L.int64),
                beta=beta,
            )
            for L in (tg, torch)
        )
        assert ours.dtype == tg.int64 and ours.tolist() == theirs.tolist()


ADD_PRODUCT_MISTAKES = [
    lambda L: L.addmm(L.ones(2, 1, 3), L.ones(2, 4), L.ones(4, 3)),
    lambda L: L.addmm(L.ones(4), L.ones(2, 4), L.ones(4, 3)),
    lambda L: L.addmm(L.ones(2, 3), L.ones(2, 4), L.ones(5, 3)),
    lambda L: L.addmm(L.ones(2, 3), L.ones(2, 4, 1), L.ones(4, 3)),
    lambda L: L.addmm(L.ones(2, 3), L.ones(4), L.ones(4, 3)),
    lambda L: L.addmm(L.ones(2, 3, dtype=L.float64), L.ones(2, 4), L.ones(4, 3)),
    lambda L: L.addmm(L.ones(2, 3), L.ones(2, 4, dtype=L.float64), L.ones(4, 3)),
    lambda L: L.baddbmm(L.ones(5, 2, 3), L.ones(5, 2, 4), L.ones(4, 4, 3)),
    lambda L: L.baddbmm(L.ones(5, 2, 3), L.ones(5, 2, 4), L.ones(5, 5, 3)),
    lambda L: L.baddbmm(L.ones(5, 2, 3), L.ones(2, 4), L.ones(5, 4, 3)),
    lambda L: L.baddbmm(L.ones(6, 2, 3), L.ones(5, 2, 4), L.ones(5, 4, 3)),
    lambda L: L.baddbmm(L.ones(5, 2, 3, dtype=L.float64), L.ones(5, 2, 4), L.ones(5, 4, 3)),
    lambda L: L.addbmm(L.ones(5, 2, 3), L.ones(5, 2, 4), L.ones(5, 4, 3)),
    lambda L: L.addbmm(L.ones(2, 3), L.ones(5, 2, 4), L.ones(4, 4, 3)),
    lambda L: L.addbmm(L.ones(2, 3), L.ones(5, 2, 4), L.ones(5, 3, 3)),
]


@pytest.mark.parametrize("mistake", ADD_PRODUCT_MISTAKES, ids=range(len(ADD_PRODUCT_MISTAKES)))
def test_add_product_errors_match_torch(mistake):
    _raises_like_torch(mistake)


# ----------------------------------------------------------------------------- existing ops
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_tanh_matches_torch(dtype):
    x = (np.random.default_rng(3).standard_normal(500) * 4).astype(dtype)
    # NumPy's tanh and PyTorch's differ in the last bit now and then: float32's default
    # tolerance (1e-5) covers it, float64 is held to 1e-12.
    tolerance = {} if dtype == np.float32 else {"atol": 1e-12, "rtol": 1e-12}
    assert_matches_torch(
        lambda t: F.gelu(t, approximate="tanh"),
        lambda t: TF.gelu(t, approximate="tanh"),
        x,
        **tolerance,
    )
    with pytest.raises(RuntimeError):
        F.gelu(tg.ones(2), approximate="exact")


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_tril_triu_match_torch_on_batched_masks(dtype):
    x = (np.random.default_rng(4).standard_normal((2, 4, 5)) * 3).astype(dtype)
    for diagonal in (-6, -2, -1, 0, 1, 3, 7):
        for name in ("tril", "triu"):
            ours = getattr(tg, name)(tg.tensor(x), diagonal)
            theirs = getattr(torch, name)(torch.tensor(x), diagonal)
            assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
            assert (ours.numpy() == theirs.numpy()).all()
            assert (getattr(tg.tensor(x), name)(diagonal=diagonal).numpy() == ours.numpy()).all()
    causal = tg.tril(tg.ones(3, 3, dtype=tg.bool))
    assert causal.tolist() == torch.tril(torch.ones(3, 3, dtype=torch.bool)).tolist()


def test_tril_triu_gradients_match_torch():
    x = np.random.default_rng(5).standard_normal((3, 4, 4))
    assert_matches_torch(lambda t: tg.triu(t, 1), lambda t: torch.triu(t, 1), x)
    assert_matches_torch(lambda t: t.tril(-1), lambda t: t.tril(-1), x.astype(np.float32))
    with pytest.raises(RuntimeError):
        tg.tril(tg.ones(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_topk_matches_torch_without_ties(dtype):
    rng = np.random.default_rng(6)
    for _ in range(40):
        shape = tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(1, 4)))
        x = rng.permutation(int(np.prod(shape))).reshape(shape).astype(dtype)
        if rng.integers(3) == 0:
            x.flat[int(rng.integers(x.size))] = np.nan  # NaN is the largest, as in PyTorch
        dim = int(rng.integers(-len(shape), len(shape)))
        k = int(rng.integers(0, shape[dim] + 1))
        largest = bool(rng.integers(2))
        ours = tg.topk(tg.tensor(x), k, dim, largest)
        theirs = torch.topk(torch.tensor(x), k, dim, largest)
        assert np.array_equal(ours.values.numpy(), theirs.values.numpy(), equal_nan=True)
        assert np.array_equal(ours.indices.numpy(), theirs.indices.numpy())
    x = rng.standard_normal((3, 5)).astype(dtype)
    assert_matches_torch(lambda t: t.topk(2, dim=0).values, lambda t: t.topk(2, dim=0).values, x)
    assert_matches_torch(
        lambda t: tg.topk(t, 3, largest=False)[0], lambda t: torch.topk(t, 3, largest=False)[0], x
    )


def test_topk_ties_give_torch_values_and_the_lowest_indices():
    x = [[1.0, 2.0, 2.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]]
    ours, theirs = tg.topk(tg.tensor(x), 2), torch.topk(torch.tensor(x), 2)
    assert ours.values.tolist() == theirs.values.tolist()
    assert ours.indices.tolist() == [[1, 2], [0, 1]]  # PyTorch leaves this order unspecified


@pytest.mark.parametrize(
    "mistake",
    [
        lambda L: L.topk(L.ones(3), 4),
        lambda L: L.topk(L.ones(3), -1),
        lambda L: L.topk(L.ones(3), 1, dim=2),
        lambda L: L.topk(L.tensor(2.0), 2),
        lambda L: L.topk(L.tensor([True, False]), 1),
    ],
    ids=["k_too_large", "k_negative", "dim", "k_of_0d", "bool"],
)
def test_topk_errors_match_torch(mistake):
    _raises_like_torch(mistake)


def test_topk_k_zero_and_0d():
    for lib in (tg, torch):
        empty = lib.topk(lib.ones(2, 3), 0)
        assert tuple(empty.values.shape) == (2, 0) and empty.indices.dtype == lib.int64
        scalar = lib.topk(lib.tensor(2.0), 1)
        assert scalar.values.item() == 2.0 and scalar.indices.item() == 0


@pytest.mark.parametrize("padding_idx", [None, 1, -1, -4])
def test_embedding_padding_idx_matches_torch(padding_idx):
    weight = np.random.default_rng(7).standard_normal((4, 3))
    index = [[0, 2, 3], [3, 3, 1]]
    assert_matches_torch(
        lambda w: F.embedding(tg.tensor(index), w, padding_idx=padding_idx),
        lambda w: TF.embedding(torch.tensor(index), w, padding_idx=padding_idx),
        weight,
    )


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_embedding_max_norm_renormalises_the_weight_in_place_like_torch(norm_type, dtype):
    weight = (np.random.default_rng(8).standard_normal((6, 5)) * 2).astype(dtype)
    index = np.array([[0, 2, 2], [5, 1, 0]])
    ours = tg.tensor(weight.copy(), requires_grad=True)
    theirs = torch.tensor(weight.copy(), requires_grad=True)
    out_ours = F.embedding(tg.tensor(index), ours, max_norm=1.5, norm_type=norm_type)
    out_theirs = TF.embedding(torch.tensor(index), theirs, max_norm=1.5, norm_type=norm_type)
    tolerance = {"rtol": 1e-6, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12}
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tolerance)
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(), **tolerance)
    assert (ours.detach().numpy()[[3, 4]] == weight[[3, 4]]).all()  # rows not looked up
    (out_ours * out_ours).sum().backward()
    (out_theirs * out_theirs).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tolerance)


@pytest.mark.parametrize("padding_idx", [4, -5])
def test_embedding_padding_idx_out_of_range_matches_torch(padding_idx):
    with pytest.raises(AssertionError):
        TF.embedding(torch.tensor([0]), torch.ones(4, 3), padding_idx=padding_idx)
    with pytest.raises(AssertionError):
        F.embedding(tg.tensor([0]), tg.ones(4, 3), padding_idx=padding_idx)
