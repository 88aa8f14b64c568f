"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` over whole sequences, and their one-step cells.

Each layer and direction runs as one fused graph node (``tensorgrad.ops.recurrent``): the
forward over all steps and the backward through time are array code, so a sequence costs a
handful of Tensor dispatches, not a dozen per step. Parameters, their names, shapes and
initialisation are PyTorch's, so PyTorch state dicts load unchanged.
"""

from __future__ import annotations

import math
import numbers
import warnings

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn import functional as F
from tensorgrad.nn import init
from tensorgrad.nn.module import Module
from tensorgrad.nn.parameter import Parameter
from tensorgrad.nn.utils.rnn import PackedSequence
from tensorgrad.ops.recurrent import recurrent_layer

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_dtype(module: Module, input: Tensor, weight: Tensor) -> None:
    if input.dtype != weight.dtype:
        raise ValueError(
            f"{type(module).__name__} input dtype ({input.dtype}) does not match weight dtype "
            f"({weight.dtype}). Convert input: input.to({weight.dtype}), or convert model: "
            f"model.to({input.dtype})"
        )


def _check_state_dtype(state: Tensor, input: Tensor) -> None:
    # Mixed precision would silently round the state at every step: PyTorch refuses it too.
    if state.dtype != input.dtype:
        raise RuntimeError(
            f"the hidden state's dtype ({state.dtype}) does not match the input's "
            f"({input.dtype}): mat1 and mat2 must have the same dtype"
        )


class RNNBase(Module):
    """What ``RNN``, ``LSTM`` and ``GRU`` share: parameters per layer and direction, the
    input layouts (padded, batch-first, unbatched, packed) and the state checks."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if (
            not isinstance(dropout, numbers.Number)
            or not 0 <= dropout <= 1
            or isinstance(dropout, bool)
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=3,
            )
        for name, size in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(size, int) or isinstance(size, bool):
                raise TypeError(f"{name} should be of type int, got: {type(size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate_size = _GATES[mode] * hidden_size
        output_size = proj_size or hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else output_size * self.num_directions
            for suffix in ("", "_reverse")[: self.num_directions]:
                shapes = {
                    f"weight_ih_l{layer}{suffix}": (gate_size, layer_input),
                    f"weight_hh_l{layer}{suffix}": (gate_size, output_size),
                }
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gate_size,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gate_size,)
                if proj_size:
                    shapes[f"weight_hr_l{layer}{suffix}"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    self.register_parameter(
                        name, Parameter(tensorgrad.empty(shape, dtype=dtype, device=device))
                    )
                self._flat_weights_names.extend(shapes)
                self._all_weights.append(list(shapes))
        self.reset_parameters()

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters, one list per layer and direction, in PyTorch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def reset_parameters(self) -> None:
        """Re-draw every parameter from U(-1/√hidden_size, 1/√hidden_size), as PyTorch does."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """Accepted for compatibility: PyTorch compacts cuDNN weights here; nothing to do."""

    def _layer_parameters(self, layer: int, suffix: str) -> dict:
        def get(kind):
            return getattr(self, f"{kind}_l{layer}{suffix}", None)

        return {
            "weight_ih": get("weight_ih"),
            "weight_hh": get("weight_hh"),
            "bias_ih": get("bias_ih"),
            "bias_hh": get("bias_hh"),
            "weight_hr": get("weight_hr"),
        }

    def _state_shape(self, batch: int | None, size: int) -> tuple[int, ...]:
        layers = self.num_layers * self.num_directions
        return (layers, size) if batch is None else (layers, batch, size)

    def _initial_state(self, state, batch, size, name, like: Tensor) -> Tensor:
        expected = self._state_shape(batch, size)
        if state is None:
            return tensorgrad.zeros(expected, dtype=like.dtype, device=like.device)
        if tuple(state.shape) != expected:
            raise RuntimeError(f"Expected {name} size {expected}, got {list(state.shape)}")
        _check_state_dtype(state, like)
        return state

    def _check_state_ranks(self, states, batched: bool) -> None:
        ranks = [s.dim() for s in states if s is not None]
        wanted = 3 if batched else 2
        if any(rank != wanted for rank in ranks):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            if self.mode == "LSTM":
                got = ", ".join(f"{rank}-D" for rank in ranks)
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {wanted}-D but got ({got}) tensors"
                )
            raise RuntimeError(
                f"For {kind} input, hx should also be {wanted}-D but got {ranks[0]}-D tensor"
            )

    def forward(self, input, hx=None):
        """Run every layer over the sequence.

        Shapes (B batch, L steps, D = 2 if bidirectional else 1, H_out = proj_size or
        hidden_size): input (L, B, input_size), or (B, L, input_size) with ``batch_first``,
        or (L, input_size) unbatched, or a ``PackedSequence``; hx (D·num_layers, B, H_out)
        (for LSTM a tuple with c0 (D·num_layers, B, hidden_size)), zeros if None.

        Returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``): output (L, B, D·H_out)
        in the input's layout (packed if the input was), the states like hx.
        """
        lstm = self.mode == "LSTM"
        h0, c0 = (hx if hx is not None else (None, None)) if lstm else (hx, None)
        if isinstance(input, PackedSequence):
            data, sizes = input.data, tuple(int(n) for n in input.batch_sizes.tolist())
            batch, batched = sizes[0], True
            if input.sorted_indices is not None:  # states are given in the caller's order
                h0 = h0.index_select(1, input.sorted_indices) if h0 is not None else None
                c0 = c0.index_select(1, input.sorted_indices) if c0 is not None else None
        else:
            if input.dim() not in (2, 3):
                raise ValueError(
                    f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.dim()}D "
                    f"instead"
                )
            batched = input.dim() == 3
            sequence = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                sequence = sequence.transpose(0, 1)
            steps, batch = sequence.shape[0], sequence.shape[1]
            if steps == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            data, sizes = sequence.reshape(steps * batch, sequence.shape[2]), (batch,) * steps
        if data.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {data.shape[-1]}"
            )
        _check_dtype(self, data, self.weight_ih_l0)
        self._check_state_ranks((h0, c0), batched)
        if not batched:
            h0 = h0.unsqueeze(1) if h0 is not None else None
            c0 = c0.unsqueeze(1) if c0 is not None else None
        names = ("hidden[0]", "hidden[1]") if lstm else ("hidden", None)
        h0 = self._initial_state(h0, batch, self.proj_size or self.hidden_size, names[0], data)
        c0 = self._initial_state(c0, batch, self.hidden_size, names[1], data) if lstm else None
        output, h_n, c_n = self._run_layers(data, sizes, h0, c0)
        if isinstance(input, PackedSequence):
            output = PackedSequence(
                output, input.batch_sizes, input.sorted_indices, input.unsorted_indices
            )
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = c_n.index_select(1, input.unsorted_indices) if lstm else None
        else:
            output = output.reshape(len(sizes), batch, output.shape[-1])
            if not batched:
                output, h_n = output.squeeze(1), h_n.squeeze(1)
                c_n = c_n.squeeze(1) if lstm else None
            elif self.batch_first:
                output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _run_layers(self, data: Tensor, sizes: tuple, h0: Tensor, c0: Tensor | None):
        """Every layer and direction over the packed rows: (output, h_n, c_n or None)."""
        final_h, final_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(("", "_reverse")[: self.num_directions]):
                index = layer * self.num_directions + direction
                result = recurrent_layer(
                    self.mode,
                    data,
                    sizes,
                    h0[index],
                    c0[index] if c0 is not None else None,
                    **self._layer_parameters(layer, suffix),
                    reverse=bool(direction),
                )
                outputs.append(result[0])
                final_h.append(result[1])
                if c0 is not None:
                    final_c.append(result[2])
            data = outputs[0] if len(outputs) == 1 else tensorgrad.cat(outputs, dim=1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                data = F.dropout(data, self.dropout, training=True)
        h_n = tensorgrad.stack(final_h)
        return data, h_n, tensorgrad.stack(final_c) if c0 is not None else None

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0}
        defaults["bidirectional"] = False
        for name, default in defaults.items():
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


_RNN_ARGS = ("num_layers", "nonlinearity", "bias", "batch_first", "dropout", "bidirectional")


class RNN(RNNBase):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act tanh or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; shapes as :meth:`RNNBase.forward`.
    Parameters ``weight_ih_l{k}`` (hidden, in), ``weight_hh_l{k}`` (hidden, hidden),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (hidden,), and ``…_reverse`` when bidirectional.
    """

    def __init__(self, input_size: int, hidden_size: int, *args, **kwargs) -> None:
        kwargs.update(zip(_RNN_ARGS, args))
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, **kwargs)


