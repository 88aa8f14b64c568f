"""Timing helpers shared by the benchmarks: interleaved repeats, median per call.

Import this module before NumPy: it pins every BLAS/OpenMP pool to one thread, so that
tensorgrad, hand-written NumPy and PyTorch all run the same single-threaded kernels and the
ratios measure framework overhead, not thread scheduling.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

__all__ = ["compare", "format_us", "sgd_step"]


def _calls_per_run(function: Callable[[], object], min_time: float) -> int:
    """How many calls make one timed run last at least ``min_time`` seconds."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            function()
        if time.perf_counter() - start >= min_time or number >= 1 << 20:
            return number
        number *= 2


def compare(
    functions: dict[str, Callable[[], object]],
    repeats: int,
    min_time: float,
    reset: Callable[[], object] | None = None,
) -> dict[str, float]:
    """Median seconds per call of each function, timed in interleaved rounds.

    Each function is warmed up and calibrated first; then every round times each function
    once (``min_time`` seconds or more), so that a burst of load from another process hits
    all the variants alike instead of skewing one ratio. ``reset()``, when given, runs before
    every round, untimed, and puts the variants back in their starting state: a training step
    repeated on one batch slows down as the network fits it (its gradients underflow into
    subnormal floats, which the CPU computes in microcode; 2.9 → 4.8 ms per Adam step of
    ``bench_mlp``'s third case over 800 steps), so without it a ratio would depend on how many
    steps each variant had taken.
    """
    numbers = {name: _calls_per_run(function, min_time) for name, function in functions.items()}
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        if reset is not None:
            reset()
        for name, function in functions.items():
            number = numbers[name]
            start = time.perf_counter()
            for _ in range(number):
                function()
            samples[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(values) for name, values in samples.items()}


def format_us(seconds: float) -> str:
    """Seconds as microseconds with a precision that suits the size."""
    microseconds = seconds * 1e6
    if microseconds < 10:
        return f"{microseconds:.2f}"
    if microseconds < 1000:
        return f"{microseconds:.1f}"
    return f"{microseconds:.0f}"


def sgd_step(lib, model, inputs, labels, momentum: float = 0.0) -> Callable[[], object]:
    """One training step of ``model`` on fixed data, written once for both libraries
    (``lib`` is tensorgrad or torch): cross-entropy, backward, SGD (lr 0.01); returns the loss."""
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=momentum)
    x, y = lib.tensor(inputs), lib.tensor(labels)

    def step():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    return step
