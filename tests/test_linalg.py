"""``tensorgrad.linalg`` beyond the op table: decompositions' values and shapes, the top-level
and Tensor-method forms, the ``_ex`` forms' ``info``, and PyTorch's errors, each against
PyTorch. (Gradients, first and second order, are in the op table: ``tests/op_table.py``.)"""

import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.testing import assert_matches_torch

torch = pytest.importorskip("torch")
L = tg.linalg

RNG = np.random.default_rng(0)
SQUARE = RNG.standard_normal((2, 3, 3)) + 4 * np.eye(3)
TALL, WIDE = RNG.standard_normal((2, 4, 2)), RNG.standard_normal((3, 5))


def _pair(array, requires_grad=False):
    return (
        tg.tensor(array, requires_grad=requires_grad),
        torch.tensor(array, requires_grad=requires_grad),
    )


def _close(ours, theirs, atol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol)


def _same_up_to_sign(ours, theirs, axis):
    """Columns (axis=-2 summed over rows) or rows of singular/eigen vectors match up to sign."""
    ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
    signs = np.sign(np.sum(ours * theirs, axis=axis, keepdims=True))
    np.testing.assert_allclose(ours * signs, theirs, atol=1e-10)


# ----------------------------------------------------------------------------- values and shapes
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("array", [TALL, WIDE, SQUARE], ids=["tall", "wide", "square"])
def test_qr_matches_torch_in_every_mode(array, mode):
    ours, theirs = (lib.linalg.qr(t, mode=mode) for lib, t in zip((tg, torch), _pair(array)))
    assert ours.Q.shape == tuple(theirs.Q.shape) and ours.R.shape == tuple(theirs.R.shape)
    _close(ours.R, theirs.R)  # Householder's signs, LAPACK's in both
    if mode != "r":
        _close(ours.Q, theirs.Q)


@pytest.mark.parametrize("full_matrices", [True, False])
@pytest.mark.parametrize("array", [TALL, WIDE, SQUARE], ids=["tall", "wide", "square"])
def test_svd_matches_torch(array, full_matrices):
    ours, theirs = (
        lib.linalg.svd(t, full_matrices=full_matrices) for lib, t in zip((tg, torch), _pair(array))
    )
    assert [tuple(x.shape) for x in ours] == [tuple(x.shape) for x in theirs]
    _close(ours.S, theirs.S)
    size = ours.S.shape[-1]
    _same_up_to_sign(ours.U[..., :size], theirs.U[..., :size], axis=-2)
    _same_up_to_sign(ours.Vh[..., :size, :], theirs.Vh[..., :size, :], axis=-1)
    _close(L.svdvals(tg.tensor(array)), torch.linalg.svdvals(torch.tensor(array)))


def test_eigh_matches_torch_and_reads_one_triangle():
    array = RNG.standard_normal((2, 4, 4))  # not symmetric: each UPLO reads its own triangle
    for uplo in ("L", "U"):
        ours, theirs = (lib.linalg.eigh(t, UPLO=uplo) for lib, t in zip((tg, torch), _pair(array)))
        _close(ours.eigenvalues, theirs.eigenvalues)
        _same_up_to_sign(ours.eigenvectors, theirs.eigenvectors, axis=-2)
        _close(L.eigvalsh(tg.tensor(array), UPLO=uplo), theirs.eigenvalues)


def test_cholesky_upper_and_lower_match_torch():
    spd = SQUARE @ SQUARE.swapaxes(-1, -2)
    for upper in (False, True):
        ours, theirs = (
            lib.linalg.cholesky(t, upper=upper) for lib, t in zip((tg, torch), _pair(spd))
        )
        _close(ours, theirs)


