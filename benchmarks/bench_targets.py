"""The speed targets in one run: tensorgrad and PyTorch against hand-written NumPy.

Five rows, each timed for NumPy (the floor), tensorgrad and PyTorch, with the ratio of each
framework to NumPy, the target and a pass/miss verdict:

1. **no-grad add**: ``a + b`` on two 4x4 float32 tensors that do not require grad, against
   ``np.add(a, b)`` on the same arrays. Target: tensorgrad ≤ 2.0x.
2. **recorded op, forward + backward**: the chain below on 4x4 float32 tensors that require
   grad, recorded and then ``loss.backward()``; the time is divided by its 100 ops. The floor
   is the same forward in NumPy followed by the backward derived by hand (the chain rule
   applied by hand to the same ops, in reverse order, gradients summed over the blocks).
   Before each call the leaves' ``.grad`` is reset to ``None`` (what ``zero_grad()`` does).
   Target: tensorgrad ≤ 3.5x.

   The chain: leaves ``x, w, b, c, d`` (4x4 float32, ``requires_grad=True``); ``h = x``, then
   11 blocks of 9 ops, then ``h.sum()``, 100 ops in all::

       z = h @ w        # matmul
       z = z + b        # add
       z = z.tanh()     # tanh
       g = z * c        # mul
       g = g.exp()      # exp
       h = h * d        # mul
       h = h + z        # add
       h = h - g        # sub
       h = h * 0.5      # mul by a Python scalar
       ...
       loss = h.sum()   # sum

   (per 100 ops: 11 matmul, 22 add, 11 sub, 33 mul, 11 tanh, 11 exp, 1 sum). ``h`` stays
   bounded (``|h| < 4``), so the values and gradients stay well scaled through the blocks.
3. **digits 64-30-10 sigmoid MLP, SGD, batch 32**: one training step (forward, backward,
   update), as ``bench_mlp.py`` defines it. Target: tensorgrad's ratio ≤ 0.9 x PyTorch's.
4. **the same at full batch** (1078 rows). Same target.
5. **784-256-128-10 ReLU MLP, Adam, batch 128** (MNIST-shaped random data). Same target.

Rows 3-5 reuse ``bench_mlp.py`` (the networks, the hand-written NumPy step and its check that
the variants agree after two steps); row 2 checks before timing that tensorgrad's, PyTorch's
and the hand-written gradients agree (``rtol=1e-4``). tensorgrad and PyTorch run the same code,
with the library passed in as a parameter.

All numbers come from one process: BLAS pinned to one thread (``timing.py``),
``torch.set_num_threads(1)``, each row's variants timed in interleaved rounds and the medians
taken. On a shared machine expect ±10-20 % noise: compare ratios from the same run.

Output: a Markdown table on stdout (progress goes to stderr), the source of the README's
speed table.

Run: ``python benchmarks/bench_targets.py [--quick]``  (quick: ~20-30 s; full: ~2 min)
"""

from __future__ import annotations

import argparse
import functools
import operator
import sys

import timing  # first: pins BLAS to one thread before NumPy loads

# isort: split
import bench_mlp
import numpy as np

import tensorgrad as tg

SHAPE = (4, 4)
BLOCKS = 11
CHAIN_OPS = 9 * BLOCKS + 1  # 9 ops per block, then the final sum: 100


