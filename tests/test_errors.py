"""Errors are part of the API: PyTorch's exception types, messages naming op and shapes."""

import pytest

import tensorgrad as tg

# (name, mistake written against a library module L, text our message must contain)
MISTAKES = [
    ("matmul", lambda L: L.ones(2, 3) @ L.ones(4, 5), r"\(2, 3\) @ \(4, 5\)"),
    ("matmul_1d", lambda L: L.ones(3) @ L.ones(4), "inner dimensions 3 and 4"),
    ("matmul_0d", lambda L: L.matmul(L.tensor(1.0), L.ones(3)), "matmul"),
    ("bmm", lambda L: L.bmm(L.ones(2, 3, 4), L.ones(3, 4, 5)), r"\(2, 3, 4\)"),
    ("mm_3d", lambda L: L.mm(L.ones(2, 3, 4), L.ones(4, 5)), r"mm.*\(2, 3, 4\)"),
    ("dot", lambda L: L.dot(L.ones(3), L.ones(4)), "dot"),
    ("add_broadcast", lambda L: L.ones(2, 3) + L.ones(4), r"add.*\(2, 3\).*\(4,\)"),
    ("mul_broadcast", lambda L: L.ones(2, 3) * L.ones(3, 2), r"mul.*\(2, 3\).*\(3, 2\)"),
    ("where_broadcast", lambda L: L.where(L.ones(2, 3) > 0, L.ones(4), 0.0), r"\(4,\)"),
    (
        "masked_fill_broadcast",
        lambda L: L.ones(2, 3).masked_fill(L.ones(3, 2) > 0, 0.0),
        r"\(3, 2\)",
    ),
    ("item", lambda L: L.ones(3).item(), "3 elements"),
    ("bool", lambda L: bool(L.ones(3)), "ambiguous"),
    ("reshape", lambda L: L.ones(2, 3).reshape(4, 2), r"reshape.*\[4, 2\].*size 6"),
    ("view", lambda L: L.ones(2, 3).view(5), "size 6"),
    ("reshape_two_inferred", lambda L: L.ones(2, 3).reshape(-1, -1), "reshape"),
    ("expand", lambda L: L.ones(2, 3).expand(4, 3), "expand"),
    ("permute_repeat", lambda L: L.ones(2, 3).permute(0, 0), "permute"),
    ("permute_count", lambda L: L.ones(2, 3).permute(0), "permute"),
    ("repeat_too_few", lambda L: L.ones(2, 3).repeat(2), "repeat"),
    ("cat_shapes", lambda L: L.cat([L.ones(2, 3), L.ones(2, 4)]), r"\(2, 3\).*\(2, 4\)"),
    ("stack_shapes", lambda L: L.stack([L.ones(2, 3), L.ones(2, 4)]), r"\(2, 3\).*\(2, 4\)"),
    ("index_out_of_range", lambda L: L.ones(3)[3], r"index 3.*size 3"),
    ("negative_index_out_of_range", lambda L: L.ones(3)[-4], "-4"),
    ("too_many_indices", lambda L: L.ones(3)[0, 0], "too many indices"),
    ("tensor_index_out_of_range", lambda L: L.ones(3)[L.tensor([0, 5])], "5"),
    ("float_index", lambda L: L.ones(3)[L.tensor([0.0, 1.0])], "float32"),
    ("mask_shape", lambda L: L.ones(3)[L.tensor([True, False])], "boolean index"),
    ("index_select_2d", lambda L: L.ones(3).index_select(0, L.tensor([[0]])), "index_select"),
    ("sum_dim", lambda L: L.ones(2, 3).sum(dim=2), r"sum.*\[-2, 1\].*2"),
    ("transpose_dim", lambda L: L.ones(2, 3).transpose(0, 2), "transpose"),
    ("unsqueeze_dim", lambda L: L.ones(2, 3).unsqueeze(4), "unsqueeze"),
    ("squeeze_dim", lambda L: L.ones(2, 3).squeeze(3), "squeeze"),
    ("size_dim", lambda L: L.ones(2, 3).size(5), "size"),
    ("cat_dim", lambda L: L.cat([L.ones(2, 3)], dim=3), "cat"),
    ("split_dim", lambda L: L.ones(2, 3).split(1, dim=2), "split"),
    ("var_dim", lambda L: L.ones(3).var(dim=3), "var"),
    ("dim_of_wrong_type", lambda L: L.ones(2, 3).sum(dim="a"), "dim"),
    ("max_of_empty", lambda L: L.ones(0).max(), r"\(0,\)"),
    ("max_over_empty_dim", lambda L: L.ones(0, 3).max(dim=0), r"\(0, 3\)"),
    ("argmax_of_empty", lambda L: L.ones(0).argmax(), "argmax"),
    ("requires_grad_on_int", lambda L: L.ones(3, dtype=L.int64).requires_grad_(), "int64"),
    (
        "int_tensor_with_requires_grad",
        lambda L: L.tensor([1, 2], requires_grad=True),
        "floating-point",
    ),
    ("float_into_int_inplace", lambda L: L.ones(2, dtype=L.int64).mul_(0.5), "int64"),
    ("leaf_inplace", lambda L: L.ones(2, requires_grad=True).add_(1), "leaf"),
    ("copy_shape", lambda L: L.zeros(3).copy_(L.ones(2)), r"\(3,\)"),
    ("setitem_shape", lambda L: L.zeros(3).__setitem__(slice(None), L.ones(2)), r"\(3,\)"),
    ("non_scalar_backward", lambda L: (L.ones(2, requires_grad=True) * 2).backward(), "scalar"),
    ("backward_without_grad", lambda L: L.ones(2).sum().backward(), "does not require grad"),
    (
        "grad_dtype",
        lambda L: setattr(L.ones(2, requires_grad=True), "grad", L.ones(2, dtype=L.float64)),
        "dtype",
    ),
    ("bool_subtraction", lambda L: L.tensor([True]) - L.tensor([False]), "bool"),
    ("int_negative_power", lambda L: L.tensor([2]) ** -1, "negative"),
    ("len_0d", lambda L: len(L.tensor(1.0)), "0-d"),
    ("iter_0d", lambda L: iter(L.tensor(1.0)), "0-d"),
    ("add_str", lambda L: L.ones(2) + "a", "str"),
    ("ragged", lambda L: L.tensor([[1, 2], [3]]), "tensor"),
    ("string_data", lambda L: L.tensor("abc"), "tensor"),
    ("negative_size", lambda L: L.zeros(-1), "negative"),
    ("randint_range", lambda L: L.randint(5, 2, (3,)), "randint"),
    ("arange_zero_step", lambda L: L.arange(0, 5, 0), "step"),
    ("linspace_negative", lambda L: L.linspace(0, 1, -1), "linspace"),
    ("eye_negative", lambda L: L.eye(-1), "eye"),
    ("chunk_zero", lambda L: L.ones(3).chunk(0), "chunk"),
    ("flatten_order", lambda L: L.ones(2, 3).flatten(1, 0), "flatten"),
    ("gather_float_index", lambda L: L.ones(2, 3).gather(1, L.tensor([[0.5]])), "gather"),
]


