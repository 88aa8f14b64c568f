"""Forecasting a noisy sine wave with an LSTM: pytorch/examples' time_sequence_prediction.

As in the original, the data are 100 sine waves ``sin((t + shift) / 20)`` of 1,000 steps with
a random integer shift in [-80, 80), here with Gaussian noise (σ = 0.1) added and generated
by the script from ``--seed``; 90 waves train, 10 test. The model is the original's, two
stacked LSTMs of 51 units and a Linear head, written as one ``nn.LSTM(1, 51, num_layers=2)``
(the fused layer is much faster than stepping two ``LSTMCell``s in Python). It learns to
predict each next value from the values so far, on random windows of 100 steps with Adam
(the original's L-BFGS over the whole sequences is not in ``tg.optim``). Then it reads the
first 800 steps of each test wave and forecasts the remaining 200 on its own, feeding each
prediction back in as the next input.

Both errors are compared with the trivial forecast "the next value is the last one seen":
one step ahead on the test waves (the model must beat it; it cannot go below the noise
variance, 0.01) and over the 200-step forecast against the noiseless wave. The full run (400
steps, about 35 s on two CPU cores) gives a one-step test MSE of 0.013 against 0.021, and a
200-step forecast MSE of 0.05 against 1.2.

Writes to ``--out``: ``metrics.json``, ``forecast.png`` (three test waves, what the model saw,
its forecast and the truth) and ``loss.png``.

    python examples/sine_forecast.py --out runs/sine_forecast
    python examples/sine_forecast.py --compile    # the same numbers: each step replayed
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from _common import one_blas_thread, output_folder, parser, progress, pyplot, write_metrics

import tensorgrad as tg
from tensorgrad import nn

WAVES, LENGTH, PERIOD_SCALE, NOISE = 100, 1000, 20, 0.1
TEST_WAVES = 10
WINDOW, BATCH_SIZE = 100, 32
OBSERVED = 800  # steps of each test wave the model reads before forecasting the rest


def clean_waves(shifts: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(len(shifts), len(steps)) float32: sin((step + shift) / PERIOD_SCALE), no noise."""
    return np.sin((steps + shifts[:, None]) / PERIOD_SCALE).astype(np.float32)


