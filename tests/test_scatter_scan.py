"""Scans, scatters/gathers and structural ops beyond the op table: the edges (zeros in cumprod,
-inf in logcumsumexp, zero distances in cdist, ties in scatter_reduce), the in-place forms,
the diagonal view, and the indexing that used to give silently wrong answers."""

import math

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.testing import (
    assert_gradients_close,
    assert_matches_torch,
    assert_second_gradients_close,
)

torch = pytest.importorskip("torch")


def _both(array, dtype="float64"):
    """The same leaf in tensorgrad and in PyTorch."""
    data = np.asarray(array, dtype=dtype)
    return tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)


# ----------------------------------------------------------------------------- wrong answers
def test_gather_with_a_negative_index_raises_instead_of_reading_the_last_element():
    x = tg.arange(6.0, requires_grad=True).reshape(2, 3)
    with pytest.raises(RuntimeError, match="index -1 is out of bounds for dimension 1"):
        x.gather(1, tg.tensor([[-1], [0]]))


@pytest.mark.parametrize(
    ("shape", "dim", "error"), [((3,), 0, IndexError), ((2, 3), 1, RuntimeError)]
)
def test_index_select_with_a_negative_index_raises_like_pytorch(shape, dim, error):
    with pytest.raises(error, match="index -1"):
        tg.ones(shape).index_select(dim, tg.tensor([-1]))
    with pytest.raises(error):
        torch.ones(shape).index_select(dim, torch.tensor([-1]))


def test_gather_and_index_select_treat_a_0d_tensor_as_1d_like_pytorch():
    assert tg.tensor(2.0).gather(0, tg.tensor(0)).shape == ()
    assert tg.tensor(2.0).gather(0, tg.tensor([0, 0])).tolist() == [2.0, 2.0]
    assert tg.tensor([1.0, 2.0]).gather(0, tg.tensor(1)).item() == 2.0
    assert tg.tensor(2.0).index_select(0, tg.tensor([0])).shape == ()
    with pytest.raises(RuntimeError, match="chunk"):
        tg.tensor(1.0).chunk(2)


def test_take_along_dim_counts_negative_indices_from_the_end_and_refuses_others():
    x = tg.arange(6.0).reshape(2, 3)
    assert x.take_along_dim(tg.tensor([[-1], [0]]), 1).tolist() == [[2.0], [3.0]]
    with pytest.raises(RuntimeError, match="index 3"):  # PyTorch wraps it to 0 silently
        x.take_along_dim(tg.tensor([[3]]), 1)


# ----------------------------------------------------------------------------- scans
def test_cumprod_gradients_at_zeros_match_pytorch_to_second_order():
    ours, theirs = _both([2.0, 0.0, 3.0, 0.0, 5.0])
    upstream = [1.0, 2.0, 3.0, 4.0, 5.0]
    (first,) = tg.autograd.grad(tg.cumprod(ours, 0), ours, tg.tensor(upstream), create_graph=True)
    (expected,) = torch.autograd.grad(
        torch.cumprod(theirs, 0), theirs, torch.tensor(upstream, dtype=torch.float64), True, True
    )
    assert first.tolist() == expected.tolist() == [1.0, 22.0, 0.0, 0.0, 0.0]
    (second,) = tg.autograd.grad(first.sum(), ours)
    (expected_second,) = torch.autograd.grad(expected.sum(), theirs)
    assert second.tolist() == expected_second.tolist()


@pytest.mark.parametrize("values", [[[0.0, 2.0, 0.0], [1.5, 0.0, -2.0]], [[0.0, 0.0, 0.0]]])
def test_cumprod_second_derivatives_at_several_zeros(values):
    x = tg.tensor(values, dtype=tg.float64, requires_grad=True)
    assert_second_gradients_close(lambda t: tg.cumprod(t, -1), x)


def test_logcumsumexp_keeps_small_terms_next_to_large_ones():
    x = tg.tensor([-1000.0, 0.0, 1000.0, -math.inf])
    assert tg.logcumsumexp(x, 0).tolist() == [-1000.0, 0.0, 1000.0, 1000.0]
    rng = np.random.default_rng(3)
    data = (rng.standard_normal((3, 6)) * 300).astype(np.float32)
    assert_matches_torch(lambda t: t.logcumsumexp(1), lambda t: t.logcumsumexp(1), data)


