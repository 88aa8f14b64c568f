"""One MLP training step: tensorgrad vs the same network in hand-written NumPy vs PyTorch.

Three cases (float32, cross-entropy on the logits, one step = forward, backward, update):

* 64-30-10 sigmoid MLP, SGD (lr 0.1), scikit-learn digits (random data of the same shape if
  scikit-learn is missing) at batch 32 and at full batch (1078 rows = 60 % of 1797);
* 784-256-128-10 ReLU MLP, Adam (lr 1e-3), batch 128 of MNIST-shaped random data.

The hand-written NumPy step is the floor: the same BLAS calls with the backward derived by
hand and in-place updates. PyTorch runs when installed, with one thread. Every variant
starts from the same weights, and two steps of each are compared before timing, so the three
really compute the same thing. Ratios come from one process (medians of interleaved repeats);
on a shared machine expect ±10 % noise.

The tensorgrad and PyTorch variants are one class written against PyTorch's API
(``nn.Linear``, ``optim``, ``nn.functional.cross_entropy``). Every timed round starts all
variants from the initial weights again (``timing.compare``'s ``reset``).

Run: ``python benchmarks/bench_mlp.py [--quick]``
"""

from __future__ import annotations

import argparse
import functools
import math
from itertools import pairwise

import timing  # first: pins BLAS to one thread before NumPy loads

# isort: split
import numpy as np

import tensorgrad as tg

LEARNING_RATES = {"sgd": 0.1, "adam": 1e-3}
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8