@pytest.mark.parametrize(
    ("a_shape", "b_shape", "left"),
    [
        ((3, 3), (3,), True),
        ((2, 3, 3), (3,), True),
        ((2, 3, 3), (2, 3), True),  # a batch of vectors: B is A's shape without the last dim
        ((3, 3), (4, 3, 2), True),  # B's batch broadcasts over A
        ((2, 1, 3, 3), (5, 3, 1), True),
        ((2, 3, 3), (4, 3), False),
        ((3, 3), (2, 1, 3), False),
    ],
)
def test_solve_shapes_match_torch(a_shape, b_shape, left):
    a = RNG.standard_normal(a_shape) + 4 * np.eye(a_shape[-1])
    b = RNG.standard_normal(b_shape)
    assert_matches_torch(
        lambda x, y: L.solve(x, y, left=left),
        lambda x, y: torch.linalg.solve(x, y, left=left),
        a,
        b,
    )


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf])
def test_matrix_norms_match_torch(ord):
    assert_matches_torch(
        lambda x: L.matrix_norm(x, ord, dim=(0, 2), keepdim=True),
        lambda x: torch.linalg.matrix_norm(x, ord, dim=(0, 2), keepdim=True),
        TALL,
    )
    assert_matches_torch(lambda x: L.norm(x, ord), lambda x: torch.linalg.norm(x, ord), WIDE)


def test_float32_stays_float32_and_close_to_torch():
    array = SQUARE.astype(np.float32)
    for name in ("inv", "det", "slogdet", "eigvalsh", "svdvals", "qr"):
        assert_matches_torch(getattr(L, name), getattr(torch.linalg, name), array)


def test_empty_matrices_match_torch():
    empty = np.ones((2, 0, 0))
    assert_matches_torch(L.det, torch.linalg.det, empty, gradients=False)
    assert_matches_torch(L.slogdet, torch.linalg.slogdet, empty, gradients=False)
    assert_matches_torch(L.inv, torch.linalg.inv, empty, gradients=False)


def test_results_are_named_tuples_with_pytorchs_fields():
    a = tg.tensor(SQUARE[0])
    assert L.slogdet(a)._fields == ("sign", "logabsdet")
    assert L.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert L.svd(a)._fields == ("U", "S", "Vh")
    assert L.qr(a)._fields == ("Q", "R")
    assert L.inv_ex(a)._fields == ("inverse", "info")
    assert L.cholesky_ex(a @ a.mT)._fields == ("L", "info")
    assert L.solve_ex(a, a)._fields == ("result", "info")
    assert tg.svd(a)._fields == ("U", "S", "V")
    assert tg.slogdet(a)._fields == ("sign", "logabsdet")


# ----------------------------------------------------------------------------- older names, methods
def test_top_level_names_and_tensor_methods_match_torch():
    assert_matches_torch(lambda x: x.inverse(), lambda x: x.inverse(), SQUARE)
    assert_matches_torch(lambda x: x.det(), lambda x: x.det(), SQUARE)
    assert_matches_torch(lambda x: x.logdet(), lambda x: x.logdet(), SQUARE)
    assert_matches_torch(lambda x: x.slogdet(), lambda x: x.slogdet(), SQUARE)
    assert_matches_torch(tg.det, torch.det, SQUARE)
    assert_matches_torch(tg.logdet, torch.logdet, SQUARE)
    ours, theirs = tg.svd(tg.tensor(TALL)), torch.svd(torch.tensor(TALL))
    _close(ours.S, theirs.S)
    _same_up_to_sign(ours.V, theirs.V, axis=-2)  # V, not Vh
    assert [x.shape for x in tg.svd(tg.tensor(TALL), some=False)] == [(2, 4, 4), (2, 2), (2, 2, 2)]
    ours = tg.svd(tg.tensor(TALL), compute_uv=False)
    assert float(ours.U.abs().sum()) == 0 and ours.U.shape == (2, 4, 4)
    _close(ours.S, theirs.S)


def test_deprecated_cholesky_and_qr_warn_and_match_torch():
    spd = SQUARE @ SQUARE.swapaxes(-1, -2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.cholesky(torch.tensor(spd), upper=True)
        expected_q, expected_r = torch.qr(torch.tensor(TALL), some=False)
    with pytest.warns(UserWarning, match="deprecated"):
        _close(tg.tensor(spd).cholesky(upper=True), expected)
    with pytest.warns(UserWarning, match="deprecated"):
        q, r = tg.qr(tg.tensor(TALL), some=False)
    _close(q, expected_q)
    _close(r, expected_r)


# ----------------------------------------------------------------------------- failures
SINGULAR = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]])
NOT_DEFINITE = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])


