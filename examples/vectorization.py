"""Why vectorise: one forward pass of a 100-100-50-10 sigmoid network, three ways.

The step-by-step tutorial times a forward pass written with nested Python loops (one neuron,
one weight at a time) against the vectorised ``z = W·h + b``: 41 ms against 84 µs, about 500×.
We time the loops, hand-written NumPy, and tensorgrad (recording the graph, and under no_grad).

    python examples/vectorization.py --out runs/vectorization
"""

from __future__ import annotations

import math
import timeit

import numpy as np
from _common import output_folder, parser, pyplot, write_metrics

import tensorgrad as tg

LAYER_SIZES = (100, 100, 50, 10)


def loop_forward(weights, biases, x):
    """Per-neuron, per-weight Python loops, as in the tutorial's first version."""
    h = list(x)
    for weight, bias in zip(weights, biases):
        z = []
        for row, b in zip(weight, bias):
            total = b
            for w, value in zip(row, h):
                total += w * value
            z.append(total)
        h = [1 / (1 + math.exp(-value)) for value in z]
    return h


def numpy_forward(weights, biases, x):
    """``h = sigmoid(W·h + b)`` layer by layer, with NumPy."""
    h = x
    for weight, bias in zip(weights, biases):
        h = 1 / (1 + np.exp(-(weight @ h + bias)))
    return h


def tensorgrad_forward(weights, biases, x):
    """The same with tensorgrad tensors."""
    h = x
    for weight, bias in zip(weights, biases):
        h = (weight @ h + bias).sigmoid()
    return h


def best_time(function, repeats: int) -> float:
    """Best of 5 rounds of ``repeats`` calls, in seconds per call."""
    return min(timeit.repeat(function, number=repeats, repeat=5)) / repeats


def main(argv=None) -> dict:
    args = parser(__doc__.splitlines()[0], epochs=0, lr=0.0, out="runs/vectorization").parse_args(
        argv
    )
    rng = np.random.default_rng(args.seed)
    weights = [
        rng.standard_normal((n_out, n_in)) for n_in, n_out in zip(LAYER_SIZES, LAYER_SIZES[1:])
    ]
    biases = [rng.standard_normal(n_out) for n_out in LAYER_SIZES[1:]]
    x = rng.standard_normal(LAYER_SIZES[0])
    lists = ([w.tolist() for w in weights], [b.tolist() for b in biases], x.tolist())
    tensors_grad = (
        [tg.tensor(w, requires_grad=True) for w in weights],
        [tg.tensor(b, requires_grad=True) for b in biases],
        tg.tensor(x),
    )
    tensors_plain = ([tg.tensor(w) for w in weights], [tg.tensor(b) for b in biases], tg.tensor(x))

    reference = numpy_forward(weights, biases, x)
    assert np.allclose(loop_forward(*lists), reference)
    assert np.allclose(tensorgrad_forward(*tensors_grad).detach().numpy(), reference)

    repeats = 2 if args.fast else 10
    timings = {
        "python_loops": best_time(lambda: loop_forward(*lists), repeats),
        "numpy": best_time(lambda: numpy_forward(weights, biases, x), repeats * 100),
        "tensorgrad_recording": best_time(lambda: tensorgrad_forward(*tensors_grad), repeats * 100),
        "tensorgrad_no_grad": best_time(
            tg.no_grad()(lambda: tensorgrad_forward(*tensors_plain)), repeats * 100
        ),
    }
    metrics = {f"{name}_us": seconds * 1e6 for name, seconds in timings.items()}
    metrics["loops_over_numpy"] = timings["python_loops"] / timings["numpy"]
    folder = output_folder(args.out)
    write_metrics(folder, metrics)

    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 3))
    names = list(timings)
    axis.barh(names, [timings[n] * 1e6 for n in names])
    axis.set_xscale("log")
    axis.set_xlabel("µs per forward pass (log scale)")
    figure.tight_layout()
    figure.savefig(folder / "timings.png", dpi=120)
    plt.close(figure)

    print(f"{'forward pass of 100-100-50-10':34s} {'µs':>10s} {'× NumPy':>9s}")
    for name, seconds in timings.items():
        print(f"{name:34s} {seconds * 1e6:10.1f} {seconds / timings['numpy']:9.1f}")
    print(f"wrote {folder / 'metrics.json'} and {folder / 'timings.png'}")
    return metrics


if __name__ == "__main__":
    main()
