"""Binary classification of 2-D points with one hidden ReLU layer, He init and L2 weight decay.

The one-hidden-layer tutorial makes two-class data with scikit-learn's ``make_classification``,
initialises with He, uses a ReLU hidden layer and a sigmoid output with binary cross-entropy,
trains with batch, stochastic and mini-batch gradient descent plus L2 regularisation, and
reports accuracy, precision, recall, F1 and ROC AUC on held-out data with a plot of the
decision boundary. It writes ``dZ2 = A2 - Y``, ``dW2 = dZ2·A1ᵀ/m`` and the rest by hand; here
backward() does that, ``BCEWithLogitsLoss`` fuses the sigmoid into a stable loss, and SGD's
``weight_decay`` is the L2 term. The three flavours of gradient descent are compared with the
same number of epochs.

    python examples/binary_classification.py --out runs/binary_classification
    python examples/binary_classification.py --compile   # the same numbers, about 3× faster
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from _common import output_folder, parser, progress, pyplot, write_metrics
from sklearn import metrics as skm
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.utils.data import DataLoader, TensorDataset

HIDDEN = 16
WEIGHT_DECAY = 1e-3
BATCH_SIZES = {"batch": None, "mini-batch": 32, "stochastic": 1}  # None: the whole train set


def make_data(samples: int, seed: int):
    """Two informative features, 75/25 stratified split, standardised on the train set.

    Returns float32 arrays ``x_train (n, 2), y_train (n,), x_test, y_test``.
    """
    features, labels = make_classification(
        n_samples=samples,
        n_features=2,
        n_informative=2,
        n_redundant=0,
        random_state=seed,
    )
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=0.25, stratify=labels, random_state=seed
    )
    scaler = StandardScaler().fit(x_train)
    as32 = np.float32
    return (
        scaler.transform(x_train).astype(as32),
        y_train.astype(as32),
        scaler.transform(x_test).astype(as32),
        y_test.astype(as32),
    )


def network() -> nn.Sequential:
    """2-16-1: a ReLU hidden layer with He (Kaiming) initialisation, one output logit."""
    model = nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))
    nn.init.kaiming_normal_(model[0].weight, nonlinearity="relu")
    nn.init.zeros_(model[0].bias)
    return model


def train(
    data,
    batch_size: int | None,
    epochs: int,
    lr: float,
    seed: int,
    name: str,
    compiled: bool = False,
):
    """SGD with L2 weight decay on BCE-with-logits; the model and its mean loss per epoch
    (``compiled``: each update through ``tensorgrad.compile``)."""
    x_train, y_train = tg.tensor(data[0]), tg.tensor(data[1]).unsqueeze(1)
    tg.manual_seed(seed)
    model = network()
    optimizer = tg.optim.SGD(model.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
    loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=batch_size or len(x_train),
        shuffle=True,
        generator=tg.Generator().manual_seed(seed),
    )
    loss_fn = nn.BCEWithLogitsLoss()

    def step(inputs, targets):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss

    step = tg.compile(step) if compiled else step
    losses = []
    for _ in progress(range(epochs), name):
        total = 0.0
        for inputs, targets in loader:
            total += step(inputs, targets).item() * len(inputs)
        losses.append(total / len(x_train))
    return model, losses


def probabilities(model: nn.Module, points: np.ndarray) -> np.ndarray:
    """P(class 1) for each row of ``points`` (n, 2)."""
    with tg.no_grad():
        return model(tg.tensor(points)).sigmoid().reshape(-1).numpy()


def scores(labels: np.ndarray, probability: np.ndarray) -> dict:
    """scikit-learn's accuracy, precision, recall, F1 (threshold 0.5) and ROC AUC."""
    predicted = (probability >= 0.5).astype(labels.dtype)
    return {
        "accuracy": skm.accuracy_score(labels, predicted),
        "precision": skm.precision_score(labels, predicted),
        "recall": skm.recall_score(labels, predicted),
        "f1": skm.f1_score(labels, predicted),
        "roc_auc": skm.roc_auc_score(labels, probability),
    }