def test_linalg_error_is_a_runtime_error_like_torchs():
    assert issubclass(L.LinAlgError, RuntimeError)
    assert issubclass(torch.linalg.LinAlgError, RuntimeError)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, a: lib.linalg.inv(a),
        lambda lib, a: lib.inverse(a),
        lambda lib, a: lib.linalg.inv_ex(a, check_errors=True),
        lambda lib, a: lib.linalg.solve(a, a[..., 0]),
        lambda lib, a: lib.linalg.solve_ex(a, a, check_errors=True),
    ],
)
def test_singular_matrices_raise_linalg_error_naming_the_batch_element(call):
    with pytest.raises(torch.linalg.LinAlgError):
        call(torch, torch.tensor(SINGULAR))
    with pytest.raises(L.LinAlgError, match=r"\(Batch element 0\).*singular"):
        call(tg, tg.tensor(SINGULAR))


def test_inverse_error_names_the_zero_pivot_as_torch_does():
    with pytest.raises(L.LinAlgError, match="diagonal element 2 is zero"):
        L.inv(tg.tensor(SINGULAR[0]))


def test_not_positive_definite_raises_naming_the_minor():
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.cholesky(torch.tensor(NOT_DEFINITE))
    with pytest.raises(L.LinAlgError, match=r"\(Batch element 1\).*minor of order 2"):
        L.cholesky(tg.tensor(NOT_DEFINITE))


def test_ex_forms_report_info_like_torch():
    singular, definite = tg.tensor(SINGULAR), tg.tensor(NOT_DEFINITE)
    inverse, info = L.inv_ex(singular)
    assert info.dtype == tg.int32
    assert info.tolist() == torch.linalg.inv_ex(torch.tensor(SINGULAR)).info.tolist()  # [2, 0, 1]
    assert np.isnan(inverse.numpy()[0]).all() and np.allclose(inverse.numpy()[1], np.eye(2))
    info = L.cholesky_ex(definite).info
    assert info.tolist() == torch.linalg.cholesky_ex(torch.tensor(NOT_DEFINITE)).info.tolist()
    info = L.solve_ex(singular, singular[..., 0]).info
    expected = torch.linalg.solve_ex(torch.tensor(SINGULAR), torch.tensor(SINGULAR)[..., 0])
    assert info.tolist() == expected.info.tolist()


def test_nan_matrices_match_torch():
    nan = np.array([[np.nan, 1.0], [1.0, 1.0]])
    assert_matches_torch(L.det, torch.linalg.det, nan, gradients=False)  # NumPy says 0
    assert_matches_torch(L.inv, torch.linalg.inv, nan, gradients=False)  # NumPy raises
    assert_matches_torch(L.slogdet, torch.linalg.slogdet, nan, gradients=False)
    with pytest.raises(L.LinAlgError, match="minor of order 1"):  # NumPy returns NaN
        L.cholesky(tg.tensor(nan))
    with pytest.raises(L.LinAlgError, match="converge"):
        L.svd(tg.tensor(nan))


def _raises_like_torch(call, *arrays):
    with pytest.raises(Exception) as expected:
        call(torch, *(torch.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays))
    with pytest.raises(expected.type):
        call(tg, *(tg.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays))


ONES = np.ones((2, 3))
INTS, HALF = np.eye(2, dtype=np.int64), np.eye(2, dtype=np.float16)
EYE = np.eye(2)


@pytest.mark.parametrize(
    "name",
    ["inv", "inv_ex", "det", "slogdet", "cholesky", "cholesky_ex", "eigh", "eigvalsh"],
)
@pytest.mark.parametrize("array", [ONES, np.ones(3), INTS, HALF], ids=["2x3", "1-D", "int", "half"])
def test_bad_inputs_raise_torchs_exception_types(name, array):
    _raises_like_torch(lambda lib, a: getattr(lib.linalg, name)(a), array)


@pytest.mark.parametrize("name", ["qr", "svd", "svdvals"])
@pytest.mark.parametrize("array", [np.ones(3), INTS, HALF], ids=["1-D", "int", "half"])
def test_bad_inputs_of_decompositions_raise_torchs_exception_types(name, array):
    _raises_like_torch(lambda lib, a: getattr(lib.linalg, name)(a), array)


