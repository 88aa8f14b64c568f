"""One CNN training step (forward, backward, SGD update): tensorgrad vs PyTorch 2.13.

Two networks, written once against the PyTorch API and run by both libraries with the same
weights (copied from PyTorch) and the same batch of 64 random images:

* the digits CNN: 1×8×8 → Conv2d(1,16,3,p=1) → ReLU → Conv2d(16,32,3,p=1) → ReLU →
  MaxPool2d(2) → Flatten → Linear(512,10);
* LeNet-5 on 1×28×28: Conv2d(1,6,5,p=2) → ReLU → MaxPool2d(2) → Conv2d(6,16,5) → ReLU →
  MaxPool2d(2) → Flatten → Linear(400,120) → ReLU → Linear(120,84) → ReLU → Linear(84,10).

Both libraries compute the same first loss (checked) before timing. Target (issue 10): each
tensorgrad step within 2.0× of PyTorch's. Single-threaded BLAS, medians of interleaved
repeats (``timing.py``).

Run: ``python benchmarks/bench_cnn.py [--quick]``
"""

from __future__ import annotations

import argparse

import timing  # first: pins BLAS to one thread before NumPy loads

# isort: split
import numpy as np

import tensorgrad as tg


def digits_cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(512, 10),
    )


def lenet5(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    repeats, min_time = (5, 0.1) if args.quick else (15, 0.3)
    rng = np.random.default_rng(0)
    print(
        "| network, batch 64 | tensorgrad (µs) | PyTorch 2.13 (µs) | tensorgrad ÷ PyTorch "
        "| target |"
    )
    print("|---|---:|---:|---:|---|")
    for name, build, side in (
        ("digits CNN (1×8×8)", digits_cnn, 8),
        ("LeNet-5 (1×28×28)", lenet5, 28),
    ):
        theirs = build(torch)
        ours = build(tg)
        ours.load_state_dict(
            {k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
        )
        images = rng.standard_normal((64, 1, side, side)).astype(np.float32)
        labels = rng.integers(0, 10, 64)
        steps = {
            "tensorgrad": timing.sgd_step(tg, ours, images, labels, momentum=0.9),
            "torch": timing.sgd_step(torch, theirs, images, labels, momentum=0.9),
        }
        first = {key: step().item() for key, step in steps.items()}
        assert abs(first["tensorgrad"] - first["torch"]) < 1e-4, first
        times = timing.compare(steps, repeats, min_time)
        ratio = times["tensorgrad"] / times["torch"]
        verdict = "pass" if ratio <= 2.0 else "miss"
        print(
            f"| {name} | {timing.format_us(times['tensorgrad'])} | "
            f"{timing.format_us(times['torch'])} | {ratio:.2f}× | ≤ 2.0× ({verdict}) |"
        )


if __name__ == "__main__":
    main()
