"""GPU steps: tensorgrad on CuPy against PyTorch CUDA, and both against their CPU selves.

Two MNIST-sized training steps (forward, backward, optimizer update), as the issue asks:

1. **MLP**: 784-256-128-10 ReLU, Adam, batch 128 (the network of ``bench_mlp.py``'s third row);
2. **CNN**: LeNet-5 as ``bench_cnn.py`` builds it, Adam, batch 128, 1×28×28 inputs.

Each row times tensorgrad and PyTorch on ``cuda`` (and on the CPU for reference) on the same
random data; a GPU step is timed to ``synchronize()``, so queued kernels are counted. Medians
of interleaved rounds, in milliseconds per step. Without a GPU it says so and exits 0.

Run: ``python benchmarks/bench_cuda.py [--quick]``
"""

from __future__ import annotations

import argparse
import sys

import timing  # first: pins BLAS to one thread before NumPy loads

# isort: split
import numpy as np
from bench_cnn import lenet5

import tensorgrad

try:
    import torch
except ImportError:  # the PyTorch columns are left out
    torch = None


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )


def make_step(lib, build, shape, device: str):
    """A training step on ``device`` for ``lib`` (tensorgrad or torch), synchronised."""
    lib.manual_seed(0)
    model = build(lib).to(device)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    inputs = lib.tensor(rng.standard_normal(shape).astype(np.float32)).to(device)
    labels = lib.tensor(rng.integers(0, 10, shape[0])).to(device)
    synchronize = lib.cuda.synchronize if device == "cuda" else (lambda: None)

    def step():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
        synchronize()

    return step


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args(argv)
    if not tensorgrad.cuda.is_available():
        print("no GPU (or no CuPy): nothing to measure; pip install 'tensorgrad[cuda]'")
        return 0
    libraries = {"tensorgrad": tensorgrad}
    if torch is not None and torch.cuda.is_available():
        libraries["torch"] = torch
    rows = [("MLP 784-256-128-10, Adam, batch 128", mlp, (128, 784))]
    rows.append(("LeNet-5, Adam, batch 128", lenet5, (128, 1, 28, 28)))
    rounds = 3 if args.quick else 9
    print(f"GPU: {tensorgrad.cuda.get_device_name()}", file=sys.stderr)
    print("| step | " + " | ".join(f"{name} {d}" for name in libraries for d in ("cuda", "cpu")))
    print("|---|" + "---:|" * (2 * len(libraries)))
    for title, build, shape in rows:
        steps = {
            f"{name} {device}": make_step(lib, build, shape, device)
            for name, lib in libraries.items()
            for device in ("cuda", "cpu")
        }
        for step in steps.values():  # warm up: CuPy compiles its kernels on first use
            step()
        times = timing.compare(steps, repeats=rounds, min_time=0.2)
        cells = " | ".join(f"{times[key] * 1e3:.2f} ms" for key in steps)
        print(f"| {title} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