# ---------------------------------------------------------------------- row 1
def no_grad_add(torch, repeats: int, min_time: float) -> dict[str, float]:
    """Seconds per ``a + b`` on 4x4 float32 operands that do not require grad."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(SHAPE).astype(np.float32) for _ in range(2))
    calls = {"numpy": functools.partial(np.add, a, b)}
    operands = {"tensorgrad": (tg.tensor(a), tg.tensor(b))}
    if torch is not None:
        operands["torch"] = (torch.tensor(a), torch.tensor(b))
    for name, (x, y) in operands.items():
        if x.requires_grad or y.requires_grad:
            raise RuntimeError(f"row 1: {name} operands require grad")
        np.testing.assert_array_equal(np.asarray((x + y).numpy()), np.add(a, b))
        calls[name] = functools.partial(operator.add, x, y)
    return timing.compare(calls, repeats, min_time)


# ---------------------------------------------------------------------- row 2
def chain_arrays() -> dict[str, np.ndarray]:
    """The leaves of the chain: x (input), w (matmul), b (add), c (in exp), d (decay)."""
    rng = np.random.default_rng(2)
    arrays = {
        "x": rng.standard_normal(SHAPE),
        "w": rng.uniform(-0.5, 0.5, SHAPE),
        "b": rng.uniform(-0.1, 0.1, SHAPE),
        "c": rng.uniform(-1.0, 0.0, SHAPE),
        "d": rng.uniform(0.5, 1.0, SHAPE),
    }
    return {name: array.astype(np.float32) for name, array in arrays.items()}


def chain_forward(x, w, b, c, d):
    """The 100-op chain, written once for tensorgrad and PyTorch tensors."""
    h = x
    for _ in range(BLOCKS):
        z = h @ w
        z = z + b
        z = z.tanh()
        g = z * c
        g = g.exp()
        h = h * d
        h = h + z
        h = h - g
        h = h * 0.5
    return h.sum()


def numpy_chain(x, w, b, c, d):
    """The same chain in NumPy with the backward derived by hand: (loss, gradients)."""
    saved = []
    h = x
    for _ in range(BLOCKS):
        z = h @ w
        z = z + b
        z = np.tanh(z)
        g = z * c
        g = np.exp(g)
        saved.append((h, z, g))
        hd = h * d
        s = hd + z
        s = s - g
        h = s * 0.5
    loss = h.sum()
    grad_w, grad_b, grad_c, grad_d = (np.zeros_like(leaf) for leaf in (w, b, c, d))
    grad_h = np.ones_like(h)  # d(sum)/dh
    for h, z, g in reversed(saved):
        grad_s = grad_h * 0.5  # h = s * 0.5; the add and sub pass grad_s on to z and -g
        grad_d += grad_s * h  # h * d
        grad_g = grad_s * g  # minus sign folded into the updates of c and z below
        grad_c -= grad_g * z  # g = exp(z * c)
        grad_z = grad_s - grad_g * c
        grad_pre = grad_z * (1 - z * z)  # z = tanh(pre)
        grad_b += grad_pre  # pre = h @ w + b
        grad_w += h.T @ grad_pre
        grad_h = grad_s * d
        grad_h += grad_pre @ w.T
    return loss, {"x": grad_h, "w": grad_w, "b": grad_b, "c": grad_c, "d": grad_d}


def framework_chain(lib, arrays: dict[str, np.ndarray]):
    """(call, gradients): one forward + backward of the chain with fresh ``.grad`` each time."""
    leaves = {name: lib.tensor(array, requires_grad=True) for name, array in arrays.items()}
    values = tuple(leaves.values())

    def call():
        for leaf in values:
            leaf.grad = None
        loss = chain_forward(*values)
        loss.backward()
        return loss

    def gradients() -> dict[str, np.ndarray]:
        call()
        return {name: np.asarray(leaf.grad.numpy()) for name, leaf in leaves.items()}

    return call, gradients


def recorded_chain(torch, repeats: int, min_time: float) -> dict[str, float]:
    """Seconds per op of the chain's forward + backward, after checking the gradients."""
    arrays = chain_arrays()
    args = tuple(arrays.values())
    _, expected = numpy_chain(*args)
    calls = {"numpy": functools.partial(numpy_chain, *args)}
    libraries = {"tensorgrad": tg}
    if torch is not None:
        libraries["torch"] = torch
    for name, lib in libraries.items():
        call, gradients = framework_chain(lib, arrays)
        for leaf, grad in gradients().items():
            if grad.dtype != np.float32:
                raise RuntimeError(f"row 2: {name}'s gradient of {leaf} is {grad.dtype}")
            np.testing.assert_allclose(
                grad, expected[leaf], rtol=1e-4, err_msg=f"row 2: {name}, gradient of {leaf}"
            )
        calls[name] = call
    times = timing.compare(calls, repeats, min_time)
    return {name: seconds / CHAIN_OPS for name, seconds in times.items()}


