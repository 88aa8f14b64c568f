"""``tensorgrad.compile``: a compiled training step against hand-written NumPy, eager and PyTorch.

Rows 1-3 are ``bench_mlp.py``'s three MLP steps (the hand-written NumPy step is the floor; the
issue's targets are compiled/NumPy ≤ 1.25 at batch 32, ≤ 1.10 at full batch and ≤ 1.05 for the
784-256-128-10 Adam step). Rows 4-5 are ``bench_rnn.py``'s LSTM step and ``bench_cnn.py``'s
digits CNN step (no hand-written floor: compared with eager tensorgrad and PyTorch).

The compiled step is ``tensorgrad.compile`` of the very same step function the eager column
runs; before timing, the compiled and eager variants are checked to give the same losses for
three steps from the same weights, and every timed round starts the MLP variants from the
initial weights again (``timing.compare``'s ``reset``: a network fitted to its one batch
slows down in subnormal floats). The last column is the one-off cost of the first compiled
call (the recording: an eager step plus the bookkeeping), as a multiple of an eager step.

Single-threaded BLAS, medians of interleaved repeats (``timing.py``); PyTorch with one thread.

Run: ``python benchmarks/bench_compile.py [--quick]``
"""

from __future__ import annotations

import argparse
import copy
import time

import timing  # first: pins BLAS to one thread before NumPy loads

# isort: split
import bench_cnn
import bench_mlp
import bench_rnn
import numpy as np

import tensorgrad as tg

TARGETS = {0: 1.25, 1: 1.10, 2: 1.05}  # row -> compiled/NumPy target


def _same_losses(name: str, eager, compiled) -> None:
    for _ in range(3):
        expected, actual = eager().item(), compiled().item()
        if expected != actual:
            raise RuntimeError(f"{name}: compiled loss {actual} != eager loss {expected}")


def _record_cost(eager, compiled) -> float:
    """Seconds of the first call of ``compiled`` over seconds of a warm call of ``eager``
    (two steps of fresh models)."""
    eager()  # warm
    start = time.perf_counter()
    eager()
    eager_time = time.perf_counter() - start
    start = time.perf_counter()
    compiled()
    return (time.perf_counter() - start) / eager_time


def mlp_rows(torch, repeats: int, min_time: float) -> list:
    _, all_cases = bench_mlp.cases()
    rows = []
    for index, (name, *case) in enumerate(all_cases):
        steps, reset = bench_mlp.build_steps(*case, torch, compiled=True)
        _same_losses(name, steps["tensorgrad"], steps["compiled"])
        times = timing.compare(steps, repeats, min_time, reset)
        fresh, _ = bench_mlp.build_steps(*case, None, compiled=True)
        record = _record_cost(fresh["tensorgrad"], fresh["compiled"])
        rows.append((name, times, record, TARGETS[index]))
    return rows


def module_rows(torch, repeats: int, min_time: float) -> list:
    rng = np.random.default_rng(0)
    sequences = rng.standard_normal((bench_rnn.STEPS, bench_rnn.BATCH, bench_rnn.FEATURES))
    images = rng.standard_normal((64, 1, 8, 8))
    cases = (
        (
            "LSTM(64, 128), 32 steps, b 32",
            lambda lib: bench_rnn.sequence_classifier(lib, "LSTM"),
            sequences.astype(np.float32),
            rng.integers(0, 10, bench_rnn.BATCH),
        ),
        (
            "digits CNN, batch 64",
            bench_cnn.digits_cnn,
            images.astype(np.float32),
            rng.integers(0, 10, 64),
        ),
    )
    rows = []
    for name, build, inputs, labels in cases:
        base = build(tg)

        def make_step(compiled: bool, base=base, inputs=inputs, labels=labels):
            step = timing.sgd_step(tg, copy.deepcopy(base), inputs, labels)
            return tg.compile(step) if compiled else step

        _same_losses(name, make_step(False), make_step(True))
        steps = {"tensorgrad": make_step(False), "compiled": make_step(True)}
        if torch is not None:
            steps["torch"] = timing.sgd_step(torch, build(torch), inputs, labels)
        times = timing.compare(steps, repeats, min_time)
        rows.append((name, times, _record_cost(make_step(False), make_step(True)), None))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args()
    repeats, min_time = (5, 0.05) if args.quick else (15, 0.2)
    torch = bench_mlp.load_torch()
    rows = mlp_rows(torch, repeats, min_time) + module_rows(torch, repeats, min_time)
    print(f"numpy {np.__version__}, single-threaded BLAS, median of {repeats} repeats")
    print(
        "| one training step | NumPy by hand (µs) | eager (µs) | compiled (µs) | PyTorch (µs) "
        "| eager ÷ NumPy | compiled ÷ NumPy | target | compiled ÷ PyTorch | record ÷ eager |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for name, times, record, target in rows:
        numpy_time, torch_time = times.get("numpy"), times.get("torch")

        def ratio(key, base, times=times):
            return "—" if base is None else f"{times[key] / base:.2f}×"

        verdict = "—"
        if target is not None:
            passed = times["compiled"] / numpy_time <= target
            verdict = f"≤ {target}× ({'pass' if passed else 'miss'})"
        print(
            f"| {name} | {timing.format_us(numpy_time) if numpy_time else '—'} "
            f"| {timing.format_us(times['tensorgrad'])} | {timing.format_us(times['compiled'])} "
            f"| {timing.format_us(torch_time) if torch_time else '—'} "
            f"| {ratio('tensorgrad', numpy_time)} | {ratio('compiled', numpy_time)} | {verdict} "
            f"| {ratio('compiled', torch_time)} | {record:.1f}× |"
        )


if __name__ == "__main__":
    main()
