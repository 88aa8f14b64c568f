"""Pooling layers against PyTorch: values, indices, gradients, repr and errors (the op table
checks the functions' first and second derivatives against finite differences)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

LAYERS = [
    ("MaxPool1d", (2,), {}, (2, 3, 9)),
    (
        "MaxPool2d",
        (3,),
        {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
        (2, 3, 9, 8),
    ),
    ("MaxPool2d", ((2, 3),), {"stride": 1, "padding": 1, "return_indices": True}, (3, 7, 8)),
    ("MaxPool3d", (2,), {"ceil_mode": True}, (1, 2, 5, 6, 5)),
    ("AvgPool1d", (3, 2), {"padding": 1, "count_include_pad": False}, (2, 3, 10)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 9, 8)),
    ("AvgPool2d", (2,), {"divisor_override": 3}, (2, 3, 6, 6)),
    ("AvgPool3d", (2,), {"padding": 1, "count_include_pad": False}, (1, 2, 5, 4, 5)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d", ((None, 3),), {}, (2, 3, 7, 5)),
    ("AdaptiveAvgPool3d", ((2, 3, 1),), {}, (1, 2, 5, 6, 7)),
    ("AdaptiveMaxPool1d", (3,), {"return_indices": True}, (2, 3, 10)),
    ("AdaptiveMaxPool2d", ((3, 2),), {}, (2, 3, 7, 5)),
]


@pytest.mark.parametrize("name, args, options, shape", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_layer_matches_torch(name, args, options, shape):
    ours, theirs = getattr(tg.nn, name)(*args, **options), getattr(torch.nn, name)(*args, **options)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    x_ours, x_theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
    if isinstance(y_theirs, tuple):
        np.testing.assert_array_equal(y_ours[1].numpy(), y_theirs[1].numpy())
        assert y_ours[1].dtype == tg.int64
        y_ours, y_theirs = y_ours[0], y_theirs[0]
    np.testing.assert_allclose(y_ours.numpy(force=True), y_theirs.detach().numpy(), atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(tuple(y_theirs.shape))
    (y_ours * tg.tensor(weights)).sum().backward()
    (y_theirs * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x_ours.grad.numpy(), x_theirs.grad.numpy(), atol=1e-12)


def test_max_pool_sends_the_gradient_of_a_tie_to_one_element_like_torch():
    x = np.zeros((1, 1, 2, 2))
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tg.nn.functional.max_pool2d(ours, 2).sum().backward()
    torch.nn.functional.max_pool2d(theirs, 2).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 1, 9, 9), 3, padding=2),
        lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 1, 1, 1), 2),
        lambda lib: lib.nn.functional.max_pool2d(lib.ones(9, 9), 2),
        lambda lib: lib.nn.functional.avg_pool2d(lib.ones(1, 1, 9, 9), 3, padding=2),
        lambda lib: lib.nn.functional.avg_pool1d(lib.ones(1, 1, 1), 2),
    ],
)
def test_bad_arguments_raise_pytorchs_exception_type(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)):
        call(tg)


@pytest.mark.parametrize("output_size", [None, (7, 7)])
def test_max_unpool_puts_values_back_where_max_pool_found_them(output_size):
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 6))
    values, indices = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    ours_values, ours_indices = tg.nn.functional.max_pool2d(tg.tensor(x), 2, return_indices=True)
    theirs = torch.nn.MaxUnpool2d(2)(values, indices, output_size=output_size)
    ours = tg.nn.MaxUnpool2d(2)(ours_values, ours_indices, output_size=output_size)
    assert repr(tg.nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("options", [{}, {"stride": 1, "padding": 1}])
def test_max_pool_ties_and_nan_pick_what_torch_picks(options):
    """The first maximum of a window wins a tie; the last NaN wins over everything."""
    x = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.0, 2.0, np.nan], [3.0, 3.0, np.nan, 5.0]]]])
    ours, our_indices = tg.nn.functional.max_pool2d(tg.tensor(x), 2, return_indices=True, **options)
    theirs, their_indices = torch.nn.functional.max_pool2d(
        torch.tensor(x), 2, return_indices=True, **options
    )
    np.testing.assert_array_equal(our_indices.numpy(), their_indices.numpy())
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    "values, dtype",
    [([-np.inf, -np.inf, 5.0, 7.0, -np.inf], "float64"), ([-(2**63), 3, 9, 1, 2], "int64")],
)
def test_max_pool_padding_never_wins_a_tie_with_a_real_element(values, dtype):
    """A real element equal to the padding's fill (-inf, the smallest int) is still chosen."""
    x = np.array([[values]], dtype=dtype)
    for kernel, stride in ((3, 2), (2, 2), (3, 1)):
        ours = tg.nn.functional.max_pool1d(
            tg.tensor(x), kernel, stride, padding=1, return_indices=True
        )
        theirs = torch.nn.functional.max_pool1d(
            torch.tensor(x), kernel, stride, padding=1, return_indices=True
        )
        for mine, reference in zip(ours, theirs):
            np.testing.assert_array_equal(mine.numpy(), reference.numpy())
