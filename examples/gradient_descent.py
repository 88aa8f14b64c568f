"""Gradient descent on f(x) = x⁴ − 3x³ + 2 with the derivative from backward().

The step-by-step tutorial hand-derives f'(x) = 4x³ − 9x² and starts at x = 6 with step size
0.01, stopping when a step moves x by less than 1e-5: it reaches 2.249965. The analytic
minimum is x = 9/4.

    python examples/gradient_descent.py --out runs/gradient_descent
"""

from __future__ import annotations

from _common import output_folder, parser, pyplot, write_metrics

import tensorgrad as tg

ANALYTIC_MINIMUM = 9 / 4


def f(x):
    """The tutorial's function (works on tensors and floats)."""
    return x**4 - 3 * x**3 + 2


def descend(start: float, lr: float, tolerance: float, max_steps: int) -> list[float]:
    """Follow -f'(x) from ``start`` until a step is smaller than ``tolerance``; the path."""
    x = tg.tensor(start, dtype=tg.float64, requires_grad=True)
    path = [x.item()]
    for _ in range(max_steps):
        f(x).backward()
        with tg.no_grad():
            step = lr * x.grad
            x -= step
        x.grad = None
        path.append(x.item())
        if abs(step.item()) < tolerance:
            break
    return path


def main(argv=None) -> dict:
    args = parser(
        __doc__.splitlines()[0], epochs=10_000, lr=0.01, out="runs/gradient_descent"
    ).parse_args(argv)
    path = descend(6.0, args.lr, 1e-5, args.epochs)
    minimum = path[-1]
    folder = output_folder(args.out)
    metrics = {
        "minimum_found": minimum,
        "analytic_minimum": ANALYTIC_MINIMUM,
        "error": abs(minimum - ANALYTIC_MINIMUM),
        "steps": len(path) - 1,
    }
    write_metrics(folder, metrics)

    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6, 4))
    grid = [i / 100 for i in range(-100, 651)]
    axis.plot(grid, [f(v) for v in grid], label="f(x) = x⁴ − 3x³ + 2")
    axis.plot(path, [f(v) for v in path], "o-", markersize=3, label="gradient-descent path")
    axis.axvline(ANALYTIC_MINIMUM, color="grey", linestyle=":", label="x = 9/4")
    axis.set_ylim(-10, 60)
    axis.set_xlabel("x")
    axis.legend()
    figure.tight_layout()
    figure.savefig(folder / "path.png", dpi=120)
    plt.close(figure)

    print(
        f"minimum found: x = {minimum:.6f} after {metrics['steps']} steps "
        f"(analytic 9/4 = {ANALYTIC_MINIMUM}, error {metrics['error']:.1e})"
    )
    print(f"wrote {folder / 'metrics.json'} and {folder / 'path.png'}")
    return metrics


if __name__ == "__main__":
    main()
