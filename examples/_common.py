"""What every example shares: command-line flags, the output folder, a progress bar that is
silent when output is not a terminal, metrics.json, and matplotlib without a display."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path


def parser(
    description: str,
    *,
    epochs: int,
    lr: float,
    out: str,
    compiles: bool = False,
    devices: bool = False,
) -> argparse.ArgumentParser:
    """The flags every example takes: --epochs --lr --seed --out --fast (and --compile for the
    examples whose training step can be compiled: ``compiles=True``; --device for those that
    run on a GPU: ``devices=True``)."""
    result = argparse.ArgumentParser(description=description)
    result.add_argument("--epochs", type=int, default=epochs, help="training epochs/steps")
    result.add_argument("--lr", type=float, default=lr, help="learning rate")
    result.add_argument("--seed", type=int, default=0, help="random seed")
    result.add_argument("--out", type=Path, default=Path(out), help="output folder")
    result.add_argument("--fast", action="store_true", help="a few-second run (for tests)")
    if compiles:
        result.add_argument(
            "--compile",
            action="store_true",
            help="record the training step once and replay it (tensorgrad.compile)",
        )
    if devices:
        result.add_argument(
            "--device",
            default="cpu",
            help="where to train: cpu (default) or cuda (needs CuPy and a GPU: "
            "pip install 'tensorgrad[cuda]')",
        )
    return result


def output_folder(path: Path) -> Path:
    """Create (if needed) and return the output folder."""
    path.mkdir(parents=True, exist_ok=True)
    return path


def progress(iterable, description: str, total: int | None = None):
    """A tqdm bar on a terminal; the bare iterable otherwise (logs, tests, CI)."""
    if not sys.stderr.isatty():
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=description, total=total, leave=False)


def write_metrics(folder: Path, metrics: dict) -> Path:
    """Write ``metrics.json`` (sorted keys, floats rounded for reading) and return its path."""
    path = folder / "metrics.json"
    rounded = {k: round(v, 6) if isinstance(v, float) else v for k, v in metrics.items()}
    path.write_text(json.dumps(rounded, indent=2, sort_keys=True) + "\n")
    return path


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def one_blas_thread():
    """A context that limits BLAS to one thread while a small network trains.

    The matrices of these examples are small, so a second BLAS thread costs more in hand-offs
    than it saves, and on a busy two-core machine the spinning threads slowed training
    tenfold. Needs threadpoolctl (a scikit-learn dependency); without it, nothing changes.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")
