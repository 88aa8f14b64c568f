"""Fused recurrent layers: a whole sequence of RNN, LSTM or GRU steps as one graph node.

Written step by step with Tensor ops, an LSTM over T steps costs a dozen graph nodes per step,
and their bookkeeping dominates at the sizes people train on a CPU. Here one node runs the
forward over every step in array code and back-propagates through time in array code: the
input projection for all steps is one matrix product before the loop, and the weight gradients
are one matrix product each after it; only the hidden-to-hidden product runs per step.

Sequences are laid out *packed*, as ``nn.utils.rnn.PackedSequence`` stores them: the rows of
step t are a block of ``batch_sizes[t]`` rows, blocks in time order, ``batch_sizes``
non-increasing (the sequences sorted by decreasing length). A padded (T, B, ·) batch is the
special case ``batch_sizes = (B,) * T`` and needs only a reshape. A sequence that has ended
keeps its state, so the final state of each sequence is read after its own last step; run in
reverse, a sequence starts from the initial state at its own last step.

Gate order and formulas are PyTorch's (``W_ih`` rows: LSTM i, f, g, o; GRU r, z, n):

- RNN: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act tanh or relu;
- LSTM: ``c' = f c + i g``, ``h' = o tanh(c')`` (then ``h' = W_hr h'`` with a projection);
- GRU: ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``, ``h' = (1 - z) n + z h``.
"""

from __future__ import annotations

from .._backend import array_module
from ..autograd.function import Function
from ..tensor import Tensor

__all__ = ["recurrent_layer"]

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _sigmoid_(xp, a):
    """σ(a) in place (exp overflows to inf for very negative a, and 1/inf is the right 0)."""
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    return xp.reciprocal(a, out=a)


def _steps(batch_sizes, reverse):
    """(first row, row count) of each step's block, in the order the recurrence visits them."""
    blocks, offset = [], 0
    for rows in batch_sizes:
        blocks.append((offset, rows))
        offset += rows
    return blocks[::-1] if reverse else blocks


