"""XOR with a 2-3-1 sigmoid network trained by plain gradient descent (tutorial settings).

    python examples/xor.py            # 10,000 epochs, lr 0.1... see --help
"""

from __future__ import annotations

import argparse

import tensorgrad as tg


def train(epochs: int, lr: float, seed: int) -> tuple[list[float], tg.Tensor]:
    """Train the tutorial's 2-3-1 sigmoid net with MSE; return the loss curve and outputs."""
    tg.manual_seed(seed)
    inputs = tg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    targets = tg.tensor([[0.0], [1.0], [1.0], [0.0]])
    hidden_weight = tg.randn(2, 3, requires_grad=True)
    output_weight = tg.randn(3, 1, requires_grad=True)
    losses = []
    for _ in range(epochs):
        hidden = (inputs @ hidden_weight).sigmoid()
        prediction = (hidden @ output_weight).sigmoid()
        loss = ((prediction - targets) ** 2).mean()
        loss.backward()
        with tg.no_grad():
            for weight in (hidden_weight, output_weight):
                weight -= lr * weight.grad
                weight.grad = None
        losses.append(loss.item())
    return losses, prediction.detach()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10_000)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    losses, prediction = train(args.epochs, args.lr, args.seed)
    print(f"loss: first {losses[0]:.4f}, last {losses[-1]:.4f}")
    print("outputs:", [round(v, 3) for v in prediction.reshape(-1).tolist()])


if __name__ == "__main__":
    main()
