"""Things PyTorch scripts do that an independent review found broken, each pinned down here
(values checked against PyTorch where it is installed)."""

import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn

torch = pytest.importorskip("torch")


def close(a, b, **kwargs):
    b = b.detach().numpy() if hasattr(b, "detach") else b
    return np.allclose(a.detach().numpy(), b, **kwargs)


# ---------------------------------------------------------------- gradients and the engine
@pytest.mark.filterwarnings("ignore:Using backward.. with create_graph=True:UserWarning")
def test_create_graph_gradients_do_not_alias_each_other():
    x, w = tg.ones(2, requires_grad=True), tg.ones(2, requires_grad=True)
    (x + w).sum().backward(create_graph=True)
    assert x.grad is not w.grad
    with tg.no_grad():
        x.grad.mul_(10)
    assert w.grad.tolist() == [1.0, 1.0]
    x.sum().backward()  # adding into a gradient that has a graph: out of place, no error
    assert x.grad.tolist() == [11.0, 11.0]


def test_backward_inputs_fills_a_non_leaf_grad():
    x = tg.ones(2, requires_grad=True)
    h = x * 2
    (h * h).sum().backward(inputs=[h])
    assert h.grad.tolist() == [4.0, 4.0] and x.grad is None


def test_in_place_on_a_recorded_view_is_refused_not_silently_wrong():
    base, w = tg.zeros(2, 2), tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="base"):
        base[0].copy_(w)
    base[0] = w  # the supported spelling
    (base * tg.ones(2, 2)).sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


def test_changing_an_index_tensor_after_the_forward_does_not_change_the_gradient():
    x, index = tg.tensor([1.0, 2.0, 3.0], requires_grad=True), tg.tensor([0, 0])
    y = x[index]
    index.add_(2)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 0.0]


def test_pow_and_std_gradients_at_zero_match_pytorch():
    a, b = tg.tensor([0.0], requires_grad=True), tg.tensor([0.0], requires_grad=True)
    (a**b).sum().backward()
    assert a.grad.tolist() == [0.0] and b.grad.tolist() == [0.0]
    constant = tg.tensor([1.0, 1.0], dtype=tg.float64, requires_grad=True)
    constant.std().backward()
    assert constant.grad.tolist() == [0.0, 0.0]


def test_setitem_with_leading_size_one_values():
    a, values = tg.ones(2, 2, requires_grad=True), tg.ones(1, 2, requires_grad=True)
    z = a * 1
    z[0] = values
    z.sum().backward()
    assert values.grad.shape == (1, 2) and a.grad.tolist() == [[0.0, 0.0], [1.0, 1.0]]


# ---------------------------------------------------------------- dtypes and API
def test_bitwise_operators_on_integers_and_bools():
    assert (tg.tensor([6]) & tg.tensor([3])).tolist() == [2]
    assert (tg.tensor([6]) | 3).tolist() == [7]
    assert (3 ^ tg.tensor([6])).tolist() == [5]
    assert (tg.tensor([True]) & tg.tensor([False])).tolist() == [False]
    with pytest.raises(TypeError):
        tg.tensor([1.0]) & tg.tensor([1.0])


def test_legacy_var_overload_and_empty_dim_list():
    values = [1.0, 2.0, 3.0, 4.0]
    assert tg.tensor(values).var(False).item() == pytest.approx(torch.tensor(values).var(False))
    assert tg.ones(2, 3).sum(dim=[]).shape == ()


@pytest.mark.parametrize(
    "data", [np.float64(1.5), [np.float64(1.5)], np.int32(1), [1.5], 2, [[1, 2]], [True]]
)
def test_tensor_dtype_inference_matches_pytorch(data):
    assert str(tg.tensor(data).dtype).split(".")[1] == str(torch.tensor(data).dtype).split(".")[1]


def test_python_float_type_means_float64():
    assert tg.tensor([1], dtype=float).dtype == tg.float64
    assert tg.ones(1).to(float).dtype == tg.float64


def test_where_with_python_numbers_and_one_argument():
    condition = [True, False, True]
    assert tg.where(tg.tensor(condition), 1.0, 0.0).dtype == tg.float32
    assert tg.where(tg.tensor(condition), 1, 0).tolist() == [1, 0, 1]
    (indices,) = tg.where(tg.tensor(condition))
    assert indices.tolist() == [0, 2]
    matrix = [[0, 1], [2, 0]]
    assert tg.tensor(matrix).nonzero().tolist() == torch.tensor(matrix).nonzero().tolist()