@pytest.mark.parametrize(("name", "mistake", "text"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_exception_type_matches_torch_and_message_is_specific(name, mistake, text):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as theirs:
        mistake(torch)
    with pytest.raises(Exception) as ours:
        mistake(tg)
    assert type(ours.value) is type(theirs.value), (str(ours.value), str(theirs.value))
    assert ours.match(text)


def test_matmul_message_names_both_shapes_and_the_inner_dims():
    with pytest.raises(RuntimeError) as info:
        tg.ones(2, 3) @ tg.ones(4, 5)
    message = str(info.value)
    assert "matmul" in message and "(2, 3)" in message and "(4, 5)" in message
    assert "inner dimensions 3 and 4" in message


def test_broadcast_message_names_both_shapes_and_the_dim():
    with pytest.raises(RuntimeError) as info:
        tg.ones(5, 2, 3) - tg.ones(4, 3)
    message = str(info.value)
    assert "sub" in message and "(5, 2, 3)" in message and "(4, 3)" in message
    assert "dimension -2" in message


def test_item_message_says_how_many_elements():
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements"):
        tg.ones(2, 3).item()


def test_device_other_than_cpu_is_refused():
    with pytest.raises(RuntimeError, match="cuda"):
        tg.ones(2).to("cuda")
    assert tg.ones(2).to("cpu").tolist() == [1.0, 1.0]


def test_grad_of_an_input_that_does_not_require_grad():
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        tg.autograd.grad((x * 2).sum(), tg.ones(2))
