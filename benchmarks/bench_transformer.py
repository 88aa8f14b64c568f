"""One Transformer training step (forward, backward, SGD update): tensorgrad vs PyTorch 2.13.

The network, written once against the PyTorch API and run by both libraries with the same
weights (copied from PyTorch) and the same batch: ``TransformerEncoderLayer(128, 4, 256,
dropout=0, batch_first=True)`` over 16 sequences of 64 random 128-dim tokens, mean-pooled
over the sequence, then ``Linear(128, 10)`` and cross-entropy.

Both libraries compute the same first loss (checked) before timing. Target (issue 11): the
tensorgrad step within 2.0× of PyTorch's. Single-threaded BLAS, medians of interleaved
repeats (``timing.py``).

Run: ``python benchmarks/bench_transformer.py [--quick]``
"""

from __future__ import annotations

import argparse

import timing  # first: pins BLAS to one thread before NumPy loads

# isort: split
import numpy as np

import tensorgrad as tg

BATCH, LENGTH, D_MODEL, HEADS, FEEDFORWARD, CLASSES = 16, 64, 128, 4, 256, 10


def classifier(lib):
    nn = lib.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.TransformerEncoderLayer(
                D_MODEL, HEADS, FEEDFORWARD, dropout=0.0, batch_first=True
            )
            self.head = nn.Linear(D_MODEL, CLASSES)

        def forward(self, x):
            return self.head(self.encoder(x).mean(1))

    return Classifier()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    parser.add_argument("--profile", action="store_true", help="cProfile tensorgrad's step")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    repeats, min_time = (5, 0.2) if args.quick else (15, 0.5)
    rng = np.random.default_rng(0)
    theirs = classifier(torch)
    ours = classifier(tg)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    tokens = rng.standard_normal((BATCH, LENGTH, D_MODEL)).astype(np.float32)
    labels = rng.integers(0, CLASSES, BATCH)
    steps = {
        "tensorgrad": timing.sgd_step(tg, ours, tokens, labels, momentum=0.9),
        "torch": timing.sgd_step(torch, theirs, tokens, labels, momentum=0.9),
    }
    first = {key: step().item() for key, step in steps.items()}
    assert abs(first["tensorgrad"] - first["torch"]) < 1e-4, first
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(lambda: [steps["tensorgrad"]() for _ in range(50)])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    times = timing.compare(steps, repeats, min_time)
    ratio = times["tensorgrad"] / times["torch"]
    verdict = "pass" if ratio <= 2.0 else "miss"
    print("| network | tensorgrad (µs) | PyTorch 2.13 (µs) | tensorgrad ÷ PyTorch | target |")
    print("|---|---:|---:|---:|---|")
    print(
        f"| TransformerEncoderLayer(128, 4, 256), batch 16 × 64 tokens | "
        f"{timing.format_us(times['tensorgrad'])} | {timing.format_us(times['torch'])} | "
        f"{ratio:.2f}× | ≤ 2.0× ({verdict}) |"
    )


if __name__ == "__main__":
    main()