def test_view_refuses_to_copy_and_a_copying_reshape_is_not_a_view():
    x = tg.ones(2, 3)
    with pytest.raises(RuntimeError, match="reshape"):
        x.t().view(-1)
    assert x.view(3, 2)._base is x and x.t().reshape(-1)._base is None


def test_softmax_keeps_full_precision_for_large_logits():
    logits = np.random.default_rng(0).standard_normal((8, 10)).astype(np.float32) * 100
    ours, theirs = tg.tensor(logits).softmax(1), torch.tensor(logits).softmax(1)
    assert close(ours, theirs, rtol=1e-6, atol=1e-30)
    assert np.allclose(ours.sum(1).numpy(), 1.0, atol=1e-6)


def test_sort_topk_and_triangles_match_pytorch():
    data = np.random.default_rng(1).standard_normal((3, 5))
    ours, theirs = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (values, indices), (expected_values, expected_indices) = (
        ours.sort(dim=1, descending=True),
        theirs.sort(dim=1, descending=True),
    )
    assert close(values, expected_values) and indices.tolist() == expected_indices.tolist()
    values[:, 0].sum().backward()
    expected_values[:, 0].sum().backward()
    assert close(ours.grad, theirs.grad)
    small, expected = ours.topk(2, dim=0, largest=False), theirs.topk(2, dim=0, largest=False)
    assert close(small.values, expected.values)
    assert small.indices.tolist() == expected.indices.tolist()
    assert close(ours.tril(1), theirs.tril(1)) and close(ours.triu(-1), theirs.triu(-1))


def test_new_tensor_helpers_type_as_and_masked_fill_():
    x = tg.zeros(2, 3, dtype=tg.float64)
    assert x.new_ones(2).dtype == tg.float64 and x.new_full((2,), 3.0).tolist() == [3.0, 3.0]
    assert x.new_tensor([1, 2]).dtype == tg.float64
    assert tg.zeros(1).type_as(x).dtype == tg.float64
    filled = tg.zeros(2, 3).masked_fill_(tg.tensor([[True, False, True]]), 5.0)
    assert filled.tolist() == [[5.0, 0.0, 5.0], [5.0, 0.0, 5.0]]


# ---------------------------------------------------------------- the boilerplate of scripts
def test_device_boilerplate_runs_on_the_cpu():
    device = tg.device("cuda" if tg.cuda.is_available() else "cpu")
    model = nn.Linear(2, 3).to(device)
    assert model(tg.randn(4, 2).to(device)).shape == (4, 3)
    assert tg.zeros(1).device == device and str(device) == "cpu"
    with pytest.raises(RuntimeError, match="not available"):
        tg.zeros(1).to("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        model.to(tg.device("cuda", 0))


def test_utils_data_is_reachable_and_accepts_worker_options():
    dataset = tg.utils.data.TensorDataset(tg.arange(10))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loader = tg.utils.data.DataLoader(dataset, batch_size=4, num_workers=2, pin_memory=True)
        assert [len(batch[0]) for batch in loader] == [4, 4, 2]
    assert any("num_workers" in str(w.message) for w in caught)
    assert any("no accelerator is found" in str(w.message) for w in caught)  # as PyTorch's


def test_load_accepts_weights_only(tmp_path):
    pytest.importorskip("safetensors")
    path = tmp_path / "weights.safetensors"
    tg.save({"w": tg.ones(2)}, path)
    assert tg.load(path, weights_only=True)["w"].tolist() == [1.0, 1.0]


def test_train_calls_each_childs_own_train():
    class FrozenNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm = nn.BatchNorm1d(2)

        def train(self, mode=True):
            super().train(mode)
            self.norm.eval()  # keep the statistics frozen
            return self

    model = nn.Sequential(FrozenNorm()).train()
    assert model.training and not model[0].norm.training


def test_cross_entropy_and_nll_with_masked_classes_are_finite():
    logits = [[0.0, -math.inf, 1.0], [2.0, 1.0, -math.inf]]
    target = [0, 1]
    ours = nn.functional.cross_entropy(tg.tensor(logits), tg.tensor(target))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor(target))
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)
    log_probs = [[-0.1, -math.inf, -2.0], [-math.inf, -0.5, -1.0]]
    ours = nn.functional.nll_loss(tg.tensor(log_probs), tg.tensor(target))
    assert ours.item() == pytest.approx(0.3)