@pytest.mark.parametrize("name", ["inverse", "det", "logdet", "slogdet"])
@pytest.mark.parametrize("array", [ONES, INTS, HALF], ids=["2x3", "int", "half"])
def test_bad_inputs_of_top_level_forms_raise_torchs_exception_types(name, array):
    _raises_like_torch(lambda lib, a: getattr(lib, name)(a), array)


@pytest.mark.parametrize(
    ("call", "arrays"),
    [
        (lambda lib, a, b: lib.linalg.solve(a, b), (EYE, np.ones(3))),
        (lambda lib, a, b: lib.linalg.solve(a, b), (EYE, np.ones((4, 2)))),
        (lambda lib, a, b: lib.linalg.solve(a, b), (EYE, np.array(1.0))),
        (lambda lib, a, b: lib.linalg.solve(a, b), (EYE, np.ones(2, dtype=np.float32))),
        (lambda lib, a, b: lib.linalg.solve(a, b), (np.ones(2), np.ones(2))),
        (lambda lib, a, b: lib.linalg.solve(a, b), (np.stack([EYE] * 2), np.ones((3, 2, 1)))),
        (lambda lib, a, b: lib.linalg.solve(a, b, left=False), (EYE, np.ones(2))),
        (lambda lib, a, b: lib.linalg.solve(a, b, left=False), (np.eye(1), np.ones(1))),
        (lambda lib, a: lib.linalg.qr(a, mode="full"), (EYE,)),
        (lambda lib, a: lib.linalg.eigh(a, UPLO="X"), (EYE,)),
        (lambda lib, a: lib.linalg.svd(a, driver="gesvd"), (EYE,)),
        (lambda lib, a: lib.linalg.matrix_norm(a, 3), (EYE,)),
        (lambda lib, a: lib.cholesky(a), (INTS,)),
    ],
)
def test_bad_arguments_raise_torchs_exception_types(call, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises_like_torch(call, *arrays)


@pytest.mark.parametrize(
    "loss",
    [
        lambda lib, a: lib.linalg.qr(a, mode="r")[1].sum(),
        lambda lib, a: lib.linalg.qr(a, mode="complete")[0].sum(),  # tall: not differentiable
    ],
)
def test_qr_backward_refuses_what_torch_refuses(loss):
    ours, theirs = _pair(TALL, requires_grad=True)
    with pytest.raises(RuntimeError):
        loss(torch, theirs).backward()
    with pytest.raises(RuntimeError, match="linalg.qr"):
        loss(tg, ours).backward()


# ----------------------------------------------------------------------------- special points
def test_values_alone_have_gradients_at_repeated_eigen_and_singular_values():
    eye = np.eye(3)
    assert_matches_torch(L.eigvalsh, torch.linalg.eigvalsh, eye)
    assert_matches_torch(L.svdvals, torch.linalg.svdvals, eye)
    assert_matches_torch(lambda x: L.eigh(x)[0], lambda x: torch.linalg.eigh(x)[0], eye)


def test_det_gradient_at_a_singular_matrix_is_the_adjugate():
    """Deliberate: the true derivative (PyTorch gives it only under create_graph=True; its
    ordinary backward returns zeros here)."""
    singular = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    ours, theirs = _pair(singular, requires_grad=True)
    (expected,) = torch.autograd.grad(torch.linalg.det(theirs), theirs, create_graph=True)
    (gradient,) = tg.autograd.grad(L.det(ours), ours)
    adjugate_t = np.array([[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]])
    np.testing.assert_allclose(gradient.numpy(), adjugate_t, atol=1e-9)
    np.testing.assert_allclose(gradient.numpy(), expected.detach().numpy(), atol=1e-9)


def test_slogdet_sign_carries_no_gradient():
    """As in PyTorch: the sign's backward gives no gradient at all (None with allow_unused)."""
    ours, theirs = _pair(-SQUARE, requires_grad=True)
    for lib, a in ((tg, ours), (torch, theirs)):
        sign = lib.linalg.slogdet(a).sign
        assert sign.requires_grad
        with pytest.raises(RuntimeError):
            lib.autograd.grad(sign.sum(), a, retain_graph=True)
        assert lib.autograd.grad(sign.sum(), a, allow_unused=True) == (None,)
