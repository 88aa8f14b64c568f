"""ONNX translations of the layer primitives: convolutions, pooling, attention, the fused
recurrent layers and embedding lookups.

Recurrent layers become ONNX's own ``LSTM``/``GRU``/``RNN`` nodes, one per layer and direction
(as tensorgrad runs them), with the weights reordered the way ONNX wants its gates: PyTorch
stores an LSTM's as i, f, g, o and a GRU's as r, z, n; ONNX reads i, o, f, c and z, r, h, and a
GRU with ``linear_before_reset=1`` is PyTorch's (the reset gate multiplies ``W_hn h + b_hn``).
"""

from __future__ import annotations

import numpy

from ..ops.attention import ScaledDotProductAttention
from ..ops.convolution import Convolution, ConvolutionTranspose
from ..ops.pooling import AvgPool
from ..ops.recurrent import GATES, Recurrence
from ._capture import recorded
from ._graph import Graph, Value, translates
from .errors import UnsupportedOperatorError

__all__: list = []


def _pads(padding) -> list[int]:
    """Geometry's ((before, after), …) as ONNX's [before…, after…]."""
    return [before for before, _ in padding] + [after for _, after in padding]


@translates(Convolution, AvgPool)
def _convolution(graph, x, weight, geometry):
    return graph.add(
        "Conv",
        [x.name, weight.name],
        kernel_shape=list(geometry.kernel),
        strides=list(geometry.stride),
        pads=_pads(geometry.padding),
        dilations=list(geometry.dilation),
        group=geometry.groups,
    )


@translates(ConvolutionTranspose)
def _convolution_transpose(graph, x, weight, geometry):
    # PyTorch's output_padding uncrops the end: written as a smaller end pad (ONNX Runtime
    # wants output_padding below the stride, PyTorch below the stride or the dilation), and
    # zeros past the last contribution where it exceeds the pad.
    extra = [
        size - (stride * (length - 1) + dilation * (kernel - 1) + 1 - before - after)
        for size, length, stride, dilation, kernel, (before, after) in zip(
            geometry.spatial,
            x.shape[2:],
            geometry.stride,
            geometry.dilation,
            geometry.kernel,
            geometry.padding,
        )
    ]
    ends = [max(after - e, 0) for (_, after), e in zip(geometry.padding, extra)]
    zeros = [max(e - after, 0) for (_, after), e in zip(geometry.padding, extra)]
    out = graph.add(
        "ConvTranspose",
        [x.name, weight.name],
        kernel_shape=list(geometry.kernel),
        strides=list(geometry.stride),
        pads=[before for before, _ in geometry.padding] + ends,
        dilations=list(geometry.dilation),
        group=geometry.groups,
    )
    if any(zeros):
        widths = graph.ints([0, 0] + [0] * len(zeros) + [0, 0] + zeros)
        out = graph.add("Pad", [out, widths, graph.scalar(0, x.dtype)])
    return out


# ---------------------------------------------------------------------- pooling
def _tuple(value, dims: int) -> list[int]:
    return [int(value)] * dims if isinstance(value, int) else [int(v) for v in value]


def _batched(graph: Graph, input: Value, dims: int, make) -> str:
    """``make(name)`` on a batched input (an unbatched one gets a batch dim and loses it)."""
    if input.ndim == dims + 2:
        return make(input.name)
    return graph.squeeze(make(graph.unsqueeze(input.name, [0])), [0])


