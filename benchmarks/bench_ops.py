"""Per-op overhead of tensorgrad against raw NumPy on tiny (4x4) float64 arrays.

For each op, three tensorgrad timings against the NumPy work they wrap:

* no-grad forward (inputs that do not require grad) vs the bare NumPy call;
* recording forward (inputs that require grad) and what recording adds over no-grad;
* forward + ``backward(gradient)`` vs NumPy doing the same forward, the hand-derived
  backward and the accumulation into preallocated ``.grad`` buffers.

Then a deep chain (10,000 alternating ``mul``/``add`` nodes): recording time and backward
time per node, against NumPy's hand-written backward of the same chain.

All numbers come from one process, as medians of interleaved repeats (see ``timing.py``);
on a shared machine they are noisy to ±10-20 %, so read the ratios, not the last digit.

Run: ``python benchmarks/bench_ops.py [--quick]``
"""

from __future__ import annotations

import argparse
import time
from statistics import median

import timing  # first: pins BLAS to one thread before NumPy loads

# isort: split
import numpy as np

import tensorgrad as tg

SHAPE = (4, 4)


def _numpy_cases(a, b, grad_a, grad_b):
    """op name → (NumPy forward, NumPy forward + hand-written backward + accumulate)."""
    ones = np.ones(SHAPE)
    ones_row = np.ones(SHAPE[1])
    ones_flat = np.ones(a.size)
    one = np.ones(())

    def add_backward():
        a + b
        np.add(grad_a, ones, out=grad_a)
        np.add(grad_b, ones, out=grad_b)

    def mul_backward():
        a * b
        np.add(grad_a, ones * b, out=grad_a)
        np.add(grad_b, ones * a, out=grad_b)

    def matmul_backward():
        a @ b
        np.add(grad_a, ones @ b.T, out=grad_a)
        np.add(grad_b, a.T @ ones, out=grad_b)

    def exp_backward():
        out = np.exp(a)
        np.add(grad_a, ones * out, out=grad_a)

    def sum_backward():
        a.sum()
        np.add(grad_a, np.broadcast_to(one, a.shape), out=grad_a)

    def relu_backward():
        out = np.maximum(a, 0)
        np.add(grad_a, ones * (out > 0), out=grad_a)

    def reshape_backward():
        a.reshape(a.size)
        np.add(grad_a, ones_flat.reshape(a.shape), out=grad_a)

    def getitem_backward():
        a[1]
        scattered = np.zeros_like(a)
        scattered[1] = ones_row
        np.add(grad_a, scattered, out=grad_a)

    return {
        "add": (lambda: a + b, add_backward),
        "mul": (lambda: a * b, mul_backward),
        "matmul": (lambda: a @ b, matmul_backward),
        "exp": (lambda: np.exp(a), exp_backward),
        "sum": (lambda: a.sum(), sum_backward),
        "relu": (lambda: np.maximum(a, 0), relu_backward),
        "reshape": (lambda: a.reshape(a.size), reshape_backward),
        "getitem": (lambda: a[1], getitem_backward),
    }


# op name → tensorgrad forward of (x, y); y is ignored by unary ops.
TENSORGRAD_OPS = {
    "add": lambda x, y: x + y,
    "mul": lambda x, y: x * y,
    "matmul": lambda x, y: x @ y,
    "exp": lambda x, y: x.exp(),
    "sum": lambda x, y: x.sum(),
    "relu": lambda x, y: x.relu(),
    "reshape": lambda x, y: x.reshape(16),
    "getitem": lambda x, y: x[1],
}


def bench_ops(repeats: int, min_time: float) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(SHAPE), rng.standard_normal(SHAPE)
    numpy_cases = _numpy_cases(a, b, np.zeros(SHAPE), np.zeros(SHAPE))
    plain = (tg.tensor(a), tg.tensor(b))
    leaves = (tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True))

    header = (
        f"{'op':<8} {'numpy':>7} {'no-grad':>8} {'x np':>6} {'record':>8} {'x np':>6} "
        f"{'+rec':>6} │ {'np f+b':>7} {'tg f+b':>8} {'x np':>6}"
    )
    print("per-op time on 4x4 float64, µs (x np = ratio to the NumPy column on its left)")
    print(header)
    print("─" * len(header))
    for name, function in TENSORGRAD_OPS.items():
        numpy_forward, numpy_forward_backward = numpy_cases[name]
        out_grad = tg.tensor(np.ones_like(numpy_forward()))

        def forward_backward(function=function, out_grad=out_grad):
            function(*leaves).backward(out_grad)

        times = timing.compare(
            {
                "numpy": numpy_forward,
                "no_grad": lambda function=function: function(*plain),
                "record": lambda function=function: function(*leaves),
                "numpy_fb": numpy_forward_backward,
                "tg_fb": forward_backward,
            },
            repeats,
            min_time,
        )
        us = {key: timing.format_us(value) for key, value in times.items()}
        print(
            f"{name:<8} {us['numpy']:>7} {us['no_grad']:>8} "
            f"{times['no_grad'] / times['numpy']:>6.1f} {us['record']:>8} "
            f"{times['record'] / times['numpy']:>6.1f} "
            f"{(times['record'] - times['no_grad']) * 1e6:>+6.2f} │ "
            f"{us['numpy_fb']:>7} {us['tg_fb']:>8} {times['tg_fb'] / times['numpy_fb']:>6.1f}"
        )


def bench_chain(length: int, repeats: int) -> None:
    """Record and backpropagate through ``length`` alternating mul/add nodes."""
    rng = np.random.default_rng(1)
    w_array, c_array = rng.uniform(0.9, 1.1, SHAPE), rng.standard_normal(SHAPE)
    w, c = tg.tensor(w_array), tg.tensor(c_array)
    seed = tg.tensor(np.ones(SHAPE))

    def numpy_backward():
        grad = np.ones(SHAPE)
        for _ in range(length // 2):
            grad = grad * w_array  # the add node passes its gradient through unchanged
        return grad

    record_times, backward_times, numpy_times = [], [], []
    for _ in range(repeats + 1):  # the first round is a warm-up
        x = tg.tensor(rng.standard_normal(SHAPE), requires_grad=True)
        start = time.perf_counter()
        y = x
        for _ in range(length // 2):
            y = y * w + c
        recorded = time.perf_counter()
        y.backward(seed)
        done = time.perf_counter()
        del y  # free the graph outside the timed region
        start_numpy = time.perf_counter()
        numpy_backward()
        numpy_times.append(time.perf_counter() - start_numpy)
        record_times.append(recorded - start)
        backward_times.append(done - recorded)
    record, backward, numpy_time = (
        median(times[1:]) / length for times in (record_times, backward_times, numpy_times)
    )
    print(f"\ndeep chain: {length} nodes (alternating mul/add on 4x4), µs per node")
    print(f"  forward, recording   {timing.format_us(record):>7}")
    print(
        f"  backward             {timing.format_us(backward):>7}   "
        f"(NumPy hand-written backward {timing.format_us(numpy_time)} per node, "
        f"x{backward / numpy_time:.1f})"
    )
    print(f"  backward total       {backward * length * 1e3:>7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats (~10 s)")
    args = parser.parse_args()
    repeats, min_time = (5, 0.02) if args.quick else (15, 0.05)
    print(f"numpy {np.__version__}, single-threaded BLAS, median of {repeats} interleaved repeats")
    bench_ops(repeats, min_time)
    bench_chain(10_000, 3 if args.quick else 9)


if __name__ == "__main__":
    main()