def test_logcumsumexp_gradient_is_zero_at_minus_infinity():
    x = tg.tensor([-math.inf, 0.0, 1.0], dtype=tg.float64, requires_grad=True)
    tg.logcumsumexp(x, 0).sum().backward()
    assert x.grad[0].item() == 0.0  # PyTorch gives NaN here
    torch_x = torch.tensor([-math.inf, 0.0, 1.0], dtype=torch.float64, requires_grad=True)
    torch.logcumsumexp(torch_x, 0).sum().backward()
    assert np.allclose(x.grad.numpy()[1:], torch_x.grad.numpy()[1:])


def test_cummax_and_cummin_pick_the_latest_tie_and_propagate_nan():
    x = tg.tensor([1.0, 3.0, 3.0, 2.0, math.nan, 5.0])
    values, indices = tg.cummax(x, 0)
    assert indices.tolist() == [0, 1, 2, 2, 4, 4]
    assert np.isnan(values.numpy()[4:]).all()
    assert tg.cummin(tg.tensor([2.0, 1.0, 1.0]), 0).indices.tolist() == [0, 1, 2]


def test_cummax_gradient_goes_to_the_selected_positions_as_in_pytorch():
    ours, theirs = _both([1.0, 3.0, 3.0, 2.0])
    upstream = [1.0, 10.0, 100.0, 1000.0]
    tg.cummax(ours, 0).values.backward(tg.tensor(upstream, dtype=tg.float64))
    torch.cummax(theirs, 0).values.backward(torch.tensor(upstream, dtype=torch.float64))
    assert ours.grad.tolist() == theirs.grad.tolist() == [1.0, 10.0, 1100.0, 0.0]


def test_in_place_scans():
    x = tg.tensor([1.0, 2.0, 3.0])
    assert x.cumprod_(0) is x and x.tolist() == [1.0, 2.0, 6.0]
    assert x.cumsum_(0).tolist() == [1.0, 3.0, 9.0]


# ----------------------------------------------------------------------------- scatters
def test_scatter_with_a_src_larger_than_the_index():
    """PyTorch's backward fails on this case ("invalid gradient"); ours pads with zeros."""
    index = tg.tensor([[1, 0], [0, 1]])
    x = tg.zeros(2, 3, dtype=tg.float64, requires_grad=True)
    src = tg.arange(12.0, dtype=tg.float64).reshape(3, 4).requires_grad_()
    expected = torch.zeros(2, 3).scatter(
        0, torch.tensor([[1, 0], [0, 1]]), torch.arange(12.0).reshape(3, 4)
    )
    assert tg.scatter(x, 0, index, src).tolist() == expected.tolist()
    assert_gradients_close(lambda a, b: tg.scatter(a, 0, index, b), x, src)
    assert_gradients_close(lambda a, b: tg.scatter_reduce(a, 0, index, b, "prod"), x, src)


def test_scatter_reduce_amax_splits_ties_like_pytorch_with_include_self():
    index = [0, 0, 1]
    ours_x, theirs_x = _both([3.0, 1.0])
    ours_src, theirs_src = _both([3.0, 3.0, 0.0])
    tg.scatter_reduce(ours_x, 0, tg.tensor(index), ours_src, "amax").sum().backward()
    torch.scatter_reduce(theirs_x, 0, torch.tensor(index), theirs_src, "amax").sum().backward()
    assert np.allclose(ours_x.grad.numpy(), theirs_x.grad.numpy())  # 1/3 each among the ties
    assert np.allclose(ours_src.grad.numpy(), theirs_src.grad.numpy())


def test_scatter_reduce_amax_without_include_self_counts_only_the_sent_values():
    x = tg.tensor([3.0, 1.0], requires_grad=True)
    src = tg.tensor([3.0, 3.0, 0.0], requires_grad=True)
    tg.scatter_reduce(x, 0, tg.tensor([0, 0, 1]), src, "amax", include_self=False).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    assert src.grad.tolist() == [0.5, 0.5, 1.0]  # PyTorch: 1/3, 1/3 (it counts the input too)


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_gradient_with_zeros_matches_pytorch(include_self):
    index = [0, 0, 1, 1, 1]
    values = [0.0, 3.0, 0.0, 4.0, 2.0]

    def call(lib, x, src):
        index_tensor = lib.tensor(index)
        return lib.scatter_reduce(x, 0, index_tensor, src, "prod", include_self=include_self)

    x = np.array([0.0, 2.0])
    assert_matches_torch(
        lambda a, b: call(tg, a, b), lambda a, b: call(torch, a, b), x, np.array(values)
    )


