"""Handwritten digits with a small CNN: the next step after the MLP of ``digits.py``.

The same 8×8 digits and the same 60/40 split as the main job, seen as 1×8×8 images:
three 3×3 convolutions with batch normalisation and ReLU, two max poolings, dropout and a
linear head, trained with Adam and a one-cycle learning rate on mini-batches that are
randomly shifted by up to one pixel (data augmentation). It reaches 99% test accuracy in
well under a minute on two CPU cores, against about 98% for the MLP trained the same way.

Writes to ``--out``: ``metrics.json``, ``filters.png`` (the learned first-layer filters),
``feature_maps.png`` (what the first layer sees in one digit), ``misclassified.png``,
``comparison.md`` (MLP vs CNN) and the weights as safetensors.

    python examples/digits_cnn.py --out runs/digits_cnn
    python examples/digits_cnn.py --device cuda    # on a GPU (pip install 'tensorgrad[cuda]')
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from _common import output_folder, parser, progress, pyplot, write_metrics
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.utils.data import DataLoader, TensorDataset


def load_images(seed: int):
    """Digits as (n, 1, 8, 8) float32 images scaled to zero mean and unit variance, split
    60/40 (stratified, the main job's split): train x, y, test x, y as numpy arrays."""
    digits = load_digits()
    images = digits.images.astype(np.float32)[:, None]
    train_x, test_x, train_y, test_y = train_test_split(
        images, digits.target, test_size=0.4, stratify=digits.target, random_state=seed
    )
    mean, std = train_x.mean(), train_x.std()
    return (train_x - mean) / std, train_y, (test_x - mean) / std, test_y


def shift_randomly(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by up to one pixel in each direction (zeros come in at the border)."""
    padded = np.pad(batch, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=batch.min())
    offsets = rng.integers(0, 3, size=(len(batch), 2))
    return np.stack([padded[i, :, r : r + 8, c : c + 8] for i, (r, c) in enumerate(offsets)])


def cnn(dropout: float = 0.3) -> nn.Sequential:
    """1×8×8 → 32×8×8 → 64×8×8 → pool → 64×4×4 → pool → 64×2×2 → 10 logits."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, padding=1),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(dropout),
        nn.Linear(64 * 2 * 2, 10),
    )


def mlp(dropout: float = 0.3) -> nn.Sequential:
    """The comparison: 64-256-256-10 with ReLU and dropout, on the flattened images."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, 256),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(256, 10),
    )


def _device_of(model: nn.Module) -> tg.device:
    return next(model.parameters()).device


def predict(model: nn.Module, images: np.ndarray) -> np.ndarray:
    """The model's classes for ``images`` (eval mode), as a NumPy array."""
    model.eval()
    with tg.no_grad():
        return model(tg.tensor(images, device=_device_of(model))).argmax(1).cpu().numpy()


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    return float((predict(model, images) == labels).mean())


def train(
    model: nn.Module, data, epochs: int, lr: float, seed: int, name: str, compiled: bool = False
) -> dict:
    """Adam with a one-cycle learning rate (warm up, then cosine down), shifted batches of 64
    (made on the CPU, then moved to the model's device)."""
    train_x, train_y, test_x, test_y = data
    device = _device_of(model)
    rng = np.random.default_rng(seed)
    loader = DataLoader(
        TensorDataset(tg.tensor(train_x), tg.tensor(train_y)),
        batch_size=64,
        shuffle=True,
        generator=tg.Generator().manual_seed(seed),
    )
    optimizer = tg.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    total_steps, step = epochs * len(loader), 0
    history = {"loss": [], "accuracy": []}

    def train_step(images, labels):
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    train_step = tg.compile(train_step) if compiled else train_step
    for _ in progress(range(epochs), name):
        model.train()
        running = 0.0
        for images, labels in loader:
            fraction = step / max(total_steps - 1, 1)
            warm = min(1.0, fraction / 0.2)
            for group in optimizer.param_groups:  # one cycle: linear warm-up, cosine decay
                group["lr"] = lr * (
                    warm if fraction < 0.2 else 0.5 * (1 + np.cos(np.pi * (fraction - 0.2) / 0.8))
                )
            shifted = tg.tensor(shift_randomly(images.numpy(), rng), device=device)
            loss = train_step(shifted, labels.to(device))
            running += loss.item() * len(labels)
            step += 1
        history["loss"].append(running / len(train_y))
        history["accuracy"].append(accuracy(model, test_x, test_y))
    return history


def plot_filters(model: nn.Sequential, path: Path) -> None:
    plt = pyplot()
    filters = model[0].weight.detach().cpu().numpy()[:, 0]
    figure, axes = plt.subplots(4, 8, figsize=(8, 4))
    for axis, kernel in zip(axes.flat, filters, strict=True):
        axis.imshow(kernel, cmap="coolwarm")
        axis.axis("off")
    figure.suptitle("learned first-layer filters (3×3)")
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_feature_maps(model: nn.Sequential, image: np.ndarray, path: Path) -> None:
    plt = pyplot()
    model.eval()
    with tg.no_grad():
        first = model[2](model[1](model[0](tg.tensor(image[None], device=_device_of(model)))))
    maps = first.cpu().numpy()[0]
    figure, axes = plt.subplots(4, 9, figsize=(9, 4))
    axes[0, 0].imshow(image[0], cmap="gray_r")
    axes[0, 0].set_title("input", fontsize=8)
    for axis in axes.flat:
        axis.axis("off")
    for axis, feature in zip(list(axes.flat)[1:], maps, strict=False):
        axis.imshow(feature, cmap="viridis")
    figure.suptitle("the first layer's 32 feature maps (after BatchNorm and ReLU)")
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_misclassified(model: nn.Module, images: np.ndarray, labels: np.ndarray, path: Path) -> int:
    plt = pyplot()
    predictions = predict(model, images)
    wrong = np.flatnonzero(predictions != labels)
    figure, axes = plt.subplots(
        1, max(len(wrong[:10]), 1), figsize=(1.4 * max(len(wrong[:10]), 1), 1.8)
    )
    for axis, index in zip(np.atleast_1d(axes), wrong[:10], strict=False):
        axis.imshow(images[index, 0], cmap="gray_r")
        axis.set_title(f"{labels[index]}→{predictions[index]}", fontsize=9)
    for axis in np.atleast_1d(axes):
        axis.axis("off")
    figure.suptitle(f"misclassified test digits: {len(wrong)} (label→prediction)", fontsize=9)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return len(wrong)


def main(argv=None) -> dict:
    arguments = parser(
        __doc__.splitlines()[0],
        epochs=30,
        lr=3e-3,
        out="runs/digits_cnn",
        compiles=True,
        devices=True,
    )
    args = arguments.parse_args(argv)
    epochs = 2 if args.fast else args.epochs
    folder = output_folder(args.out)
    data = load_images(args.seed)

    results = {}
    for name, build in (("mlp", mlp), ("cnn", cnn)):
        tg.manual_seed(args.seed)
        model = build().to(args.device)
        start = time.perf_counter()
        history = train(model, data, epochs, args.lr, args.seed, name, args.compile)
        results[name] = (model, history, time.perf_counter() - start)
    model, history, seconds = results["cnn"]

    weights = folder / "digits_cnn.safetensors"
    tg.save(model.state_dict(), weights)
    plot_filters(model, folder / "filters.png")
    plot_feature_maps(model, data[2][0], folder / "feature_maps.png")
    errors = plot_misclassified(model, data[2], data[3], folder / "misclassified.png")
    table = ["| model | parameters | test accuracy | training time |", "|---|---:|---:|---:|"]
    for name, (trained, trained_history, trained_seconds) in results.items():
        count = sum(p.numel() for p in trained.parameters())
        table.append(
            f"| {name.upper()} | {count:,} | {trained_history['accuracy'][-1]:.2%} | "
            f"{trained_seconds:.1f} s |"
        )
    (folder / "comparison.md").write_text("\n".join(table) + "\n")

    metrics = {
        "epochs": epochs,
        "lr": args.lr,
        "device": str(tg.device(args.device)),
        "cnn_test_accuracy": history["accuracy"][-1],
        "cnn_first_loss": history["loss"][0],
        "cnn_final_loss": history["loss"][-1],
        "cnn_seconds": seconds,
        "cnn_misclassified": errors,
        "mlp_test_accuracy": results["mlp"][1]["accuracy"][-1],
        "mlp_seconds": results["mlp"][2],
        "test_samples": len(data[3]),
    }
    write_metrics(folder, metrics)
    print("\n".join(table))
    print(
        f"CNN: test accuracy {metrics['cnn_test_accuracy']:.2%} ({errors} of {len(data[3])} "
        f"wrong) after {epochs} epochs in {seconds:.1f} s"
    )
    print(f"wrote {folder}")
    return metrics


if __name__ == "__main__":
    main()
