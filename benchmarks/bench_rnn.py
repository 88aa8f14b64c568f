"""One LSTM training step (forward, backward, SGD update): tensorgrad vs PyTorch 2.13.

The model, written once against the PyTorch API and run by both libraries with the same
weights (copied from PyTorch): ``LSTM(64, 128)`` over 32 time steps, batch 32, the last step's
output into ``Linear(128, 10)``, cross-entropy. A GRU and a two-layer bidirectional LSTM of
the same sizes are measured alongside for the record.

Both libraries compute the same first loss (checked) before timing. Target (issue 11): the
LSTM step within 2.0× of PyTorch's. Single-threaded BLAS, medians of interleaved repeats
(``timing.py``).

Run: ``python benchmarks/bench_rnn.py [--quick]``
"""

from __future__ import annotations

import argparse

import timing  # first: pins BLAS to one thread before NumPy loads

# isort: split
import numpy as np

import tensorgrad as tg

STEPS, BATCH, FEATURES, HIDDEN, CLASSES = 32, 32, 64, 128, 10


def sequence_classifier(lib, layer: str, **options):
    """A recurrent layer, then a Linear head on the last step's output."""
    nn = lib.nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.recurrent = getattr(nn, layer)(FEATURES, HIDDEN, **options)
            directions = 2 if options.get("bidirectional") else 1
            self.head = nn.Linear(directions * HIDDEN, CLASSES)

        def forward(self, x):
            output, _ = self.recurrent(x)
            return self.head(output[-1])

    return Classifier()


CASES = (
    ("LSTM(64, 128)", "LSTM", {}, 2.0),
    ("GRU(64, 128)", "GRU", {}, None),
    (
        "LSTM(64, 128, num_layers=2, bidirectional)",
        "LSTM",
        {"num_layers": 2, "bidirectional": True},
        None,
    ),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    repeats, min_time = (5, 0.1) if args.quick else (15, 0.3)
    rng = np.random.default_rng(0)
    sequences = rng.standard_normal((STEPS, BATCH, FEATURES)).astype(np.float32)
    labels = rng.integers(0, CLASSES, BATCH)
    print(f"{STEPS} steps, batch {BATCH}, Linear head, SGD step")
    print("| layer | tensorgrad (µs) | PyTorch 2.13 (µs) | tensorgrad ÷ PyTorch | target |")
    print("|---|---:|---:|---:|---|")
    for name, layer, options, target in CASES:
        torch.manual_seed(0)
        theirs = sequence_classifier(torch, layer, **options)
        ours = sequence_classifier(tg, layer, **options)
        ours.load_state_dict(
            {k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
        )
        steps = {
            "tensorgrad": timing.sgd_step(tg, ours, sequences, labels),
            "torch": timing.sgd_step(torch, theirs, sequences, labels),
        }
        first = {key: step().item() for key, step in steps.items()}
        assert abs(first["tensorgrad"] - first["torch"]) < 1e-4, first
        times = timing.compare(steps, repeats, min_time)
        ratio = times["tensorgrad"] / times["torch"]
        verdict = (
            "—" if target is None else f"≤ {target}× ({'pass' if ratio <= target else 'miss'})"
        )
        print(
            f"| {name} | {timing.format_us(times['tensorgrad'])} | "
            f"{timing.format_us(times['torch'])} | {ratio:.2f}× | {verdict} |"
        )


if __name__ == "__main__":
    main()