def _max_pool(dims: int):
    def pool(
        graph,
        input,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        ceil_mode=False,
        return_indices=False,
    ):
        if return_indices:
            raise UnsupportedOperatorError(
                f"max_pool{dims}d", "return_indices=True (ONNX numbers the indices differently)"
            )
        kernel = _tuple(kernel_size, dims)
        strides = kernel if stride in (None, (), []) else _tuple(stride, dims)
        pads, dilations = _tuple(padding, dims), _tuple(dilation, dims)
        extra = [0] * dims
        if ceil_mode:  # PyTorch's partial last windows, which must start inside the input
            out, sizes = graph.results[0].shape[-dims:], input.shape[-dims:]
            extra = [
                max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
                for p, o, s, d, k, n in zip(pads, out, strides, dilations, kernel, sizes)
            ]

        def make(name: str) -> str:
            window = {"kernel_shape": kernel, "strides": strides, "dilations": dilations}
            if not any(extra):
                return graph.add("MaxPool", [name], pads=pads + pads, **window)
            # ONNX wants pads smaller than the kernel: pad with the lowest value instead
            low = -numpy.inf if input.dtype.kind == "f" else numpy.iinfo(input.dtype).min
            widths = graph.ints([0, 0, *pads, 0, 0, *(p + e for p, e in zip(pads, extra))])
            padded = graph.add("Pad", [name, widths, graph.scalar(low, input.dtype)])
            return graph.add("MaxPool", [padded], **window)

        return _batched(graph, input, dims, make)

    return pool


