"""MNIST from the standard IDX files: an MLP, LeNet-5 or the classic two-conv network, Adam.

The "backpropagation explained" tutorial names MNIST as the test bed for everything it
advises (ReLU, dropout, Adam, mini-batches). Nothing is downloaded: point ``--data`` at a
folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (gzipped or not). Without them the
script says which files are missing and where to get them, and exits with status 2.

``--model mlp`` (default) is 784-256-128-10 with dropout; ``--model lenet`` is LeNet-5
(two 5×5 convolutions with max pooling, three linear layers); ``--model cnn`` is the classic
PyTorch-examples network (two 3×3 convolutions, max pooling, dropout, two linear layers).

    python examples/mnist.py --data ~/data/mnist --out runs/mnist --model cnn
    python examples/mnist.py --data ~/data/mnist --compile    # the same numbers, faster
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from _common import output_folder, parser, progress, pyplot, write_metrics
from mnist_idx import DOWNLOAD_HINT, load_mnist

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.utils.data import DataLoader, TensorDataset

# the mean and standard deviation of MNIST's training pixels (scaled to [0, 1])
PIXEL_MEAN, PIXEL_STD = 0.1307, 0.3081
FAST_SAMPLES = 2_000


def as_tensors(images: np.ndarray, labels: np.ndarray) -> tuple[tg.Tensor, tg.Tensor]:
    """uint8 images (n, 28, 28) -> standardised float32 (n, 1, 28, 28); labels -> int64 (n,)."""
    pixels = images[:, None].astype(np.float32) / 255
    return tg.tensor((pixels - PIXEL_MEAN) / PIXEL_STD), tg.tensor(labels.astype(np.int64))


def lenet() -> nn.Sequential:
    """LeNet-5 on 1×28×28: conv 5×5 (6, padded) - pool - conv 5×5 (16) - pool - 120 - 84 - 10."""
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


def two_conv() -> nn.Sequential:
    """pytorch/examples' MNIST net: conv 3×3 (32) - conv 3×3 (64) - pool - dropout - 128 - 10."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(),
        nn.Linear(9216, 128),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(128, 10),
    )


def network(inputs: int = 784) -> nn.Sequential:
    """784-256-128-10 with ReLU and dropout on the flattened images; outputs are logits."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(inputs, 256),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 10),
    )


def accuracy(model: nn.Module, inputs: tg.Tensor, labels: tg.Tensor) -> float:
    """Fraction classified correctly (evaluated in eval mode, in chunks to bound memory)."""
    model.eval()
    correct = 0
    with tg.no_grad():
        for start in range(0, len(labels), 2_000):
            logits = model(inputs[start : start + 2_000])
            correct += (logits.argmax(dim=1) == labels[start : start + 2_000]).sum().item()
    return correct / len(labels)


def main(argv=None) -> dict:
    arguments = parser(__doc__.splitlines()[0], epochs=10, lr=1e-3, out="runs/mnist", compiles=True)
    arguments.add_argument("--data", type=Path, help="folder with the four MNIST IDX files")
    arguments.add_argument("--model", choices=["mlp", "lenet", "cnn"], default="mlp")
    args = arguments.parse_args(argv)
    if args.data is None:
        print(
            f"mnist: give the folder of the MNIST files with --data DIR; {DOWNLOAD_HINT}",
            file=sys.stderr,
        )
        raise SystemExit(2)
    try:
        arrays = load_mnist(args.data)
    except (FileNotFoundError, ValueError) as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from None

    x_train, y_train = as_tensors(arrays["train_images"], arrays["train_labels"])
    x_test, y_test = as_tensors(arrays["test_images"], arrays["test_labels"])
    epochs = 1 if args.fast else args.epochs
    if args.fast:
        x_train, y_train = x_train[:FAST_SAMPLES], y_train[:FAST_SAMPLES]

    tg.manual_seed(args.seed)
    model = {"mlp": network, "lenet": lenet, "cnn": two_conv}[args.model]()
    optimizer = tg.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = tg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loader = DataLoader(
        TensorDataset(x_train, y_train),
        batch_size=128,
        shuffle=True,
        generator=tg.Generator().manual_seed(args.seed),
    )
    loss_fn = nn.CrossEntropyLoss()

    def step(inputs, labels):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss

    # compiled: each batch size records once (the last batch is smaller), dropout included
    step = tg.compile(step) if args.compile else step
    losses, accuracies = [], []
    start = time.perf_counter()
    for _ in progress(range(epochs), "epochs"):
        model.train()
        total = 0.0
        for inputs, labels in progress(loader, "batches", total=len(loader)):
            loss = step(inputs, labels)
            total += loss.item() * len(labels)
        scheduler.step()
        losses.append(total / len(y_train))
        accuracies.append(accuracy(model, x_test, y_test))
    seconds = time.perf_counter() - start

    metrics = {
        "model": args.model,
        "compiled": args.compile,
        "epochs": epochs,
        "train_samples": len(y_train),
        "first_loss": losses[0],
        "final_loss": losses[-1],
        "test_accuracy": accuracies[-1],
        "seconds": seconds,
    }
    folder = output_folder(args.out)
    write_metrics(folder, metrics)
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(range(1, epochs + 1), losses, "o-")
    left.set(title="train cross-entropy", xlabel="epoch")
    right.plot(range(1, epochs + 1), accuracies, "o-")
    right.set(title="test accuracy", xlabel="epoch")
    figure.tight_layout()
    figure.savefig(folder / "curves.png", dpi=120)
    plt.close(figure)

    print(
        f"{epochs} epochs on {len(y_train)} images in {seconds:.1f} s: "
        f"test accuracy {metrics['test_accuracy']:.2%}"
    )
    print(f"wrote {folder / 'metrics.json'} and {folder / 'curves.png'}")
    return metrics


if __name__ == "__main__":
    main()