# ---------------------------------------------------------------- second review batch
def test_bce_pushes_back_a_saturated_wrong_prediction_like_pytorch():
    values, targets = [0.0, 1.0, 0.3, 1e-30], [1.0, 0.0, 0.7, 1.0]
    ours = tg.tensor(values, dtype=tg.float64, requires_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    nn.functional.binary_cross_entropy(ours, tg.tensor(targets, dtype=tg.float64)).backward()
    torch.nn.functional.binary_cross_entropy(
        theirs, torch.tensor(targets, dtype=torch.float64)
    ).backward()
    assert close(ours.grad, theirs.grad, rtol=1e-12)
    assert ours.grad.tolist()[0] < -1e11


def test_integer_and_half_precision_edge_cases():
    big = 2**40 + 1
    quotient = tg.div(tg.tensor([big, -7, 7]), tg.tensor([1, 2, -2]), rounding_mode="trunc")
    assert quotient.tolist() == [big, -3, -3]
    assert tg.full((70000,), 1.0, dtype=tg.float16).mean().item() == 1.0
    assert (tg.tensor([1], dtype=tg.uint8) + 300).tolist() == [45]  # wraps, as in PyTorch


def test_narrow_counts_negative_starts_from_the_end_and_checks_bounds():
    assert tg.arange(5).narrow(0, -2, 2).tolist() == [3, 4]
    with pytest.raises(IndexError, match="out of range"):
        tg.arange(5).narrow(0, 3, 4)


@pytest.mark.parametrize(
    "mistake, message",
    [
        (lambda: tg.tensor([2]) ** -1, "negative integer powers"),
        (lambda: tg.cat([tg.tensor(1.0), tg.tensor(2.0)]), "zero-dimensional"),
        (lambda: tg.allclose(tg.ones(2), tg.ones(3)), r"\(2,\) and \(3,\)"),
        (lambda: tg.ones(2).repeat(-1), "non-negative"),
    ],
)
def test_mistakes_name_the_op_instead_of_a_numpy_traceback(mistake, message):
    with pytest.raises(RuntimeError, match=message):
        mistake()


def test_batchnorm_checkpoint_without_batch_counter_loads_strictly():
    model = nn.BatchNorm1d(3)
    state = {k: v for k, v in model.state_dict().items() if k != "num_batches_tracked"}
    result = model.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_save_into_a_missing_folder_names_the_path(tmp_path):
    pytest.importorskip("safetensors")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        tg.save({"w": tg.ones(1)}, tmp_path / "nowhere" / "w.safetensors")


def test_inference_mode_layout_queries_and_stacking():
    with tg.inference_mode():
        assert not (tg.ones(2, requires_grad=True) * 2).requires_grad
    assert tg.is_grad_enabled()
    x = tg.ones(2, 3)
    assert x.stride() == torch.ones(2, 3).stride() and x.t().stride() == (1, 3)
    assert x.is_contiguous() and not x.t().is_contiguous()
    assert tg.hstack([tg.ones(2), tg.zeros(3)]).tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert tg.vstack([tg.ones(2), tg.zeros(2)]).shape == (2, 2)
    assert [t.shape for t in tg.broadcast_tensors(tg.ones(3, 1), tg.ones(4))] == [(3, 4)] * 2


def test_register_hook_observes_and_replaces_gradients_like_pytorch():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        h = x * 2
        seen = []
        h.register_hook(lambda g: g * 10)
        h.retain_grad()
        handle = x.register_hook(lambda g: seen.append(g.tolist()))
        (h * 3).sum().backward()
        handle.remove()
        (x * 1).sum().backward()
        y = lib.ones(2, requires_grad=True)
        z = y * 2
        z.register_hook(lambda g: g * 10)
        captured = lib.autograd.grad((z * 3).sum(), [y, z])
        return h.grad.tolist(), x.grad.tolist(), seen, [c.tolist() for c in captured]

    assert run(tg) == run(torch) == ([30.0] * 2, [61.0] * 2, [[60.0] * 2], [[60.0] * 2, [3.0] * 2])
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.ones(2).register_hook(print)


def _hook_scenarios(lib) -> dict:
    """Every way hooks, retain_grad, backward(inputs=) and autograd.grad interact."""
    out = {}
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.tolist()) or g * 10)
    out["autograd.grad sees a leaf's hook"] = (
        lib.autograd.grad((x * x).sum(), [x])[0].tolist(),
        calls,
    )
    w = lib.tensor([1.0, 1.0], requires_grad=True)
    w.register_hook(lambda g: g.clamp(-1, 1))
    ((w * 0.8).sum() + (w * 0.8).sum()).backward()
    out["leaf hook runs once on the total"] = w.grad.tolist()
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.retain_grad()
    (y * y).sum().backward(inputs=[y])
    out["retain_grad + inputs= + hook"] = y.grad.tolist()
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward(inputs=[y])
    out["retain_grad + inputs= counts once"] = y.grad.tolist()
    unneeded = []
    x2 = lib.tensor([1.0, 2.0], requires_grad=True)
    x2.register_hook(lambda g: unneeded.append(1))
    y2 = x2 * 2
    lib.autograd.grad((y2 * y2).sum(), [y2])
    a, b = lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0, 4.0], requires_grad=True)
    b.register_hook(lambda g: unneeded.append(2))
    (a * b).sum().backward(inputs=[a])
    out["hooks outside the requested part never run"] = (unneeded, b.grad)
    return out