_LSTM_ARGS = ("num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size")


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o; c_t = f c_{t-1} + i g, h_t = o tanh(c_t).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0)``; shapes as :meth:`RNNBase.forward`, the state a tuple
    ``(h, c)``. ``weight_ih_l{k}`` is (4·hidden, in) with the gates stacked i, f, g, o;
    with ``proj_size`` > 0, ``h_t = W_hr (o tanh(c_t))`` and ``weight_hr_l{k}`` is
    (proj_size, hidden).
    """

    def __init__(self, input_size: int, hidden_size: int, *args, **kwargs) -> None:
        kwargs.update(zip(_LSTM_ARGS, args))
        super().__init__("LSTM", input_size, hidden_size, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit: gates r, z, n; h_t = (1 - z) n + z h_{t-1},
    n = tanh(W_in x + b_in + r (W_hn h_{t-1} + b_hn)).

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; shapes as :meth:`RNNBase.forward`. ``weight_ih_l{k}`` is
    (3·hidden, in) with the gates stacked r, z, n.
    """

    def __init__(self, input_size: int, hidden_size: int, *args, **kwargs) -> None:
        kwargs.update(zip(_LSTM_ARGS[:-1], args))
        super().__init__("GRU", input_size, hidden_size, **kwargs)


class RNNCellBase(Module):
    """One step of a recurrent layer: ``weight_ih`` (G·hidden, in), ``weight_hh``
    (G·hidden, hidden), ``bias_ih``/``bias_hh`` (G·hidden,), initialised like the layers."""

    def __init__(
        self, mode: str, input_size: int, hidden_size: int, bias: bool, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate_size = _GATES[mode] * hidden_size
        self.weight_ih = Parameter(
            tensorgrad.empty(gate_size, input_size, dtype=dtype, device=device)
        )
        self.weight_hh = Parameter(
            tensorgrad.empty(gate_size, hidden_size, dtype=dtype, device=device)
        )
        if bias:
            self.bias_ih = Parameter(tensorgrad.empty(gate_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(tensorgrad.empty(gate_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw every parameter from U(-1/√hidden_size, 1/√hidden_size), as PyTorch does."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def _step(self, input: Tensor, states: tuple):
        """One step: input (B, in) or (in,), states (B, hidden) or (hidden,) or None."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        batched = input.dim() == 2
        rows = input if batched else input.unsqueeze(0)
        if rows.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {rows.shape[1]} expected {self.input_size}"
            )
        _check_dtype(self, rows, self.weight_ih)
        batch = rows.shape[0]
        prepared = []
        for index, state in enumerate(states):
            if state is None:
                state = tensorgrad.zeros(
                    batch, self.hidden_size, dtype=rows.dtype, device=rows.device
                )
            elif state.dim() != input.dim():
                raise RuntimeError(
                    f"{name}: Expected hidden to be {input.dim()}D, got {state.dim()}D instead"
                )
            elif not batched:
                state = state.unsqueeze(0)
            if state.shape[0] != batch:
                raise RuntimeError(
                    f"Input batch size {batch} doesn't match hidden{index} batch size "
                    f"{state.shape[0]}"
                )
            _check_state_dtype(state, rows)
            if state.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{index} has inconsistent hidden_size: got {state.shape[1]}, "
                    f"expected {self.hidden_size}"
                )
            prepared.append(state)
        cell = prepared[1] if len(prepared) == 2 else None
        result = recurrent_layer(
            self.mode,
            rows,
            (batch,),
            prepared[0],
            cell,
            self.weight_ih,
            self.weight_hh,
            self.bias_ih,
            self.bias_hh,
        )
        new = result[1:]
        return new if batched else tuple(state.squeeze(0) for state in new)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            text += f", nonlinearity={nonlinearity}"
        return text


class RNNCell(RNNCellBase):
    """One Elman step: h' = act(W_ih x + b_ih + W_hh h + b_hh).

    Shapes: input (B, in) or (in,), hx like the output (B, hidden), zeros if None.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH", input_size, hidden_size, bias, dtype=dtype, device=device)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self.mode = f"RNN_{self.nonlinearity.upper()}"
        return self._step(input, (hx,))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: (B, in), optional ``(h, c)`` each (B, hidden) → ``(h', c')``."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__("LSTM", input_size, hidden_size, bias, dtype=dtype, device=device)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        if hx is not None and len(hx) != 2:
            raise RuntimeError(f"lstm_cell expects two hidden states, got {len(hx)}")
        return self._step(input, hx if hx is not None else (None, None))


class GRUCell(RNNCellBase):
    """One GRU step: (B, in), (B, hidden) → (B, hidden)."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__("GRU", input_size, hidden_size, bias, dtype=dtype, device=device)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, (hx,))[0]