class Recurrence(Function):
    """One layer in one direction over a packed sequence (see the module docstring).

    Inputs: x (N, I), h0 (B, H_out), c0 (B, H) for LSTM else None, W_ih (G·H, I),
    W_hh (G·H, H_out), b_ih and b_hh (G·H,) or None, W_hr (H_out, H) or None.
    Outputs: y (N, H_out), h_n (B, H_out) and, for LSTM, c_n (B, H).

    The backward runs in array code and is not itself differentiable (like PyTorch's fused
    RNN kernels): ``create_graph=True`` through it raises instead of returning a silently
    wrong second derivative.
    """

    @staticmethod
    def forward(ctx, mode, batch_sizes, reverse, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        xp = array_module(x._data)
        hidden = w_hh.shape[0] // GATES[mode]
        # Every step's input projection at once, (N, G·H). The loop turns each step's block
        # into its activated gates in place, which is what backward needs.
        gates = x._data @ w_ih._data.T
        if b_ih is not None:
            gates += b_ih._data
            if mode == "GRU":  # b_hn stays inside r ⊙ (W_hn h + b_hn)
                gates[:, : 2 * hidden] += b_hh._data[: 2 * hidden]
            else:
                gates += b_hh._data
        h = h0._data.copy()
        c = c0._data.copy() if c0 is not None else None
        total = x.shape[0]
        out = xp.empty((total, h.shape[1]), dtype=gates.dtype)
        h_prev = xp.empty_like(out)
        # Besides h_prev and the gates, backward needs c before and after each step (LSTM)
        # or W_hn h + b_hn (GRU).
        extra = xp.empty((total, {"LSTM": 2, "GRU": 1}.get(mode, 0) * hidden), dtype=gates.dtype)
        b_hn = b_hh._data[2 * hidden :] if mode == "GRU" and b_hh is not None else None
        w_hh_t = w_hh._data.T
        w_hr_t = w_hr._data.T if w_hr is not None else None
        for first, rows in _steps(batch_sizes, reverse):
            block = slice(first, first + rows)
            previous = h[:rows]
            h_prev[block] = previous
            step = gates[block]
            if mode == "LSTM":
                step += previous @ w_hh_t
                _sigmoid_(xp, step[:, : 2 * hidden])
                xp.tanh(step[:, 2 * hidden : 3 * hidden], out=step[:, 2 * hidden : 3 * hidden])
                _sigmoid_(xp, step[:, 3 * hidden :])
                i, f, g, o = (step[:, k * hidden : (k + 1) * hidden] for k in range(4))
                cell = extra[block]
                cell[:, :hidden] = c[:rows]
                c[:rows] = f * c[:rows] + i * g
                cell[:, hidden:] = c[:rows]
                new = o * xp.tanh(c[:rows])
                if w_hr_t is not None:
                    new = new @ w_hr_t
            elif mode == "GRU":
                recurrent = previous @ w_hh_t
                if b_hn is not None:
                    recurrent[:, 2 * hidden :] += b_hn
                step[:, : 2 * hidden] += recurrent[:, : 2 * hidden]
                _sigmoid_(xp, step[:, : 2 * hidden])
                r, z = step[:, :hidden], step[:, hidden : 2 * hidden]
                candidate = step[:, 2 * hidden :]
                candidate += r * recurrent[:, 2 * hidden :]
                xp.tanh(candidate, out=candidate)
                extra[block] = recurrent[:, 2 * hidden :]
                new = candidate + z * (previous - candidate)
            else:
                step += previous @ w_hh_t
                new = xp.tanh(step) if mode == "RNN_TANH" else xp.maximum(step, 0)
            out[block] = new
            h[:rows] = new
        ctx.mode, ctx.batch_sizes, ctx.reverse, ctx.hidden = mode, batch_sizes, reverse, hidden
        ctx.has_bias = b_ih is not None
        out = Tensor(out)
        # Only a plain RNN's backward reads its output (gated cells keep their gates): an
        # LSTM's output may then be changed in place before backward, as in PyTorch.
        # The arrays go in as Tensors: a Function keeps a saved raw array as a constant,
        # converted with NumPy, which a device array does not allow.
        ctx.save_for_backward(
            x,
            w_ih,
            w_hh,
            w_hr,
            Tensor(h_prev),
            Tensor(gates),
            Tensor(extra),
            out if mode.startswith("RNN") else None,
        )
        outputs = (out, Tensor(h))
        return (*outputs, Tensor(c)) if c is not None else outputs

    def _input_grads(self, grad_outputs, create_graph: bool):
        if create_graph:
            raise RuntimeError(
                f"{self.mode.lower()}: the fused recurrent layer's backward is not "
                f"differentiable (create_graph=True), like PyTorch's cuDNN kernels; for a second "
                f"derivative, write the steps with Tensor ops"
            )
        return super()._input_grads(grad_outputs, create_graph)

    @staticmethod
    def backward(ctx, grad_out, grad_h, grad_c=None):
        mode, hidden = ctx.mode, ctx.hidden
        x, w_ih, w_hh, w_hr, h_prev, gates, extra, out = (
            None if t is None else t._data for t in ctx.saved_tensors
        )
        xp = array_module(x)
        grad_out = grad_out._data
        dh = grad_h._data.copy()
        dc = grad_c._data.copy() if mode == "LSTM" else None
        d_x_side = xp.empty_like(gates)  # ∂L/∂(W_ih x + b_ih), row by row
        d_h_side = xp.empty_like(gates) if mode == "GRU" else d_x_side  # ∂L/∂(W_hh h + b_hh)
        grad_m = xp.empty((x.shape[0], w_hr.shape[0]), dtype=x.dtype) if w_hr is not None else None
        for first, rows in reversed(_steps(ctx.batch_sizes, ctx.reverse)):
            block = slice(first, first + rows)
            grad = dh[:rows] + grad_out[block]
            step = gates[block]
            if mode == "LSTM":
                i, f, g, o = (step[:, k * hidden : (k + 1) * hidden] for k in range(4))
                c_prev, tanh_c = extra[block, :hidden], xp.tanh(extra[block, hidden:])
                if w_hr is not None:
                    grad_m[block] = grad
                    grad = grad @ w_hr
                dc_new = dc[:rows] + grad * o * (1 - tanh_c * tanh_c)
                d_step = d_x_side[block]
                d_step[:, :hidden] = dc_new * g * i * (1 - i)
                d_step[:, hidden : 2 * hidden] = dc_new * c_prev * f * (1 - f)
                d_step[:, 2 * hidden : 3 * hidden] = dc_new * i * (1 - g * g)
                d_step[:, 3 * hidden :] = grad * tanh_c * o * (1 - o)
                dc[:rows] = dc_new * f
                dh[:rows] = d_step @ w_hh
            elif mode == "GRU":
                r, z, n = (step[:, k * hidden : (k + 1) * hidden] for k in range(3))
                d_candidate = grad * (1 - z) * (1 - n * n)
                d_x, d_h = d_x_side[block], d_h_side[block]
                d_x[:, :hidden] = d_candidate * extra[block] * r * (1 - r)
                d_x[:, hidden : 2 * hidden] = grad * (h_prev[block] - n) * z * (1 - z)
                d_x[:, 2 * hidden :] = d_candidate
                d_h[:, : 2 * hidden] = d_x[:, : 2 * hidden]
                d_h[:, 2 * hidden :] = d_candidate * r
                dh[:rows] = grad * z + d_h @ w_hh
            else:
                new = out[block]
                d_step = d_x_side[block]
                if mode == "RNN_TANH":
                    xp.multiply(grad, 1 - new * new, out=d_step)
                else:
                    xp.multiply(grad, new > 0, out=d_step)
                dh[:rows] = d_step @ w_hh
        needs = ctx.needs_input_grad
        candidates = [None] * 11
        candidates[3] = lambda: d_x_side @ w_ih
        candidates[4] = lambda: dh
        candidates[5] = lambda: dc
        candidates[6] = lambda: d_x_side.T @ x
        candidates[7] = lambda: d_h_side.T @ h_prev
        if ctx.has_bias:
            candidates[8] = lambda: d_x_side.sum(0)
            candidates[9] = lambda: d_h_side.sum(0)
        if w_hr is not None:  # h = W_hr m with m = o ⊙ tanh(c)
            candidates[10] = lambda: (
                grad_m.T @ (gates[:, 3 * hidden :] * xp.tanh(extra[:, hidden:]))
            )
        return tuple(
            Tensor(make()) if make is not None and need else None
            for make, need in zip(candidates, needs)
        )


def recurrent_layer(
    mode: str,
    input: Tensor,
    batch_sizes: tuple[int, ...],
    hx: Tensor,
    cx: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    weight_hr: Tensor | None = None,
    reverse: bool = False,
):
    """Run one recurrent layer in one direction over a packed sequence, as one graph node.

    Args:
        mode: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'`` or ``'GRU'``.
        input: (N, I), the rows of every step, step by step (N = sum of ``batch_sizes``).
        batch_sizes: how many sequences are still running at each step (non-increasing).
        hx: (B, H_out) initial hidden state, B = ``batch_sizes[0]``.
        cx: (B, H) initial cell state for LSTM, None otherwise.
        weight_ih, weight_hh, bias_ih, bias_hh, weight_hr: PyTorch's parameters of the layer.
        reverse: run from the last step to the first (the backward direction).

    Returns:
        ``(output (N, H_out), h_n (B, H_out))``, and ``c_n (B, H)`` last for LSTM.
    """
    if mode not in MODES:
        raise ValueError(f"recurrent_layer: unknown mode {mode!r}, expected one of {MODES}")
    return Recurrence.apply(
        mode,
        tuple(batch_sizes),
        reverse,
        input,
        hx,
        cx,
        weight_ih,
        weight_hh,
        bias_ih,
        bias_hh,
        weight_hr,
    )
