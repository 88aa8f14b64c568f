"""The "perceptron for dummies": one sigmoid neuron with three weights and no bias.

Training rows 001→0, 111→1, 101→1, 011→0 (the answer is the first input). The tutorial adds
error × sigmoid′ × inputsᵀ to the weights 10,000 times — that is gradient descent with step 1
on half the summed squared error, which is what we write, with backward() doing the calculus.
The unseen riddle 100 should then give ≈ 1. We also train on the cross-entropy of the logits,
which needs far fewer steps for the same confidence.

    python examples/perceptron.py --out runs/perceptron
"""

from __future__ import annotations

from _common import output_folder, parser, progress, pyplot, write_metrics

import tensorgrad as tg

INPUTS = [[0.0, 0.0, 1.0], [1.0, 1.0, 1.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]
TARGETS = [[0.0], [1.0], [1.0], [0.0]]
RIDDLE = [[1.0, 0.0, 0.0]]


def train(loss_name: str, steps: int, lr: float, seed: int) -> tuple[tg.Tensor, list[float]]:
    """Fit the three weights with ``loss_name`` ('squared' or 'cross_entropy')."""
    tg.manual_seed(seed)
    inputs, targets = tg.tensor(INPUTS), tg.tensor(TARGETS)
    weights = (2 * tg.rand(3, 1) - 1).requires_grad_()  # the tutorial's uniform(-1, 1)
    losses = []
    for _ in progress(range(steps), loss_name):
        logits = inputs @ weights
        if loss_name == "squared":
            loss = 0.5 * ((targets - logits.sigmoid()) ** 2).sum()
        else:  # log-loss written on the logits, stable for any weight size
            loss = (logits.clamp(min=0) - logits * targets + (-logits.abs()).exp().log1p()).sum()
        loss.backward()
        with tg.no_grad():
            weights -= lr * weights.grad
        weights.grad = None
        losses.append(loss.item())
    return weights.detach(), losses


def riddle_answer(weights: tg.Tensor) -> float:
    """The neuron's output for the unseen input 100."""
    return (tg.tensor(RIDDLE) @ weights).sigmoid().item()


def main(argv=None) -> dict:
    args = parser(__doc__.splitlines()[0], epochs=10_000, lr=1.0, out="runs/perceptron").parse_args(
        argv
    )
    steps = 500 if args.fast else args.epochs
    tutorial_weights, tutorial_losses = train("squared", steps, args.lr, args.seed)
    modern_weights, modern_losses = train("cross_entropy", steps // 10, args.lr, args.seed)
    metrics = {
        "tutorial_steps": steps,
        "tutorial_riddle_output": riddle_answer(tutorial_weights),
        "tutorial_final_loss": tutorial_losses[-1],
        "tutorial_weights": [round(w, 4) for w in tutorial_weights.reshape(-1).tolist()],
        "cross_entropy_steps": steps // 10,
        "cross_entropy_riddle_output": riddle_answer(modern_weights),
    }
    folder = output_folder(args.out)
    write_metrics(folder, metrics)

    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.semilogy(tutorial_losses, label="½·squared error (tutorial)")
    axis.semilogy(modern_losses, label="cross-entropy on logits")
    axis.set_xlabel("step")
    axis.set_ylabel("training loss")
    axis.legend()
    figure.tight_layout()
    figure.savefig(folder / "loss.png", dpi=120)
    plt.close(figure)

    print(f"learned weights: {metrics['tutorial_weights']}")
    print(
        f"riddle 100 -> {metrics['tutorial_riddle_output']:.5f} after {steps} steps "
        f"(cross-entropy: {metrics['cross_entropy_riddle_output']:.5f} after {steps // 10})"
    )
    print(f"wrote {folder / 'metrics.json'} and {folder / 'loss.png'}")
    return metrics


if __name__ == "__main__":
    main()