# ---------------------------------------------------------------------- rows 3-5
def training_step(case, torch, repeats: int, min_time: float) -> dict[str, float]:
    """Seconds per training step of one ``bench_mlp`` case, after its agreement check."""
    name, sizes, activation, optimizer, x, labels = case
    steps, reset = bench_mlp.build_steps(sizes, activation, optimizer, x, labels, torch)
    bench_mlp.check_agreement(name, steps)
    return timing.compare(steps, repeats, min_time, reset)


# ---------------------------------------------------------------------- the table
def ratio_target(limit: float):
    def check(tg_ratio: float, torch_ratio: float | None) -> tuple[str, bool | None]:
        return f"≤ {limit:.1f}×", tg_ratio <= limit

    return check


def relative_target(factor: float):
    def check(tg_ratio: float, torch_ratio: float | None) -> tuple[str, bool | None]:
        if torch_ratio is None:
            return f"≤ {factor} × PyTorch's", None
        return f"≤ {factor} × PyTorch's = {factor * torch_ratio:.2f}×", (
            tg_ratio <= factor * torch_ratio
        )

    return check


def row_line(label: str, times: dict[str, float], target) -> str:
    def us(name: str) -> str:
        return f"{timing.format_us(times[name])} µs" if name in times else "—"

    tg_ratio = times["tensorgrad"] / times["numpy"]
    torch_ratio = times["torch"] / times["numpy"] if "torch" in times else None
    target_text, passed = target(tg_ratio, torch_ratio)
    verdict = {True: "**pass**", False: "**miss**", None: "n/a (no PyTorch)"}[passed]
    cells = [
        label,
        us("numpy"),
        us("tensorgrad"),
        us("torch"),
        f"{tg_ratio:.2f}×",
        f"{torch_ratio:.2f}×" if torch_ratio is not None else "—",
        target_text,
        verdict,
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats (~20-30 s)")
    args = parser.parse_args()
    repeats, min_time = (7, 0.08) if args.quick else (21, 0.2)
    torch = bench_mlp.load_torch()
    source, (digits_32, digits_full, mnist_128) = bench_mlp.cases()

    rows = [
        (
            "1. no-grad 4×4 float32 `a + b`",
            lambda: no_grad_add(torch, repeats, min_time),
            ratio_target(2.0),
        ),
        (
            f"2. recorded 4×4 float32 chain, fwd + bwd, per op ({CHAIN_OPS} ops)",
            lambda: recorded_chain(torch, repeats, min_time),
            ratio_target(3.5),
        ),
        (
            "3. digits 64-30-10 sigmoid MLP step, SGD, batch 32",
            lambda: training_step(digits_32, torch, repeats, min_time),
            relative_target(0.9),
        ),
        (
            "4. same, full batch (1078)",
            lambda: training_step(digits_full, torch, repeats, min_time),
            relative_target(0.9),
        ),
        (
            "5. 784-256-128-10 ReLU MLP step, Adam, batch 128",
            lambda: training_step(mnist_128, torch, repeats, min_time),
            relative_target(0.9),
        ),
    ]
    lines = []
    for label, measure, target in rows:
        print(f"timing {label} …", file=sys.stderr, flush=True)
        lines.append(row_line(label, measure(), target))

    torch_text = f"torch {torch.__version__} (1 thread)" if torch else "torch not installed"
    print(
        f"numpy {np.__version__}, {torch_text}, single-threaded BLAS; "
        f"median of {repeats} interleaved repeats{' (--quick)' if args.quick else ''}; "
        f"digits: {source}\n"
    )
    print(
        "| row | NumPy | tensorgrad | PyTorch | tensorgrad ratio | PyTorch ratio "
        "| target | verdict |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