def test_scatter_reduce_prod_second_derivatives_at_repeated_zeros():
    x = tg.tensor([1.5, 2.0], dtype=tg.float64, requires_grad=True)
    src = tg.tensor([0.0, 0.0, 3.0, 0.0], dtype=tg.float64, requires_grad=True)
    index = tg.tensor([0, 0, 0, 1])
    assert_second_gradients_close(lambda a, b: tg.scatter_reduce(a, 0, index, b, "prod"), x, src)


def test_scatter_reduce_integer_mean_rounds_down():
    out = tg.scatter_reduce(
        tg.tensor([-1, 2, 3]),
        0,
        tg.tensor([0, 0, 1]),
        tg.tensor([-2, -3, 4]),
        "mean",
        include_self=False,
    )
    assert out.tolist() == [-3, 4, 3] and out.dtype == tg.int64


def test_scatter_legacy_reduce_argument():
    index = tg.tensor([[0, 1, 0]])
    out = tg.scatter(tg.ones(2, 3), 0, index, 3.0, reduce="add")
    assert out.tolist() == [[4.0, 1.0, 4.0], [1.0, 4.0, 1.0]]
    with pytest.warns(UserWarning, match="deprecated"):
        out = tg.ones(2, 3).scatter(0, index, tg.full((2, 3), 2.0), reduce="multiply")
    assert out.tolist() == [[2.0, 1.0, 2.0], [1.0, 2.0, 1.0]]


def test_index_fill_counts_a_repeated_index_once_in_the_value_gradient():
    value = tg.tensor(2.0, requires_grad=True)
    tg.index_fill(tg.zeros(3, 2), 0, tg.tensor([1, 1]), value).sum().backward()
    assert value.grad.item() == 2.0  # PyTorch's: one row of 2 elements


def test_index_fill_with_a_tensor_value_and_negative_indices():
    """PyTorch's backward for the value fails on negative indices; ours counts them from the end."""
    x = tg.zeros(2, 3, dtype=tg.float64, requires_grad=True)
    value = tg.tensor(1.5, dtype=tg.float64, requires_grad=True)
    index = tg.tensor([-1, 0])
    out = tg.index_fill(x, 1, index, value)
    assert out.tolist() == [[1.5, 0.0, 1.5], [1.5, 0.0, 1.5]]
    assert_gradients_close(lambda a, v: tg.index_fill(a, 1, index, v), x, value)


IN_PLACE = [
    ("scatter_", lambda L, t: t.scatter_(1, L.tensor([[2], [0]]), L.ones(2, 1) * 5)),
    ("scatter_value", lambda L, t: t.scatter_(1, L.tensor([[2], [0]]), 4.0)),
    ("scatter_add_", lambda L, t: t.scatter_add_(0, L.tensor([[0, 0, 1]]), L.ones(1, 3))),
    (
        "scatter_reduce_",
        lambda L, t: t.scatter_reduce_(0, L.tensor([[1, 0, 1]]), L.ones(1, 3) * 7, "amax"),
    ),
    ("index_add_", lambda L, t: t.index_add_(1, L.tensor([0, 2, 0]), L.ones(2, 3), alpha=2)),
    ("index_copy_", lambda L, t: t.index_copy_(0, L.tensor([1]), L.ones(1, 3) * 9)),
    ("index_fill_", lambda L, t: t.index_fill_(1, L.tensor([1]), -1.0)),
    (
        "masked_scatter_",
        lambda L, t: t.masked_scatter_(L.tensor([True, False, True]), L.arange(6.0) * 10),
    ),
]


