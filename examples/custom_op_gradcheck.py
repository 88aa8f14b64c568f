"""Prove a custom op's gradient with a 10-line property-based test (and watch it catch a bug).

    python examples/custom_op_gradcheck.py            # 200 random inputs per check
    python examples/custom_op_gradcheck.py --fast     # 20 (a few seconds)

Softsign, y = x / (1 + |x|), is written as a ``tensorgrad.autograd.Function`` with a
hand-derived backward. hypothesis draws tensors of random shapes and memory layouts, and
``assert_gradients_close`` compares the backward against float64 central differences. A copy
with a classic slip in the derivative (forgetting the square) is caught, with the element.
"""

from __future__ import annotations

import argparse

from hypothesis import given, settings

import tensorgrad as tg
from tensorgrad.testing import assert_gradients_close, assert_second_gradients_close
from tensorgrad.testing import strategies as tst


class Softsign(tg.autograd.Function):
    """y = x / (1 + |x|); dy/dx = 1 / (1 + |x|)^2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x / (1 + x.abs())

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x.abs()) ** 2


class SloppySoftsign(Softsign):
    """The same op with a wrong derivative: 1 / (1 + |x|), the square forgotten."""

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x.abs())


def gradient_property(op, examples: int):
    """The whole test: for any shape, layout and values away from the kink at 0, it holds."""

    @settings(max_examples=examples, deadline=None, database=None)
    @given(tst.tensors(elements=tst.away_from([0.0]), requires_grad=True, contiguous=None))
    def check(x):
        assert_gradients_close(op.apply, x)
        assert_second_gradients_close(op.apply, x)

    return check


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="20 examples instead of 200")
    args = parser.parse_args(argv)
    examples = 20 if args.fast else 200

    gradient_property(Softsign, examples)()
    print(
        f"Softsign: gradient and second derivative match finite differences "
        f"on {examples} random tensors"
    )
    try:
        gradient_property(SloppySoftsign, examples)()
    except AssertionError as error:
        print(f"SloppySoftsign: caught -> {str(error).splitlines()[0]}")
    else:
        raise SystemExit("SloppySoftsign: the wrong derivative was NOT caught")


if __name__ == "__main__":
    main()