def plot_boundary(model: nn.Module, data, path: Path) -> None:
    """P(class 1) over the plane, its 0.5 contour, train points (dots), test points (crosses)."""
    x_train, y_train, x_test, y_test = data
    both = np.concatenate([x_train, x_test])
    low, high = both.min(axis=0) - 0.5, both.max(axis=0) + 0.5
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], 200), np.linspace(low[1], high[1], 200))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    surface = probabilities(model, grid).reshape(xs.shape)
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 5))
    filled = axis.contourf(xs, ys, surface, levels=20, cmap="RdBu_r", alpha=0.6)
    axis.contour(xs, ys, surface, levels=[0.5], colors="black")
    axis.scatter(*x_train.T, c=y_train, cmap="RdBu_r", s=10, edgecolors="k", linewidths=0.3)
    axis.scatter(*x_test.T, c=y_test, cmap="RdBu_r", s=25, marker="x", label="test")
    figure.colorbar(filled, ax=axis, label="P(class 1)")
    axis.set(title="decision boundary (black: P = 0.5)", xlabel="feature 1", ylabel="feature 2")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_roc(labels: np.ndarray, probability: np.ndarray, auc: float, path: Path) -> None:
    """The test ROC curve."""
    false_positive, true_positive, _ = skm.roc_curve(labels, probability)
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.plot(false_positive, true_positive, label=f"AUC = {auc:.3f}")
    axis.plot([0, 1], [0, 1], ":", color="grey")
    axis.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (test set)")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_losses(losses: list[float], comparison: dict, path: Path) -> None:
    """The trained model's loss, and the three gradient-descent flavours side by side."""
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(range(1, len(losses) + 1), losses)
    left.set(title="mini-batch SGD + weight decay", xlabel="epoch", ylabel="train BCE")
    for mode, result in comparison.items():
        right.plot(range(1, len(result["losses"]) + 1), result["losses"], label=mode)
    right.set(title="batch vs mini-batch vs stochastic", xlabel="epoch", ylabel="train BCE")
    right.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main(argv=None) -> dict:
    args = parser(
        __doc__.splitlines()[0],
        epochs=100,
        lr=0.1,
        out="runs/binary_classification",
        compiles=True,
    ).parse_args(argv)
    samples, epochs = (300, 20) if args.fast else (1_000, args.epochs)
    compare_epochs = max(epochs // 5, 1)
    data = make_data(samples, args.seed)

    model, losses = train(
        data, BATCH_SIZES["mini-batch"], epochs, args.lr, args.seed, "train", args.compile
    )
    probability = probabilities(model, data[2])
    metrics = {f"test_{name}": value for name, value in scores(data[3], probability).items()}
    metrics.update(
        epochs=epochs, compiled=args.compile, first_loss=losses[0], final_loss=losses[-1]
    )

    comparison = {}
    for mode, batch_size in BATCH_SIZES.items():
        start = time.perf_counter()
        compared, mode_losses = train(
            data, batch_size, compare_epochs, args.lr, args.seed, mode, args.compile
        )
        accuracy = scores(data[3], probabilities(compared, data[2]))["accuracy"]
        comparison[mode] = {"losses": mode_losses, "seconds": time.perf_counter() - start}
        key = mode.replace("-", "_")
        metrics[f"{key}_final_loss"] = mode_losses[-1]
        metrics[f"{key}_test_accuracy"] = accuracy
        train_size = len(data[0])
        metrics[f"{key}_updates"] = compare_epochs * -(-train_size // (batch_size or train_size))
        metrics[f"{key}_seconds"] = comparison[mode]["seconds"]
    metrics["compare_epochs"] = compare_epochs

    folder = output_folder(args.out)
    write_metrics(folder, metrics)
    plot_boundary(model, data, folder / "decision_boundary.png")
    plot_roc(data[3], probability, metrics["test_roc_auc"], folder / "roc.png")
    plot_losses(losses, comparison, folder / "loss.png")

    print(
        "test: "
        + ", ".join(
            f"{key[5:]} {value:.3f}" for key, value in metrics.items() if key.startswith("test_")
        )
    )
    for mode in BATCH_SIZES:
        key = mode.replace("-", "_")
        print(
            f"{mode:10s} {compare_epochs} epochs, {metrics[key + '_updates']:6d} updates: "
            f"loss {metrics[key + '_final_loss']:.4f}, "
            f"test accuracy {metrics[key + '_test_accuracy']:.3f}, "
            f"{metrics[key + '_seconds']:.2f} s"
        )
    names = ("metrics.json", "decision_boundary.png", "roc.png", "loss.png")
    print("wrote " + ", ".join(str(folder / name) for name in names))
    return metrics


if __name__ == "__main__":
    main()
