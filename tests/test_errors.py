"""Errors are part of the API: PyTorch's exception types, messages naming op and shapes."""

import pytest

import tensorgrad as tg

NAN = float("nan")

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
    # factories with arguments out of range, the Tensor constructor, out=, expand, the engine
    ("arange_step_sign", lambda L: L.arange(10, 0, 1), "step sign"),
    ("arange_negative_step_sign", lambda L: L.arange(0, 10, -1), "step sign"),
    ("arange_negative_end", lambda L: L.arange(-5), "step sign"),
    ("arange_float_step_sign", lambda L: L.arange(1.0, 0.5, 0.1), "step sign"),
    ("arange_nan_end", lambda L: L.arange(0, float("nan")), "nan"),
    ("randperm_negative", lambda L: L.randperm(-1), "negative dimension -1"),
    ("randperm_float", lambda L: L.randperm(2.5), "randperm"),
    ("bernoulli_above_one", lambda L: L.bernoulli(L.tensor([1.5])), "bernoulli"),
    ("bernoulli_below_zero", lambda L: L.bernoulli(L.tensor([0.5, -0.5])), "bernoulli"),
    ("bernoulli_nan", lambda L: L.bernoulli(L.tensor([float("nan")])), "bernoulli"),
    ("bernoulli_p_above_one", lambda L: L.bernoulli(L.ones(2), p=1.5), "p=1.5"),
    ("bernoulli_of_int", lambda L: L.bernoulli(L.ones(2, dtype=L.int64)), "int64"),
    ("normal_negative_std", lambda L: L.normal(0.0, -1.0, size=(2,)), "std -1"),
    ("normal_nan_std", lambda L: L.normal(0.0, float("nan"), size=(2,)), "std nan"),
    ("normal_negative_std_tensor", lambda L: L.normal(L.zeros(2), L.tensor([1.0, -1.0])), "std"),
    ("normal_negative_std_mean_tensor", lambda L: L.normal(L.zeros(2), -1.0), "std -1"),
    ("normal_numbers_without_size", lambda L: L.normal(0.0, 1.0), "size"),
    ("expand_minus_two", lambda L: L.ones(2).expand(-2), "expand"),
    ("expand_negative_size", lambda L: L.ones(1, 2).expand(-3, 2), "-3"),
    ("expand_negative_new_dim", lambda L: L.ones(2).expand(-2, 2), "-2"),
    ("expand_float", lambda L: L.ones(2).expand(2.0), "expand"),
    ("tensor_constructor_float", lambda L: L.Tensor(3.0), "sequence"),
    ("tensor_constructor_negative", lambda L: L.Tensor(2, -1), "negative dimension -1"),
    ("tensor_constructor_requires_grad", lambda L: L.Tensor([1.0], requires_grad=True), "requires"),
    ("tensor_constructor_ragged", lambda L: L.Tensor([[1.0], []]), "rectangular"),
    (
        "out_of_a_recorded_op",
        lambda L: L.add(L.ones(2, requires_grad=True), 1, out=L.zeros(2)),
        r"add\(\).*don't support automatic differentiation",
    ),
    (
        "out_float_into_int",
        lambda L: L.exp(L.ones(2), out=L.zeros(2, dtype=L.int64)),
        r"exp\(\).*can't be cast",
    ),
    ("out_tuple_for_one_output", lambda L: L.max(L.ones(2, 3), 1, out=L.zeros(2)), "max"),
    ("out_on_a_view_op", lambda L: L.reshape(L.ones(2), (2,), out=L.zeros(2)), "out"),
    (
        "backward_empty_inputs",
        lambda L: (L.ones(2, requires_grad=True) * 2).sum().backward(inputs=[]),
        "cannot be empty",
    ),
    (
        "grad_empty_inputs",
        lambda L: L.autograd.grad((L.ones(2, requires_grad=True) * 2).sum(), []),
        "cannot be empty",
    ),
    ("movedim_repeated", lambda L: L.ones(2, 3).movedim((0, 0), (1, 0)), "repeated"),
    ("permute_function_float", lambda L: L.permute(L.ones(2, 3), (0.0, 1)), "permute"),
    # gathers and scatters: negative indices never wrap silently, 0-d tensors get PyTorch's errors
    ("gather_negative_index", lambda L: L.ones(2, 3).gather(1, L.tensor([[-1]])), "index -1"),
    ("gather_0d_out_of_range", lambda L: L.tensor(1.0).gather(0, L.tensor(1)), "index 1"),
    ("gather_index_dims", lambda L: L.ones(2, 3).gather(0, L.tensor(1)), r"\(\) and \(2, 3\)"),
    ("index_select_negative", lambda L: L.ones(3).index_select(0, L.tensor([-1])), "index -1"),
    (
        "index_select_negative_dim_1",  # PyTorch's CPU kernel raises RuntimeError along dim 1
        lambda L: L.ones(2, 3).index_select(1, L.tensor([-1])),
        "index -1",
    ),
    ("index_select_float_index", lambda L: L.ones(3).index_select(0, L.tensor([1.0])), "dtype"),
    ("chunk_0d", lambda L: L.tensor(1.0).chunk(2), "chunk"),
    ("split_0d", lambda L: L.tensor(1.0).split(1), "split"),
    ("narrow_0d", lambda L: L.tensor(1.0).narrow(0, 0, 1), "narrow"),
    ("unbind_0d", lambda L: L.tensor(1.0).unbind(), "unbind"),
    ("take_out_of_range", lambda L: L.ones(2, 3).take(L.tensor([6])), "index 6"),
    ("take_along_dim_int32", lambda L: L.ones(2).take_along_dim(L.tensor([0]).int(), 0), "int64"),
    ("scatter_negative_index", lambda L: L.zeros(3).scatter(0, L.tensor([-1]), 1.0), "index -1"),
    (
        "scatter_add_dtype",
        lambda L: L.zeros(3).scatter_add(0, L.tensor([0]), L.ones(1).double()),
        "dtype",
    ),
    (
        "scatter_index_larger_than_src",
        lambda L: L.zeros(2, 3).scatter(0, L.zeros(2, 3, dtype=L.int64), L.ones(1, 3)),
        r"\(2, 3\).*\(1, 3\)",
    ),
    (
        "scatter_reduce_name",
        lambda L: L.zeros(3).scatter_reduce(0, L.tensor([0]), L.ones(1), "avg"),
        "avg",
    ),
    (
        "index_add_out_of_range",
        lambda L: L.zeros(3).index_add(0, L.tensor([3]), L.ones(1)),
        "index 3",
    ),
    (
        "index_copy_negative",
        lambda L: L.zeros(3).index_copy(0, L.tensor([-1]), L.ones(1)),
        "index -1",
    ),
    (
        "index_fill_int32_index",
        lambda L: L.zeros(3).index_fill(0, L.tensor([0]).int(), 1.0),
        "int64",
    ),
    (
        "masked_scatter_short_source",
        lambda L: L.zeros(3).masked_scatter(L.tensor([True, True, False]), L.ones(1)),
        "1 elements",
    ),
    ("diff_0d", lambda L: L.diff(L.tensor(1.0)), "one-dimensional"),
    ("logcumsumexp_int", lambda L: L.logcumsumexp(L.tensor([1, 2]), 0), "int64"),
    ("roll_misaligned", lambda L: L.ones(3).roll((1, 2), (0,)), "align"),
    ("diag_3d", lambda L: L.diag(L.ones(2, 2, 2)), r"\(2, 2, 2\)"),
    ("diagonal_same_dims", lambda L: L.ones(2, 2).diagonal(0, 1, 1), "identical"),
    ("trace_1d", lambda L: L.trace(L.ones(3)), r"\(3,\)"),
    ("tensordot_sizes", lambda L: L.tensordot(L.ones(2, 3), L.ones(4, 2), ([1], [0])), "size 3"),
    ("cross_no_size_3", lambda L: L.cross(L.ones(2, 4), L.ones(2, 4), dim=1), "length 3"),
    ("cdist_columns", lambda L: L.cdist(L.ones(2, 3), L.ones(2, 4)), r"\(2, 3\).*\(2, 4\)"),
    ("cdist_compute_mode", lambda L: L.cdist(L.ones(2, 3), L.ones(2, 3), compute_mode="x"), "x"),
    # the boilerplate scripts run before training
    ("set_num_threads_zero", lambda L: L.set_num_threads(0), "positive integer"),
    ("set_num_threads_float", lambda L: L.set_num_threads(1.5), "expects an int"),
    ("device_of_a_float", lambda L: L.device(1.5), "device"),
    ("device_index_alone", lambda L: L.device(0), "none is available"),
    ("accelerator_index", lambda L: L.accelerator.current_device_index(), "none is available"),
    ("variable_of_a_list", lambda L: L.autograd.Variable([1.0]), "has to be a tensor"),
    ("scaler_growth_factor", lambda L: L.amp.GradScaler("cpu", growth_factor=1.0), "growth"),
    ("autocast_device_object", lambda L: L.autocast(L.device("cpu")), "device_type"),
    ("rank_without_process_group", lambda L: L.distributed.get_rank(), "not been initialized"),
    # losses and checkpoints that used to give an answer without a word
    (
        "cross_entropy_weight_longer",
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3), L.tensor([0, 1]), L.ones(4)),
        r"all 3 classes.*\[4\]",
    ),
    (
        "cross_entropy_weight_shorter",
        lambda L: L.nn.functional.cross_entropy(L.ones(2, 3), L.tensor([0, 1]), L.ones(2)),
        r"all 3 classes.*\[2\]",
    ),
    (
        "nll_loss_weight_longer",
        lambda L: L.nn.functional.nll_loss(L.ones(2, 3), L.tensor([0, 1]), L.ones(4)),
        r"nll_loss.*\[4\]",
    ),
    (
        "bce_target_of_2",
        lambda L: L.nn.functional.binary_cross_entropy(L.ones(3) / 2, L.tensor([0.0, 1.0, 2.0])),
        "target should be between 0 and 1",
    ),
    (
        "bce_nan_input",
        lambda L: L.nn.functional.binary_cross_entropy(L.tensor([0.5, NAN]), L.ones(2)),
        "input should be between 0 and 1",
    ),
    ("logsigmoid_of_int", lambda L: L.nn.functional.logsigmoid(L.tensor([1, 2])), "int64"),
    (
        "state_dict_list_value",
        lambda L: L.nn.Linear(2, 1).load_state_dict({"weight": [[1.0, 2.0]], "bias": L.zeros(1)}),
        r'"weight".*list',
    ),
    # pointwise ops: integer division by zero, dtypes PyTorch refuses, arguments it refuses
    ("int_floor_divide_by_zero", lambda L: L.tensor([5, 3]) // 0, "ZeroDivisionError"),
    ("int_remainder_by_zero", lambda L: L.tensor([5, 3]) % L.tensor([1, 0]), "ZeroDivisionError"),
    ("int_fmod_by_zero", lambda L: L.fmod(L.tensor([5]), 0), "ZeroDivisionError"),
    (
        "int_div_floor_by_zero",
        lambda L: L.div(L.tensor([5]), L.tensor(0), rounding_mode="floor"),
        "ZeroDivisionError",
    ),
    (
        "int_div_trunc_by_zero",
        lambda L: L.div(L.tensor([5]), 0, rounding_mode="trunc"),
        "ZeroDivisionError",
    ),
    ("scalar_floor_divide_by_zero", lambda L: 7 // L.tensor([0]), "ZeroDivisionError"),
    ("bool_floor_divide", lambda L: L.tensor([True]) // L.tensor([True]), "bool"),
    ("bool_remainder", lambda L: L.tensor([True]) % L.tensor([True]), "bool"),
    ("softplus_of_int", lambda L: L.nn.functional.softplus(L.tensor([1, 2])), "int64"),
    ("clamp_bool_with_bool_bounds", lambda L: L.clamp(L.tensor([True]), min=True), "bool"),
    (
        "clamp_tensor_and_number_bounds",
        lambda L: L.clamp(L.ones(2), L.zeros(2), 0.5),
        "both be numbers or both be tensors",
    ),
    ("frac_of_int", lambda L: L.frac(L.tensor([1, 2])), "frac"),
    ("round_int_decimals", lambda L: L.round(L.tensor([15]), decimals=-1), "round"),
    ("hypot_of_int", lambda L: L.hypot(L.tensor([3]), L.tensor([4])), "hypot"),
    ("atan2_of_a_number", lambda L: L.atan2(L.ones(2), 2.0), "other"),
    ("lerp_of_int", lambda L: L.lerp(L.tensor([1]), L.tensor([3]), 0.5), "lerp"),
    ("lerp_dtypes", lambda L: L.lerp(L.ones(2), L.ones(2, dtype=L.float64), 0.5), "end"),
    (
        "lerp_weight_dtype",
        lambda L: L.lerp(L.ones(2), L.ones(2), L.ones(2, dtype=L.float64)),
        "weight",
    ),
    (
        "addcdiv_of_integers",
        lambda L: L.addcdiv(L.ones(2), L.tensor([1, 2]), L.tensor([3, 4])),
        "integer division",
    ),
    ("addcmul_of_bool", lambda L: L.addcmul(*[L.tensor([True])] * 3), "bool"),
    ("tan_in_place_of_int", lambda L: L.tensor([1, 2]).tan_(), "can't be cast"),
    ("square_in_place_of_bool", lambda L: L.tensor([True]).square_(), "can't be cast"),
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