def noisy_waves(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (WAVES,) random shifts and the (WAVES, LENGTH) float32 waves with noise added."""
    rng = np.random.default_rng(seed)
    shifts = rng.integers(-4 * PERIOD_SCALE, 4 * PERIOD_SCALE, size=WAVES)
    clean = clean_waves(shifts, np.arange(LENGTH))
    return shifts, clean + rng.normal(0, NOISE, clean.shape).astype(np.float32)


class Forecaster(nn.Module):
    """Two stacked LSTMs of 51 units and a Linear head: (T, B, 1) values → (T, B, 1)
    predictions of each next value, and the LSTM state to carry on from."""

    def __init__(self, hidden: int = 51):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=2)
        self.head = nn.Linear(hidden, 1)

    def forward(self, values: tg.Tensor, state=None):
        output, state = self.lstm(values, state)
        return self.head(output), state

    def forecast(self, observed: tg.Tensor, steps: int) -> tg.Tensor:
        """(T, B, 1) observed values → (steps, B, 1): each prediction is the next input."""
        self.eval()
        with tg.no_grad():
            predictions, state = self(observed)
            value = predictions[-1:]
            future = [value]
            for _ in range(steps - 1):
                value, state = self(value, state)
                future.append(value)
        return tg.cat(future)


def one_step_mse(model: Forecaster, waves: np.ndarray) -> float:
    """Mean squared error of predicting every next value of ``waves`` from those before it."""
    sequences = tg.tensor(waves.T[:, :, None].copy())
    model.eval()
    with tg.no_grad():
        predictions, _ = model(sequences[:-1])
        return nn.functional.mse_loss(predictions, sequences[1:]).item()


def train(
    model: Forecaster,
    waves: np.ndarray,
    steps: int,
    lr: float,
    seed: int,
    window: int = WINDOW,
    compiled: bool = False,
) -> list[float]:
    """Adam on batches of random ``window``-step windows; returns the loss of each step
    (``compiled``: the step through ``tensorgrad.compile``, the scheduler's call included)."""
    rng = np.random.default_rng(seed)
    optimizer = tg.optim.Adam(model.parameters(), lr=lr)
    scheduler = tg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)

    def step(batch):
        predictions, _ = model(batch[:-1])
        loss = nn.functional.mse_loss(predictions, batch[1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        return loss

    step = tg.compile(step) if compiled else step
    losses = []
    model.train()
    for _ in progress(range(steps), "sine"):
        rows = rng.integers(0, len(waves), BATCH_SIZE)
        starts = rng.integers(0, waves.shape[1] - window, BATCH_SIZE)
        windows = np.stack([waves[r, s : s + window + 1] for r, s in zip(rows, starts)])
        batch = tg.tensor(windows.T[:, :, None].copy())  # (window + 1, BATCH_SIZE, 1)
        losses.append(step(batch).item())
    return losses


def plot_forecast(observed: np.ndarray, forecast: np.ndarray, truth: np.ndarray, path: Path):
    """The last 300 observed steps, the forecast and the noiseless truth of three test waves."""
    plt = pyplot()
    figure, axes = plt.subplots(3, 1, figsize=(10, 7), sharex=True)
    seen = np.arange(OBSERVED - 300, OBSERVED)
    ahead = np.arange(OBSERVED, OBSERVED + forecast.shape[1])
    for wave, axis in enumerate(axes):
        axis.plot(seen, observed[wave, -300:], color="grey", linewidth=0.8, label="observed")
        axis.plot(ahead, truth[wave], color="black", linestyle=":", label="truth (noiseless)")
        axis.plot(ahead, forecast[wave], color="tab:red", label="forecast")
    axes[0].legend(loc="upper left", fontsize=8)
    axes[0].set_title(f"LSTM forecast, {forecast.shape[1]} steps ahead (test waves)")
    axes[-1].set_xlabel("step")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_loss(losses: list[float], path: Path) -> None:
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(losses)
    axis.axhline(NOISE**2, color="grey", linestyle="--", label="noise variance")
    axis.set(xlabel="step", ylabel="MSE (one step ahead)", yscale="log", title="training loss")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv=None) -> dict:
    arguments = parser(
        __doc__.splitlines()[0], epochs=400, lr=1e-2, out="runs/sine_forecast", compiles=True
    )
    arguments.add_argument("--future", type=int, default=LENGTH - OBSERVED, help="steps ahead")
    args = arguments.parse_args(argv)
    # --fast: shorter windows, each step half the cost; enough to beat both baselines
    steps, window = (100, 50) if args.fast else (args.epochs, WINDOW)
    folder = output_folder(args.out)
    shifts, waves = noisy_waves(args.seed)
    train_waves, test_waves = waves[TEST_WAVES:], waves[:TEST_WAVES]

    tg.manual_seed(args.seed)
    model = Forecaster()
    start = time.perf_counter()
    with one_blas_thread():
        losses = train(model, train_waves, steps, args.lr, args.seed, window, args.compile)
        seconds = time.perf_counter() - start
        # as many training waves as test waves: the comparison needs no more, and it is faster
        train_mse = one_step_mse(model, train_waves[:TEST_WAVES])
        test_mse = one_step_mse(model, test_waves)
        observed = test_waves[:, :OBSERVED]
        forecast = model.forecast(tg.tensor(observed.T[:, :, None].copy()), args.future)
    forecast = forecast.numpy()[:, :, 0].T  # (TEST_WAVES, future)
    truth = clean_waves(shifts[:TEST_WAVES], np.arange(OBSERVED, OBSERVED + args.future))
    plot_forecast(observed, forecast, truth, folder / "forecast.png")
    plot_loss(losses, folder / "loss.png")

    metrics = {
        "steps": steps,
        "compiled": args.compile,
        "window": window,
        "lr": args.lr,
        "seconds": seconds,
        "train_mse": train_mse,
        "test_mse": test_mse,
        "test_baseline_mse": float(((test_waves[:, 1:] - test_waves[:, :-1]) ** 2).mean()),
        "noise_variance": NOISE**2,
        "future_steps": args.future,
        "forecast_mse": float(((forecast - truth) ** 2).mean()),
        "forecast_baseline_mse": float(((observed[:, -1:] - truth) ** 2).mean()),
    }
    write_metrics(folder, metrics)
    print(f"trained {steps} steps in {seconds:.1f} s")
    print(
        f"one step ahead: train MSE {train_mse:.4f}, test MSE {test_mse:.4f}; "
        f"repeating the last value {metrics['test_baseline_mse']:.4f} "
        f"(noise variance {NOISE**2:.4f})"
    )
    print(
        f"{args.future} steps ahead: forecast MSE {metrics['forecast_mse']:.4f}; "
        f"repeating the last value {metrics['forecast_baseline_mse']:.4f}"
    )
    print(f"wrote {folder}")
    return metrics


if __name__ == "__main__":
    main()
