"""The shape of the code: imports run one way, each op is declared once and reachable under
all its names, and the public namespace holds PyTorch's names and documented extras only."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import _registry
from tensorgrad.tensor import Tensor

ROOT = Path(__file__).resolve().parent.parent
# The source folder of each package (nn/ and nn/optim/ ship as tensorgrad.nn/.optim).
PACKAGE_DIRS = {"tensorgrad": ROOT / "tensorgrad", "tensorgrad.nn": ROOT / "nn"}
OPTIONAL_THIRD_PARTY = {
    "graphviz",
    "onnxruntime",
    "scipy",
    "safetensors",
    "torch",
    "hypothesis",
    "pytest",
    "onnx",
    "cupy",
    "cupyx",
}


def _modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    found = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if package == "tensorgrad" and parts[:1] == ["nn"]:
                continue
            found[".".join([package, *parts])] = path
    return {
        name.replace("tensorgrad.nn.optim", "tensorgrad.optim"): path
        for name, path in found.items()
    }


MODULES = _modules()


def _is_facade(name: str) -> bool:
    return name.endswith(".__init__")


def _resolve(importer: str, node: ast.ImportFrom) -> list[str]:
    """The modules an ``import``/``from … import`` statement loads, by dotted name."""
    package = importer.rsplit(".", 1)[0]
    if node.level:
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    targets = []
    for alias in node.names:
        candidate = f"{prefix}.{alias.name}"
        if candidate in MODULES or f"{candidate}.__init__" in MODULES:
            targets.append(candidate)  # `from package import submodule`
        else:
            targets.append(prefix)
    return targets


def _imports(name: str) -> list[tuple[str, bool]]:
    """(imported module, whether the import is inside a function) for one module."""
    tree = ast.parse(MODULES[name].read_text())
    function_lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function_lines.update(range(node.lineno, node.end_lineno + 1))
    found = []
    for node in ast.walk(tree):
        local = getattr(node, "lineno", 0) in function_lines
        if isinstance(node, ast.Import):
            found += [(alias.name, local) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [(target, local) for target in _resolve(name, node)]
    return found


def _implementation(target: str) -> str | None:
    """The implementation module an import lands in (None for facades and other packages)."""
    if target in MODULES and not _is_facade(target):
        return target
    return None


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name in MODULES:
        if _is_facade(name):
            continue
        graph[name] = {t for t, _ in _imports(name) if _implementation(t) and t != name}
    return graph


def test_no_import_cycle_between_implementation_modules():
    graph = _graph()
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(start: str) -> None:
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                cycles.append(path[path.index(child) :] + [child])
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_function_local_imports_are_only_for_optional_third_party_packages():
    offenders = [
        f"{name} imports {target} inside a function"
        for name in MODULES
        for target, local in _imports(name)
        if local and target.split(".")[0] not in OPTIONAL_THIRD_PARTY
    ]
    assert not offenders, "\n".join(offenders)


LAYERS = {  # a module may import only from its own layer or the ones below
    0: [
        "tensorgrad._backend",
        "tensorgrad._cupy",
        "tensorgrad._device",
        "tensorgrad._dtypes",
        "tensorgrad._shapes",
        "tensorgrad._hooks",
        "tensorgrad._memory_format",
        "tensorgrad._printing",
        "tensorgrad._tracing",
        "tensorgrad.random",
    ],
    1: ["tensorgrad.tensor"],
    2: [
        "tensorgrad._registry",
        "tensorgrad._creation",
        "tensorgrad._creation_random",
        "tensorgrad._creation_like",
    ],
    3: [
        "tensorgrad.autograd.engine",
        "tensorgrad.autograd.function",
        "tensorgrad.autograd.grad_mode",
        "tensorgrad.autograd.anomaly",
        "tensorgrad.autograd.graph",
        "tensorgrad.autograd.differentiate",
    ],
    4: ["tensorgrad.ops."],
}


def _layer(name: str) -> int | None:
    for level, prefixes in LAYERS.items():
        if any(name == p or (p.endswith(".") and name.startswith(p)) for p in prefixes):
            return level
    return None


def test_layers_import_only_downwards():
    graph = _graph()
    offenders = []
    for name, targets in graph.items():
        level = _layer(name)
        if level is None:
            continue
        for target in targets:
            target_level = _layer(target)
            if target_level is None or target_level > level:
                offenders.append(f"{name} (layer {level}) imports {target} (layer {target_level})")
    assert not offenders, "\n".join(offenders)


def test_nn_and_optim_use_only_the_public_core_api():
    offenders = [
        f"{name} imports {target}"
        for name in MODULES
        if name.startswith(("tensorgrad.nn", "tensorgrad.optim"))
        for target, _ in _imports(name)
        if target.startswith("tensorgrad.")
        and not target.startswith(("tensorgrad.nn", "tensorgrad.optim"))
        and any(part.startswith("_") for part in target.split("."))
    ]
    assert not offenders, "\n".join(offenders)


# ----------------------------------------------------------------------------- the registry
def test_every_declared_function_is_a_public_tensorgrad_name():
    for name, function in _registry.functions.items():
        assert getattr(tg, name) is function, name


def test_every_declared_method_is_installed_on_tensor():
    for name, method in _registry.methods.items():
        installed = inspect.getattr_static(Tensor, name)
        assert installed is method, name


def test_declared_methods_cover_what_torch_tensor_has():
    """A tensorgrad function that torch.Tensor also has as a method is a Tensor method here."""
    torch = pytest.importorskip("torch")
    missing = [
        name
        for name in _registry.functions
        if hasattr(torch.Tensor, name) and not hasattr(Tensor, name)
    ]
    assert not missing, f"torch.Tensor has these methods, tensorgrad's Tensor does not: {missing}"


@pytest.mark.parametrize("numpy_name", sorted(_registry.numpy_names))
def test_declared_numpy_names_dispatch_to_the_op(numpy_name, monkeypatch):
    """``numpy.X(tensor, …)`` calls the declared op (seen by swapping in a recorder)."""
    called = []
    function = _registry.numpy_names[numpy_name]
    monkeypatch.setitem(
        _registry.numpy_names, numpy_name, lambda *args: called.append(args) or "dispatched"
    )
    monkeypatch.setattr("tensorgrad._numpy_dispatch._dispatch", {})
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    numpy_function = getattr(np, numpy_name)
    special = {
        "where": [x > 2, x, x],
        "clip": [x, 1.5, 3.5],
        "concatenate": [[x, x]],
        "stack": [[x, x]],
        "reshape": [x, (4,)],
        "dot": [x, x],
    }
    if numpy_name in special:
        args = special[numpy_name]
    else:
        args = [x] * (numpy_function.nin if isinstance(numpy_function, np.ufunc) else 1)
    assert numpy_function(*args) == "dispatched", numpy_name
    assert called, f"numpy.{numpy_name} did not reach {function.__name__}"


def test_registry_refuses_a_name_declared_twice():
    with pytest.raises(RuntimeError, match="declared twice"):
        _registry.op("exp")(lambda input: input)


# ----------------------------------------------------------------------------- public namespace
PUBLIC = {
    # PyTorch's modules, and tensorgrad's documented extras (viz, testing)
    "accelerator",
    "amp",
    "backends",
    "distributed",
    "onnx",
    "autograd",
    "compile",
    "compiler",
    "cpu",
    "cuda",
    "distributions",
    "jit",
    "linalg",
    "mps",
    "nn",
    "ops",
    "optim",
    "random",
    "serialization",
    "testing",
    "utils",
    "version",
    "viz",
    # tensors, dtypes, devices, generators
    "Tensor",
    "tensor",
    "is_tensor",
    "numel",
    "dtype",
    "device",
    "Generator",
    "bool",
    "double",
    "float",
    "bfloat16",
    "float16",
    "float32",
    "float64",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "short",
    "uint8",
    "get_default_dtype",
    "set_default_dtype",
    # memory formats (tensor layouts)
    "memory_format",
    "contiguous_format",
    "channels_last",
    "channels_last_3d",
    "preserve_format",
    # devices, precision and determinism switches (CPU answers)
    "get_autocast_dtype",
    "set_float32_matmul_precision",
    "get_float32_matmul_precision",
    "use_deterministic_algorithms",
    "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
    "promote_types",
    "result_type",
    "default_generator",
    "initial_seed",
    "manual_seed",
    "seed",
    # creation
    "arange",
    "as_tensor",
    "bernoulli",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "zeros",
    "zeros_like",
    # devices, threads, mixed precision (the boilerplate scripts run before training)
    "get_default_device",
    "set_default_device",
    "get_num_threads",
    "set_num_threads",
    "get_num_interop_threads",
    "set_num_interop_threads",
    "autocast",
    "is_autocast_enabled",
    # grad modes, saving
    "enable_grad",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "no_grad",
    "set_grad_enabled",
    "load",
    "save",
}


def test_public_namespace_is_pytorch_names_and_documented_extras():
    public = {name for name in dir(tg) if not name.startswith("_")}
    expected = PUBLIC | set(_registry.functions)
    assert public - expected == set(), "undeclared public names"
    assert expected - public == set(), "declared names missing from tensorgrad"


def test_every_public_name_but_the_extras_is_pytorchs():
    torch = pytest.importorskip("torch")
    extras = {"viz"}
    not_torch = sorted(n for n in dir(tg) if not n.startswith("_") and not hasattr(torch, n))
    assert set(not_torch) <= extras, not_torch
