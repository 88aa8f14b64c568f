"""nn and optim stand on the core's public API: their array maths takes the array module of the
tensors involved (never an imported NumPy), and they touch no private Tensor field but the few
listed here, each with its reason."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from strict_backend import strict_namespace  # importing it registers the "strict" device

import tensorgrad as tg
import tensorgrad.nn as nn
import tensorgrad.optim as optim
from tensorgrad.nn import functional as F
from tensorgrad.nn.utils import array_module

# The source folders of tensorgrad.nn and tensorgrad.optim (nn/ and nn/optim/ in the repository).
FOLDERS = {"nn": Path(nn.__file__).resolve().parent, "optim": Path(optim.__file__).resolve().parent}

# The one module that maps a device to its array module imports NumPy.
MAY_IMPORT_NUMPY = {"nn/utils/_shared.py"}

TENSOR_PRIVATE_FIELDS = {
    "_data",
    "_grad",
    "_requires_grad",
    "_version_counter",
    "_version",
    "_base",
    "_output_nr",
    "_retains_grad",
    "_hooks",
}
# (file, function) -> why it may read or write private Tensor fields.
MAY_USE_PRIVATE_FIELDS = {
    ("optim/optimizer.py", "_grads_to_apply"): (
        "the optimizer step's hot loop: public accessors would cost ~1.5 µs per parameter, "
        "and no public call bumps a version counter alone"
    ),
    ("optim/sgd.py", "_update_group"): (
        "plain SGD's update written out: the shared loop's bookkeeping costs more than its two "
        "NumPy calls on a small layer"
    ),
    ("nn/parameter.py", "__init__"): (
        "a Tensor subclass sets up its own fields and shares its data's version counter"
    ),
    ("nn/utils/_shared.py", "zero_grads"): (
        "every training step calls it: the .grad property and setter cost ~1.2 µs a parameter"
    ),
    ("nn/utils/_shared.py", "array_of"): (
        "optimizers update their state arrays in place on any device, where the public "
        "Tensor.numpy() works on the CPU only"
    ),
}


def _sources() -> dict[str, ast.Module]:
    """The syntax tree of every module, by name: ``nn/utils/rnn.py``, ``optim/sgd.py``…"""
    trees = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            if package == "nn" and FOLDERS["optim"] in path.parents:
                continue
            trees[f"{package}/{path.relative_to(folder).as_posix()}"] = ast.parse(path.read_text())
    return trees


def test_only_the_device_table_imports_numpy():
    offenders = []
    for name, tree in _sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            if any(m.split(".")[0] == "numpy" for m in modules) and name not in MAY_IMPORT_NUMPY:
                offenders.append(f"{name}:{node.lineno} imports numpy")
    assert not offenders, "\n".join(offenders)


class _PrivateFieldUses(ast.NodeVisitor):
    """(innermost enclosing function or "<module>", line, field) for each private field used."""

    def __init__(self):
        self.functions, self.uses = ["<module>"], []

    def visit_FunctionDef(self, node):
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Attribute(self, node):
        if node.attr in TENSOR_PRIVATE_FIELDS:
            self.uses.append((self.functions[-1], node.lineno, node.attr))
        self.generic_visit(node)


def test_private_tensor_fields_are_used_only_where_listed():
    found, offenders = set(), []
    for name, tree in _sources().items():
        visitor = _PrivateFieldUses()
        visitor.visit(tree)
        for function, line, field in visitor.uses:
            if (name, function) in MAY_USE_PRIVATE_FIELDS:
                found.add((name, function))
            else:
                offenders.append(f"{name}:{line} ({function}) .{field}")
    assert not offenders, "\n".join(offenders)
    assert found == set(MAY_USE_PRIVATE_FIELDS), "a listed exception is no longer needed"


# ---------------------------------------------------------------- the array module
def test_array_module_is_numpy_for_a_cpu_tensor_and_the_devices_elsewhere():
    assert array_module(tg.ones(2)) is np
    assert array_module(nn.Parameter(tg.ones(2))) is np
    assert array_module(tg.ones(2, device="strict")) is strict_namespace


class CountingModule:
    """NumPy behind a counter of the functions called through it: a stand-in second backend."""

    def __init__(self):
        self.calls = Counter()

    def __getattr__(self, name):
        attribute = getattr(np, name)
        if isinstance(attribute, np.ufunc):  # a device's ufuncs have reduce() too (CuPy's do)
            return _CountedUfunc(self.calls, name, attribute)
        if not callable(attribute):
            return attribute
        return _counted(self.calls, name, attribute)


def _counted(calls: Counter, name: str, function):
    def counted(*args, **kwargs):
        calls[name] += 1
        return function(*args, **kwargs)

    return counted


class _CountedUfunc:
    """A ufunc of :class:`CountingModule`: calls and methods (``add.reduce``) counted."""

    def __init__(self, calls: Counter, name: str, ufunc):
        self.calls, self.name, self.ufunc = calls, name, ufunc

    def __call__(self, *args, **kwargs):
        self.calls[self.name] += 1
        return self.ufunc(*args, **kwargs)

    def __getattr__(self, method):
        return _counted(self.calls, f"{self.name}.{method}", getattr(self.ufunc, method))


def _run(make_optimizer, steps: int = 3):
    params = [
        tg.tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True),
        tg.tensor([0.5, -0.25], dtype=tg.float64, requires_grad=True),
    ]
    optimizer = make_optimizer(params)
    for step in range(steps):
        for param in params:
            param.grad = tg.sin(param.detach() * (step + 1))
        optimizer.step()
    return [p.detach().numpy().copy() for p in params]


@pytest.mark.parametrize(
    ("make_optimizer", "expected"),
    [
        (
            lambda p: optim.Adam(p, lr=0.1, amsgrad=True),
            {"sqrt": 6, "maximum": 6, "multiply": 6, "divide": 6},
        ),
        (lambda p: optim.RMSprop(p, lr=0.1, centered=True), {"sqrt": 6}),
        (lambda p: optim.Adagrad(p, lr=0.1), {"sqrt": 6}),
    ],
    ids=["Adam", "RMSprop", "Adagrad"],
)
def test_optimizers_do_their_maths_with_the_parameters_array_module(
    make_optimizer, expected, monkeypatch
):
    reference = _run(make_optimizer)
    backend = CountingModule()
    seen = []
    monkeypatch.setattr(
        "tensorgrad.optim.optimizer.array_module", lambda t: seen.append(t) or backend
    )
    got = _run(make_optimizer)
    assert dict(backend.calls) == expected  # 3 steps x 2 parameters
    assert len(seen) == 6 and all(isinstance(t, tg.Tensor) for t in seen)  # per parameter
    for mine, theirs in zip(got, reference, strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_class_index_targets_are_built_with_the_inputs_array_module():
    """cross_entropy and nll_loss build their target weights in an op (ClassTargetWeights),
    which works through ``ctx.xp``, the array module of its inputs: never NumPy directly."""
    from tensorgrad.ops.class_targets import ClassTargetWeights

    logits = tg.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    target = tg.tensor([2, -100, 0])
    weight = tg.tensor([0.5, 1.0, 2.0])
    reference = [
        F.cross_entropy(logits, target, weight=weight, label_smoothing=0.1).item(),
        F.cross_entropy(logits, tg.tensor([0, 1, 2])).item(),
        F.nll_loss(logits.log_softmax(1), target, weight=weight).item(),
    ]
    torch = pytest.importorskip("torch")
    torch_logits = torch.tensor(logits.detach().numpy())
    torch_target, torch_weight = torch.tensor(target.numpy()), torch.tensor(weight.numpy())
    torch_values = [
        torch.nn.functional.cross_entropy(
            torch_logits, torch_target, weight=torch_weight, label_smoothing=0.1
        ).item(),
        torch.nn.functional.cross_entropy(torch_logits, torch.tensor([0, 1, 2])).item(),
        torch.nn.functional.nll_loss(
            torch_logits.log_softmax(1), torch_target, weight=torch_weight
        ).item(),
    ]
    np.testing.assert_allclose(reference, torch_values, rtol=1e-6)
    options = {"classes": 3, "dtype": np.float32, "ignore_index": -100, "name": "cross_entropy"}
    for smoothing, inputs, slow in (
        (0.1, (target.numpy(), weight.numpy()), True),
        (0.0, (np.array([0, 1, 2]),), False),
    ):
        ctx = ClassTargetWeights.__new__(ClassTargetWeights)
        ctx.xp = backend = CountingModule()
        expected = ClassTargetWeights.forward(
            ClassTargetWeights.__new__(ClassTargetWeights),
            *inputs,
            smoothing=smoothing,
            shape=(3, 3),
            **options,
        )
        q, count = ClassTargetWeights.forward(
            ctx, *inputs, smoothing=smoothing, shape=(3, 3), **options
        )
        np.testing.assert_array_equal(q, expected[0])
        assert count == expected[1]
        assert backend.calls["zeros"] == backend.calls["arange"] == 1  # one q matrix
        assert backend.calls["where"] == (1 if slow else 0)  # the ignore_index mask


# ---------------------------------------------------------------- issue 12's names
ISSUE_12_FUNCTIONS = [
    "celu", "relu6", "hardswish", "hardsigmoid", "hardtanh", "softsign", "mish", "selu",
    "prelu", "glu", "logsigmoid", "softmin", "tanhshrink", "threshold", "hardshrink",
    "softshrink", "rrelu", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
    "multi_margin_loss", "multilabel_soft_margin_loss", "triplet_margin_loss",
    "soft_margin_loss", "cosine_similarity", "normalize", "pairwise_distance",
]  # fmt: skip
ISSUE_12_MODULES = [
    "CELU", "ReLU6", "Hardswish", "Hardsigmoid", "Hardtanh", "Softsign", "Mish", "SELU",
    "PReLU", "GLU", "LogSigmoid", "Softmin", "Tanhshrink", "Threshold", "Hardshrink",
    "Softshrink", "RReLU", "Softmax2d", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss", "MultiMarginLoss",
    "MultiLabelSoftMarginLoss", "TripletMarginLoss", "SoftMarginLoss", "CosineSimilarity",
    "PairwiseDistance",
]  # fmt: skip


def _parameters(function) -> list:
    import inspect

    try:
        signature = inspect.signature(function)
    except ValueError:  # a PyTorch builtin without a Python signature
        return None
    kinds = [p.kind for p in signature.parameters.values()]
    if inspect.Parameter.VAR_POSITIONAL in kinds:  # PyTorch's Softsign(*args, **kwargs)
        return None
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


@pytest.mark.parametrize("name", ISSUE_12_FUNCTIONS)
def test_new_functions_are_exported_documented_and_take_torchs_arguments(name):
    torch = pytest.importorskip("torch")
    assert name in F.__all__ and getattr(F, name).__doc__
    theirs = _parameters(getattr(torch.nn.functional, name))
    if theirs is not None:
        assert _parameters(getattr(F, name)) == theirs


@pytest.mark.parametrize("name", ISSUE_12_MODULES)
def test_new_modules_are_exported_documented_and_take_torchs_arguments(name):
    torch = pytest.importorskip("torch")
    assert name in nn.__all__ and getattr(nn, name).__doc__
    theirs = _parameters(getattr(torch.nn, name).__init__)
    if theirs is not None:
        assert _parameters(getattr(nn, name).__init__) == theirs