@pytest.mark.parametrize("update", [u for _, u in IN_PLACE], ids=[name for name, _ in IN_PLACE])
def test_in_place_forms_match_pytorch_outside_and_inside_the_graph(update):
    base = np.arange(6.0, dtype=np.float32).reshape(2, 3)  # the sources' default dtype
    for library in (tg, torch):  # outside the graph: the same tensor, updated, new version
        t = library.tensor(base)
        assert update(library, t) is t
    ours, theirs = tg.tensor(base), torch.tensor(base)
    update(tg, ours), update(torch, theirs)
    assert ours.tolist() == theirs.tolist()
    assert ours._version == 1

    def recorded(library, leaf):
        t = leaf * 1
        update(library, t)
        return t * leaf

    assert_matches_torch(lambda x: recorded(tg, x), lambda x: recorded(torch, x), base)


def test_an_in_place_scatter_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="leaf"):
        tg.zeros(3, requires_grad=True).scatter_(0, tg.tensor([0]), 1.0)


# ----------------------------------------------------------------------------- structure
def test_diagonal_is_a_writable_view():
    x = tg.zeros(3, 4)
    x.diagonal(1).fill_(7.0)
    expected = torch.zeros(3, 4)
    expected.diagonal(1).fill_(7.0)
    assert x.tolist() == expected.tolist()
    y = tg.zeros(2, 3, 3)
    y.diagonal(0, 1, 2).add_(tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert y[1].tolist() == [[4.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 6.0]]


def test_diag_of_a_matrix_is_a_copy():
    x = tg.eye(3)
    d = tg.diag(x)
    d.zero_()
    assert x.tolist() == np.eye(3).tolist()


def test_cross_without_dim_warns_and_takes_the_first_dim_of_size_3():
    a, b = tg.tensor([[1.0, 0.0, 0.0]]), tg.tensor([[0.0, 1.0, 0.0]])
    with pytest.warns(UserWarning, match="dim"):
        assert tg.cross(a, b).tolist() == [[0.0, 0.0, 1.0]]
    assert tg.linalg.cross(a, b).tolist() == [[0.0, 0.0, 1.0]]


@pytest.mark.parametrize("mode", ["use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"])
@pytest.mark.parametrize("p", [2.0, 1.0, 1.5, 0.5, 3.0, 0.0])
def test_cdist_gradient_at_zero_distance_is_zero_as_in_pytorch(p, mode):
    x1 = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 5.0]])
    x2 = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 7.0]])  # a shared point, a shared coordinate
    assert_matches_torch(
        lambda a, b: tg.cdist(a, b, p, mode), lambda a, b: torch.cdist(a, b, p, mode), x1, x2
    )


def test_cdist_uses_the_matrix_product_for_many_rows_as_pytorch_does():
    rng = np.random.default_rng(0)
    points = rng.standard_normal((30, 3))
    assert_matches_torch(lambda a: tg.cdist(a, a), lambda a: torch.cdist(a, a), points, atol=1e-6)
    x = tg.tensor(points, requires_grad=True)
    (grad,) = tg.autograd.grad(tg.cdist(x, x).sum(), x)
    assert np.isfinite(grad.numpy()).all()


def test_cdist_infinity_norm_matches_pytorch_without_ties():
    x1, x2 = np.array([[0.0, 0.25], [1.0, 3.0]]), np.array([[0.5, 2.0], [3.0, 0.75]])
    assert_matches_torch(
        lambda a, b: tg.cdist(a, b, math.inf), lambda a, b: torch.cdist(a, b, math.inf), x1, x2
    )


def test_float32_structure_ops_keep_their_dtype():
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal((4, 3)).astype(np.float32) for _ in range(2))
    assert_matches_torch(lambda x, y: tg.cdist(x, y), lambda x, y: torch.cdist(x, y), a, b)
    assert_matches_torch(lambda x, y: tg.kron(x, y), lambda x, y: torch.kron(x, y), a, b)
    assert_matches_torch(
        lambda x, y: tg.tensordot(x, y, ([1], [1])),
        lambda x, y: torch.tensordot(x, y, ([1], [1])),
        a,
        b,
    )
    assert_matches_torch(lambda x: tg.cumprod(x, 0), lambda x: torch.cumprod(x, 0), a)
    assert_matches_torch(
        lambda x: x.diag_embed(-1).T.trace(), lambda x: x.diag_embed(-1).T.trace(), a[0]
    )
    assert_matches_torch(lambda x: x.diag(1).roll(2), lambda x: x.diag(1).roll(2), a[0])