def test_hooks_retain_grad_and_inputs_interact_as_in_pytorch():
    assert _hook_scenarios(tg) == _hook_scenarios(torch)


def test_third_review_batch_matches_pytorch():
    nan = float("nan")
    assert math.isnan(tg.tensor([1.0, nan]).std().item())  # NaN variance stays NaN
    for data, dtype in [([0, 5, 3], "uint8"), ([-128, 0, 5], "int8"), ([1, nan, 0], "float32")]:
        ours = tg.tensor(np.array(data, dtype=dtype)).sort(descending=True)
        theirs = torch.tensor(np.array(data, dtype=dtype)).sort(descending=True)
        assert str(ours.values.tolist()) == str(theirs.values.tolist())
        assert ours.indices.tolist() == theirs.indices.tolist()
    assert tg.softmax(tg.ones(0, 3), 0).shape == (0, 3)
    assert all(math.isnan(v) for v in tg.softmax(tg.tensor([math.inf, 1.0]), 0).tolist())
    powers = (tg.tensor([2, 1, -1, -1, 0]) ** tg.tensor([-1, -3, -3, -2, 2])).tolist()
    assert powers == (torch.tensor([2, 1, -1, -1, 0]) ** torch.tensor([-1, -3, -3, -2, 2])).tolist()
    assert tg.cat([tg.tensor([]), tg.ones(2, 3)]).shape == (2, 3)
    assert tg.hstack([tg.tensor(1.0), tg.tensor(2.0)]).tolist() == [1.0, 2.0]
    for data in ([1, np.float64(2.5)], [np.float32(1), 2.5], [np.int64(1), 2.5]):
        assert tg.tensor(data).dtype.name == str(torch.tensor(data).dtype).split(".")[1]
    x = tg.ones(2, requires_grad=True)
    with tg.no_grad(), tg.inference_mode(False):
        assert (x * 2).requires_grad
    dataset = tg.utils.data.TensorDataset(tg.arange(10))
    with pytest.warns(UserWarning, match="no accelerator"):  # positional pin_memory=True
        assert (
            len(list(tg.utils.data.DataLoader(dataset, 3, False, None, None, 0, None, True))) == 4
        )
    model = nn.Linear(2, 2)
    model.weight.grad = tg.ones(1, 2).expand(2, 2)  # read-only broadcast view
    tg.optim.SGD(model.parameters(), lr=0.1).zero_grad(set_to_none=False)
    assert model.weight.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_contiguous_copies_a_transposed_tensor_so_view_works_like_every_gpt_block():
    B, T, H, D = 2, 3, 4, 5
    x = tg.randn(B, H, T, D, dtype=tg.float64, requires_grad=True)
    y = x.transpose(1, 2)
    assert not y.is_contiguous()
    with pytest.raises(RuntimeError):
        y.view(B, T, H * D)
    merged = y.contiguous().view(B, T, H * D)
    assert merged.is_contiguous() and merged.shape == (B, T, H * D)
    np.testing.assert_array_equal(
        merged.numpy(force=True), x.numpy(force=True).transpose(0, 2, 1, 3).reshape(B, T, H * D)
    )
    weights = tg.randn(B, T, H * D, dtype=tg.float64)
    (merged * weights).sum().backward()
    np.testing.assert_allclose(
        x.grad.numpy(), weights.numpy().reshape(B, T, H, D).transpose(0, 2, 1, 3)
    )


def test_contiguous_returns_the_tensor_itself_when_it_already_is():
    x = tg.ones(3, 4)
    assert x.contiguous() is x
    assert x.t().contiguous() is not x.t()


def test_tensors_hash_by_identity_so_sets_and_dicts_of_tensors_work():
    a, b = tg.ones(2), tg.ones(2)
    assert hash(a) != hash(b)  # identity hashes: two live tensors never collide
    assert len({a, b, a}) == 2 and {a: 1, b: 2}[b] == 2
