"""Draw the autograd graph of a small MLP before and after backward(), while it trains.

    python examples/graph_mlp.py                  # writes graphs/ (SVG); needs Graphviz's dot
    python examples/graph_mlp.py --fast --out /tmp/g --format png

Before backward the drawing shows the network (ops, parameters, shapes); after backward each
parameter shows its gradient norm and the "gradient health" box lists any that vanish, explode
or turn NaN. Without the ``dot`` program the DOT text is written instead (``.dot`` files).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import tensorgrad as tg
from tensorgrad import nn, viz


def make_data(n: int) -> tuple[tg.Tensor, tg.Tensor]:
    """Points in the plane, labelled 1 inside the unit circle: (n, 2) inputs, (n, 1) targets."""
    points = tg.rand(n, 2) * 3 - 1.5
    inside = (points**2).sum(dim=1, keepdim=True) < 1
    return points, inside.float()


def save(loss: tg.Tensor, model: nn.Module, path: Path, fmt: str) -> Path:
    """Write the drawing as ``fmt``, or as DOT text when Graphviz is not installed."""
    try:
        return viz.render(loss, path.with_suffix(f".{fmt}"), params=model, names={"loss": loss})
    except (RuntimeError, ImportError) as error:
        print(f"({error.__class__.__name__}: {str(error).splitlines()[0]} — writing DOT text)")
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(viz.to_dot(loss, params=model, names={"loss": loss}))
        return dot_path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("graphs"), help="output folder")
    parser.add_argument("--format", default="svg", choices=["svg", "png", "pdf"])
    parser.add_argument("--fast", action="store_true", help="3 steps on 64 points")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    tg.manual_seed(args.seed)
    steps, n = (3, 64) if args.fast else (200, 512)
    inputs, targets = make_data(n)
    model = nn.Sequential(
        nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1)
    )
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()
    args.out.mkdir(parents=True, exist_ok=True)
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        if step == steps - 1:
            # zero_grad() set every .grad to None: this drawing shows the network, no gradients.
            print("wrote", save(loss, model, args.out / "mlp_before_backward", args.format))
        loss.backward()
        if step == steps - 1:
            print("wrote", save(loss, model, args.out / "mlp_after_backward", args.format))
        optimizer.step()
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