def initial_weights(sizes: list[int], seed: int) -> list[np.ndarray]:
    """[W1, b1, W2, b2, …] with PyTorch's Linear layout (out, in) and default init range."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in pairwise(sizes):
        bound = 1 / math.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


# ---------------------------------------------------------------------- hand-written NumPy
class NumpyMLP:
    """The floor: forward, hand-derived backward and in-place updates, nothing else."""

    def __init__(self, weights, activation: str, optimizer: str):
        self.initial = weights
        self.params = [w.copy() for w in weights]
        self.activation, self.optimizer = activation, optimizer
        self.lr = LEARNING_RATES[optimizer]
        self.moments = [(np.zeros_like(p), np.zeros_like(p)) for p in self.params]
        self.steps = 0

    def reset(self) -> None:
        """Back to the initial weights and a fresh optimizer, in place."""
        for p, w, (m, v) in zip(self.params, self.initial, self.moments, strict=True):
            p[...] = w
            m.fill(0)
            v.fill(0)
        self.steps = 0

    def step(self, x: np.ndarray, labels: np.ndarray) -> np.floating:
        params, n = self.params, len(x)
        activations, pre_activations = [x], []
        for i in range(0, len(params) - 2, 2):
            z = activations[-1] @ params[i].T
            z += params[i + 1]
            pre_activations.append(z)
            if self.activation == "sigmoid":
                activations.append(1 / (1 + np.exp(-z)))
            else:
                activations.append(np.maximum(z, 0))
        logits = activations[-1] @ params[-2].T
        logits += params[-1]
        # softmax cross-entropy, and its fused gradient (softmax - onehot) / n
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = np.log(total).mean() - logits[rows, labels].mean()
        grad = exp / total
        grad[rows, labels] -= 1
        grad /= n
        grads = [None] * len(params)
        for i in range(len(params) - 2, -1, -2):
            grads[i], grads[i + 1] = grad.T @ activations[i // 2], grad.sum(axis=0)
            if i == 0:
                break
            grad = grad @ params[i]
            if self.activation == "sigmoid":
                h = activations[i // 2]
                grad *= h * (1 - h)
            else:
                grad *= pre_activations[i // 2 - 1] > 0
        self._update(grads)
        return loss

    def _update(self, grads) -> None:
        if self.optimizer == "sgd":
            for p, g in zip(self.params, grads, strict=True):
                g *= self.lr
                p -= g
            return
        self.steps += 1
        (beta1, beta2), t = ADAM_BETAS, self.steps
        step_size = self.lr / (1 - beta1**t)
        root_correction = math.sqrt(1 - beta2**t)
        for p, g, (m, v) in zip(self.params, grads, self.moments, strict=True):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            denominator = np.sqrt(v)
            denominator /= root_correction
            denominator += ADAM_EPS
            p -= step_size * m / denominator


# ---------------------------------------------------------------------- PyTorch-style API
class FrameworkMLP:
    """The network written once against PyTorch's API, run by ``torch`` or ``tensorgrad``."""

    def __init__(self, lib, weights, activation: str, optimizer: str):
        self.lib, self.initial = lib, weights
        self.layers = [lib.nn.Linear(weight.shape[1], weight.shape[0]) for weight in weights[::2]]
        parameters = [p for layer in self.layers for p in layer.parameters()]
        lr = LEARNING_RATES[optimizer]
        if optimizer == "sgd":
            self.optimizer = lib.optim.SGD(parameters, lr=lr)
        else:
            self.optimizer = lib.optim.Adam(parameters, lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS)
        self.activation = getattr(lib, activation)
        self.reset()

    def reset(self) -> None:
        """Back to the initial weights and a fresh optimizer, in place (a compiled step's
        record stays valid)."""
        lib = self.lib
        with lib.no_grad():
            for layer, weight, bias in zip(
                self.layers, self.initial[::2], self.initial[1::2], strict=True
            ):
                layer.weight.copy_(lib.tensor(weight))
                layer.bias.copy_(lib.tensor(bias))
            for state in self.optimizer.state.values():
                for value in state.values():
                    if isinstance(value, lib.Tensor):
                        value.zero_()

    def step(self, x, labels):
        h = x
        for layer in self.layers[:-1]:
            h = self.activation(layer(h))
        loss = self.lib.nn.functional.cross_entropy(self.layers[-1](h), labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss


def load_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


# ---------------------------------------------------------------------- the cases
def digits_data() -> tuple[np.ndarray, np.ndarray, str]:
    """The first 1078 (60 %) of scikit-learn's digits, scaled to [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        rng = np.random.default_rng(0)
        features, labels = rng.uniform(0, 1, (1797, 64)), rng.integers(0, 10, 1797)
        source = "random digits-shaped data (scikit-learn not installed)"
    else:
        digits = load_digits()
        features, labels, source = digits.data / 16, digits.target, "scikit-learn digits"
    return features[:1078].astype(np.float32), labels[:1078].astype(np.int64), source


def cases():
    features, labels, source = digits_data()
    rng = np.random.default_rng(1)
    mnist_x = rng.uniform(0, 1, (128, 784)).astype(np.float32)
    mnist_y = rng.integers(0, 10, 128)
    digits = ([64, 30, 10], "sigmoid", "sgd")
    return source, [
        ("64-30-10 sigmoid SGD, batch 32", *digits, features[:32], labels[:32]),
        ("64-30-10 sigmoid SGD, batch 1078", *digits, features, labels),
        ("784-256-128-10 ReLU Adam, b 128", [784, 256, 128, 10], "relu", "adam", mnist_x, mnist_y),
    ]


def build_steps(sizes, activation, optimizer, x, labels, torch, compiled: bool = False):
    """``(steps, reset)``: ``steps`` maps a variant ("numpy", "tensorgrad", "compiled" when
    ``compiled``: ``tensorgrad.compile`` of the same step, "torch" when ``torch`` is given) to
    a zero-argument callable running one training step; all start from the same weights, and
    ``reset()`` puts them back there (see ``timing.compare``)."""
    weights = initial_weights(sizes, seed=len(sizes))
    numpy_model = NumpyMLP(weights, activation, optimizer)
    models = {"numpy": numpy_model}
    steps = {"numpy": functools.partial(numpy_model.step, x, labels)}
    frameworks = [("tensorgrad", tg, None)]
    if compiled:
        frameworks.append(("compiled", tg, tg.compile))
    if torch is not None:
        frameworks.append(("torch", torch, None))
    for name, lib, wrap in frameworks:
        model = FrameworkMLP(lib, weights, activation, optimizer)
        step = model.step if wrap is None else wrap(model.step)
        models[name] = model
        steps[name] = functools.partial(step, lib.tensor(x), lib.tensor(labels))

    def reset():
        for model in models.values():
            model.reset()

    return steps, reset


def check_agreement(name: str, steps: dict) -> None:
    """Two steps of each variant from the same weights must give the same second loss."""
    losses = {}
    for variant, step in steps.items():
        step()
        losses[variant] = step().item()
    spread = max(losses.values()) - min(losses.values())
    if spread > 1e-4 * max(1.0, abs(losses["numpy"])):
        raise RuntimeError(f"{name}: the variants disagree after two steps: {losses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter repeats (~15 s)")
    args = parser.parse_args()
    repeats, min_time = (5, 0.05) if args.quick else (15, 0.2)
    torch = load_torch()
    source, all_cases = cases()
    print(f"numpy {np.__version__}, single-threaded BLAS, float32, median of {repeats} repeats")
    print(f"digits data: {source}")
    print(f"torch: {torch.__version__ + ' (1 thread)' if torch else 'not installed'}")
    header = f"{'one training step':<34} {'numpy µs':>9} {'tg µs':>9} {'tg/np':>6}"
    if torch is not None:
        header += f" {'torch µs':>9} {'torch/np':>8} {'tg/torch':>8}"
    print(header)
    print("─" * len(header))
    for name, sizes, activation, optimizer, x, labels in all_cases:
        steps, reset = build_steps(sizes, activation, optimizer, x, labels, torch)
        check_agreement(name, steps)
        times = timing.compare(steps, repeats, min_time, reset)
        line = (
            f"{name:<34} {timing.format_us(times['numpy']):>9} "
            f"{timing.format_us(times['tensorgrad']):>9} "
            f"{times['tensorgrad'] / times['numpy']:>6.2f}"
        )
        if torch is not None:
            line += (
                f" {timing.format_us(times['torch']):>9} {times['torch'] / times['numpy']:>8.2f}"
                f" {times['tensorgrad'] / times['torch']:>8.2f}"
            )
        print(line)
    print("targets: tg/np ≤ 1.15 at batch 32, ≤ 1.05 at batch 128; tg/torch < 1 on all three")


if __name__ == "__main__":
    main()