def _adaptive_max_pool(dims: int):
    def pool(graph, input, output_size, return_indices=False):
        if return_indices:
            raise UnsupportedOperatorError(f"adaptive_max_pool{dims}d", "return_indices=True")
        sizes = input.shape[-dims:]
        wanted = [s if o is None else o for o, s in zip(_tuple_none(output_size, dims), sizes)]
        if all(o == 1 for o in wanted):
            return _batched(graph, input, dims, lambda name: graph.add("GlobalMaxPool", [name]))
        if any(s % o for s, o in zip(sizes, wanted)):
            raise UnsupportedOperatorError(
                f"adaptive_max_pool{dims}d",
                f"input size {tuple(sizes)} is not a multiple of the output size {tuple(wanted)}",
            )
        kernel = [s // o for s, o in zip(sizes, wanted)]
        return _batched(
            graph,
            input,
            dims,
            lambda name: graph.add("MaxPool", [name], kernel_shape=kernel, strides=kernel),
        )

    return pool


def _tuple_none(value, dims: int) -> list:
    if value is None or isinstance(value, int):
        return [value] * dims
    value = list(value)
    return value * dims if len(value) == 1 else value


for _dims in (1, 2, 3):
    translates(f"tensorgrad.ops.pooling.max_pool{_dims}d")(_max_pool(_dims))
for _dims in (1, 2):
    translates(f"tensorgrad.ops.pooling.adaptive_max_pool{_dims}d")(_adaptive_max_pool(_dims))


# ---------------------------------------------------------------------- attention
@translates(ScaledDotProductAttention)
def _attention(graph, q, k, v, *extra, scale, causal, masked, dropped):
    dtype = q.dtype
    perm = list(range(k.ndim - 2)) + [k.ndim - 1, k.ndim - 2]
    scores = graph.add("MatMul", [q.name, graph.add("Transpose", [k.name], perm=perm)])
    scores = graph.add("Mul", [scores, graph.scalar(scale, dtype)])
    zero, minus_inf = graph.scalar(0, dtype), graph.scalar(-numpy.inf, dtype)
    if masked:
        mask = extra[0]
        if mask.dtype.kind == "b":
            mask_name = graph.add("Where", [mask.name, zero, minus_inf])
        else:
            mask_name = graph.like(mask, dtype)
        scores = graph.add("Add", [scores, mask_name])
    if causal:  # True on and below the diagonal, upper-left aligned
        square = graph.concat_ints([graph.dim(q.name, q.ndim - 2), graph.dim(k.name, k.ndim - 2)])
        ones = graph.add(
            "ConstantOfShape",
            [square],
            value=graph.numpy_helper.from_array(numpy.ones(1, dtype=dtype)),
        )
        allowed = graph.cast(graph.add("Trilu", [ones], upper=0), dtype, numpy.bool_)
        scores = graph.add("Add", [scores, graph.add("Where", [allowed, zero, minus_inf])])
    if masked:  # a row whose keys are all masked gives weights of 0, not NaN
        dead = graph.add("Equal", [graph.reduce("ReduceMax", scores, [-1], True), minus_inf])
        weights = graph.add("Softmax", [graph.add("Where", [dead, zero, scores])], axis=-1)
        weights = graph.add("Where", [dead, zero, weights])
    else:
        weights = graph.add("Softmax", [scores], axis=-1)
    if dropped:
        weights = graph.add("Mul", [weights, extra[-1].name])
    return graph.add("MatMul", [weights, v.name])


# ---------------------------------------------------------------------- recurrent layers
_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN_TANH": (0,), "RNN_RELU": (0,)}


def _gates(graph: Graph, value: Value, order: tuple, hidden: int, hint: str) -> str:
    """``value`` (G·H, …) with its gate blocks in ONNX's order and a leading direction dim."""
    if value.constant is not None:
        blocks = [value.constant[g * hidden : (g + 1) * hidden] for g in order]
        return graph.initializer(numpy.concatenate(blocks)[None], hint)
    blocks = [
        graph.add(
            "Slice",
            [value.name, graph.ints([g * hidden]), graph.ints([(g + 1) * hidden]), graph.ints([0])],
        )
        for g in order
    ]
    joined = blocks[0] if len(blocks) == 1 else graph.add("Concat", blocks, axis=0)
    return graph.unsqueeze(joined, [0])


@translates(Recurrence, dynamic=("*",))
def _recurrence(graph, mode, batch_sizes, reverse, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
    name = mode.lower().split("_")[0]
    sizes = recorded(batch_sizes)
    if len(set(sizes)) > 1:
        raise UnsupportedOperatorError(name, "packed sequences of different lengths")
    if w_hr is not None:
        raise UnsupportedOperatorError(name, "LSTM with proj_size (ONNX's LSTM has no projection)")
    order, hidden = _GATE_ORDER[mode], w_hh.shape[0] // GATES[mode]
    steps = graph.concat_ints([-1, graph.dim(h0.name, 0), x.shape[-1]])
    inputs = [
        graph.add("Reshape", [x.name, steps]),  # (T·B, I) → (T, B, I)
        _gates(graph, w_ih, order, hidden, f"{w_ih.label}_onnx"),
        _gates(graph, w_hh, order, hidden, f"{w_hh.label}_onnx"),
    ]
    if b_ih is None:
        inputs.append("")
    elif b_ih.constant is not None and b_hh.constant is not None:  # ONNX's B: [Wb, Rb]
        blocks = [
            bias.constant[g * hidden : (g + 1) * hidden] for bias in (b_ih, b_hh) for g in order
        ]
        inputs.append(graph.initializer(numpy.concatenate(blocks)[None], f"{b_ih.label}_onnx"))
    else:
        both = [_gates(graph, b, order, hidden, f"{b.label}_onnx") for b in (b_ih, b_hh)]
        inputs.append(graph.add("Concat", both, axis=1))
    inputs += ["", graph.unsqueeze(h0.name, [0])]
    if c0 is not None:
        inputs.append(graph.unsqueeze(c0.name, [0]))
    attributes = {"hidden_size": hidden, "direction": "reverse" if reverse else "forward"}
    if mode == "GRU":
        attributes["linear_before_reset"] = 1
    elif mode.startswith("RNN"):
        attributes["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"]
    op_type = "RNN" if mode.startswith("RNN") else mode
    results = graph.add(op_type, inputs, 3 if mode == "LSTM" else 2, **attributes)
    output = graph.add("Reshape", [results[0], graph.ints([-1, hidden])])  # (T, 1, B, H)
    states = [graph.squeeze(state, [0]) for state in results[1:]]
    return (output, *states)


@translates("tensorgrad.nn.functional.embedding")
def _embedding(
    graph,
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    if max_norm is not None:
        raise UnsupportedOperatorError("embedding", "max_norm (it rescales the table in place)")
    return graph.add("Gather", [weight.name, graph.like(input, numpy.int64)], axis=0)
