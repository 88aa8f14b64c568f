"""Batches of variable-length sequences, padded or packed (``tensorgrad.nn.utils.rnn``).

A padded batch is one ``(T, B, *)`` tensor (``(B, T, *)`` with ``batch_first``) whose short
sequences are filled up with a padding value. A :class:`PackedSequence` keeps only the real
steps, time-major: all sequences' first steps, then all second steps, and so on, with the
sequences sorted longest first, so step ``t`` is a contiguous block of ``batch_sizes[t]`` rows.

Every conversion here is one row gather (``index_select``) of the input, with the gather's
indices worked out from the lengths alone, so gradients flow both ways (packed data to the
padded input, padded output to the packed data) and nothing is computed per time step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import tensorgrad
from tensorgrad import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class _PackedSequenceFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceFields):
    """The steps of a batch of variable-length sequences, packed time-major (a named tuple).

    Fields:
        data: ``(sum(lengths), *)``: step 0 of every sequence, then step 1 of those that have
            one, …; within a step the sequences are in ``sorted_indices`` order.
        batch_sizes: ``(max(lengths),)`` int64 CPU tensor: how many sequences have step ``t``.
        sorted_indices: ``(B,)`` int64, or None: sequence ``i`` of the packed batch is
            sequence ``sorted_indices[i]`` of the original batch (None: already sorted).
        unsorted_indices: ``(B,)`` int64, or None: the inverse permutation.

    Made by :func:`pack_padded_sequence` and :func:`pack_sequence`, not by hand. For ``abc``
    and ``x``, ``data`` is ``axbc`` and ``batch_sizes`` is ``[2, 1, 1]``.
    ``PackedSequence(data, batch_sizes, sorted_indices)`` fills in ``unsorted_indices``.
    """

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PyTorch's PackedSequence((data, batch_sizes), ...) form
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn."
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data.to(...)`` (same arguments as ``Tensor.to``); the indices follow its device,
        ``batch_sizes`` stays on the CPU. Returns ``self`` when ``data`` is unchanged."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices, unsorted_indices = (
            None if indices is None else indices.to(data.device)
            for indices in (self.sorted_indices, self.unsorted_indices)
        )
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cpu(self) -> PackedSequence:
        """The packed sequence with ``data`` on the CPU."""
        return self.to("cpu")

    def double(self) -> PackedSequence:
        """``data`` as float64."""
        return self.to(dtype=tensorgrad.float64)

    def float(self) -> PackedSequence:
        """``data`` as float32."""
        return self.to(dtype=tensorgrad.float32)

    def half(self) -> PackedSequence:
        """``data`` as float16."""
        return self.to(dtype=tensorgrad.float16)

    def long(self) -> PackedSequence:
        """``data`` as int64."""
        return self.to(dtype=tensorgrad.int64)

    def int(self) -> PackedSequence:
        """``data`` as int32."""
        return self.to(dtype=tensorgrad.int32)

    def short(self) -> PackedSequence:
        """``data`` as int16."""
        return self.to(dtype=tensorgrad.int16)

    def char(self) -> PackedSequence:
        """``data`` as int8."""
        return self.to(dtype=tensorgrad.int8)

    def byte(self) -> PackedSequence:
        """``data`` as uint8."""
        return self.to(dtype=tensorgrad.uint8)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` is on a CUDA device."""
        return self.data.device.type == "cuda"

    def is_pinned(self) -> bool:
        """Whether ``data`` is in pinned memory: never, for tensorgrad's arrays."""
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation: ``(n,)`` int64 -> ``(n,)`` int64 (None stays None).

    Turns a packed sequence's ``sorted_indices`` into its ``unsorted_indices``; a recurrent
    layer also uses it to put a packed batch's final states back into the caller's order
    (``h_n.index_select(1, packed.unsorted_indices)``).
    """
    if permutation is None:
        return None
    return tensorgrad.argsort(permutation).to(tensorgrad.int64)


def _steps_before(sizes: Tensor) -> Tensor:
    """``(n,)`` -> ``(n,)``: the exclusive running sum, where each block of rows starts."""
    return tensorgrad.cumsum(sizes, 0) - sizes


def pack_padded_sequence(
    input: Tensor,
    lengths: Tensor | list[int],
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch: ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) and ``B``
    lengths -> :class:`PackedSequence` with ``data`` of shape ``(sum(lengths), *)``.

    ``lengths`` is a list or a 1-D integer tensor (read on the host: PyTorch wants it on the
    CPU; one on a device is copied over). With ``enforce_sorted`` the lengths must be
    non-increasing (sequence 0 the longest); otherwise the batch is sorted first (a stable
    sort, longest first) and the permutation kept in ``sorted_indices``, on ``input``'s
    device as in PyTorch. Steps past a sequence's length are dropped. Differentiable with
    respect to ``input``.

    Example: ``pack_padded_sequence(tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]]), [2, 1, 3],
    batch_first=True, enforce_sorted=False).data`` is ``tensor([4, 1, 3, 5, 2, 6])``.
    """
    if isinstance(lengths, Tensor):
        lengths = lengths.to("cpu", tensorgrad.int64)
    else:
        lengths = tensorgrad.as_tensor(lengths, dtype=tensorgrad.int64, device="cpu")
    sorted_indices = None
    if not enforce_sorted:
        _check_batch_size(input, lengths, batch_first)
        # PyTorch's sort is unstable above 16 elements; a stable one gives the same order
        # whenever the lengths differ or the batch is small, and a reproducible one otherwise.
        lengths, sorted_indices = tensorgrad.sort(lengths, descending=True, stable=True)
        sorted_indices = sorted_indices.to(input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    data, batch_sizes = _pack(input, lengths, batch_first)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _check_batch_size(input: Tensor, lengths: Tensor, batch_first: bool) -> None:
    # PyTorch checks this only for sorted lengths: unsorted, it silently drops the sequences
    # that have no length, or fails indexing when there are more lengths than sequences.
    batch = input.size(0 if batch_first else 1)
    if lengths.numel() != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.numel()} "
            f"(batch_size={batch})"
        )


def _pack(input: Tensor, lengths: Tensor, batch_first: bool) -> tuple[Tensor, Tensor]:
    """The checks and the gather of pack_padded_sequence, for sorted CPU ``lengths``: the
    rows to gather are worked out on the host, then copied to ``input``'s device."""
    time_steps = input.size(1 if batch_first else 0)
    batch = input.size(0 if batch_first else 1)
    if lengths.dim() != 1:
        raise RuntimeError(
            f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
            f"cpu Long tensor"
        )
    if input.numel() == 0:
        raise RuntimeError("Cannot pack empty tensors.")
    _check_batch_size(input, lengths, batch_first)
    lengths_list = lengths.tolist()
    if lengths_list[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    if any(longer > shorter for shorter, longer in zip(lengths_list, lengths_list[1:])):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability."
        )
    if lengths_list[0] > time_steps:
        # PyTorch reads past the end of the input here; refuse instead.
        raise RuntimeError(
            f"pack_padded_sequence: a sequence length of {lengths_list[0]} is longer than the "
            f"input's {time_steps} time steps (input shape {tuple(input.shape)})"
        )
    steps = tensorgrad.arange(lengths_list[0], device="cpu")
    present = steps[:, None] < lengths[None, :]  # (max length, B): step t of sequence b exists
    batch_sizes = present.sum(1)
    # Row (t, b) of the input viewed as (T * B, *) or, batch first, as (B * T, *).
    time_stride, batch_stride = (1, time_steps) if batch_first else (batch, 1)
    positions = tensorgrad.arange(batch, device="cpu")
    rows = steps[:, None] * time_stride + positions[None, :] * batch_stride
    flat = input.reshape(time_steps * batch, *input.shape[2:])
    return flat.index_select(0, rows[present].to(input.device)), batch_sizes


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo :func:`pack_padded_sequence`: ``(padded, lengths)``, with ``padded`` of shape
    ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) in the original batch order and
    ``lengths`` a ``(B,)`` int64 CPU tensor (as in PyTorch).

    ``T`` is the longest length, or ``total_length`` (a ValueError if shorter than that).
    Padded steps hold ``padding_value`` in ``data``'s dtype. Differentiable with respect to
    ``sequence.data``.
    """
    time_steps = sequence.batch_sizes.size(0)
    if total_length is not None:
        if total_length < time_steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{time_steps}"
            )
        time_steps = total_length
    data, batch_sizes = sequence.data, sequence.batch_sizes
    batch = int(batch_sizes[0].item())
    # present[t, b]: sequence b (packed order) has step t, which is row starts[t] + b of data.
    sequences = tensorgrad.arange(batch, device="cpu")
    present = sequences[None, :] < batch_sizes[:, None]
    rows = _steps_before(batch_sizes)[:, None] + sequences[None, :]
    padding_row = data.size(0)
    rows = tensorgrad.where(present, rows, padding_row)
    if time_steps > rows.size(0):
        extra = tensorgrad.full((time_steps - rows.size(0), batch), padding_row)
        rows = tensorgrad.cat([rows, extra])
    lengths = present.sum(0)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices.to("cpu")
        rows, lengths = rows.index_select(1, unsorted), lengths.index_select(0, unsorted)
    if batch_first:
        rows = rows.T
    padding = tensorgrad.full(
        (1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device
    )
    source = tensorgrad.cat([data, padding])
    # The rows are worked out on the host (from batch_sizes), then gathered on the device.
    gathered = source.index_select(0, rows.reshape(-1).to(data.device))
    padded = gathered.reshape(*rows.shape, *data.shape[1:])
    return padded, lengths


def pad_sequence(
    sequences: Tensor | Iterable[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack ``B`` sequences of shapes ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` with
    ``batch_first``), ``T = max(L_i)``, filling the rest with ``padding_value``.

    ``padding_side="left"`` puts the padding before each sequence instead of after it. The
    result has the first sequence's dtype, and the trailing shape ``*`` is the first
    sequence's (the others broadcast to it). A tensor is taken as the sequences along its
    dim 0. Differentiable with respect to every sequence.

    Example: ``pad_sequence([ones(25, 300), ones(22, 300), ones(15, 300)]).shape`` is
    ``(25, 3, 300)``.
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    if first.dim() == 0:
        raise RuntimeError("pad_sequence: expected sequences of at least 1 dimension, got 0-d")
    trailing = tuple(first.shape[1:])
    sizes = [seq.size(0) for seq in sequences]
    longest = max(sizes)
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    # One source tensor: every sequence's steps, then a padding row; then one gather.
    pieces = [seq.to(first.dtype).expand(size, *trailing) for seq, size in zip(sequences, sizes)]
    pieces.append(
        tensorgrad.full((1, *trailing), padding_value, dtype=first.dtype, device=first.device)
    )
    source = tensorgrad.cat(pieces)
    lengths = tensorgrad.tensor(sizes, device="cpu")
    starts = longest - lengths if padding_side == "left" else tensorgrad.zeros_like(lengths)
    # (T, B): step within sequence b
    step = tensorgrad.arange(longest, device="cpu")[:, None] - starts[None, :]
    present = (step >= 0) & (step < lengths[None, :])
    rows = tensorgrad.where(present, _steps_before(lengths)[None, :] + step, source.size(0) - 1)
    if batch_first:
        rows = rows.T
    # The rows are worked out on the host (from the sizes), then gathered on the device.
    gathered = source.index_select(0, rows.reshape(-1).to(source.device))
    return gathered.reshape(*rows.shape, *trailing)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False
) -> list[Tensor]:
    """Undo :func:`pad_sequence`: ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) and
    ``(B,)`` lengths -> a list of ``B`` tensors of shapes ``(lengths[i], *)``.

    Differentiable; unlike PyTorch's, it does not transpose ``padded_sequences`` in place.
    """
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:length] for seq, length in zip(padded_sequences, lengths.tolist(), strict=True)]


def pack_sequence(sequences: Iterable[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack ``B`` sequences of shapes ``(L_i, *)`` into a :class:`PackedSequence` with
    ``data`` of shape ``(sum(L_i), *)``: :func:`pad_sequence` then
    :func:`pack_padded_sequence`.

    With ``enforce_sorted`` the sequences must come longest first. Example:
    ``pack_sequence([tensor([1, 2, 3]), tensor([4, 5]), tensor([6])]).data`` is
    ``tensor([1, 4, 6, 2, 5, 3])`` and its ``batch_sizes`` ``tensor([3, 2, 1])``.
    """
    sequences = list(sequences)
    lengths = tensorgrad.as_tensor([seq.size(0) for seq in sequences], device="cpu")
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """Undo :func:`pack_sequence`: a :class:`PackedSequence` -> the list of ``B`` tensors of
    shapes ``(L_i, *)``, in the original order."""
    padded_sequences, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded_sequences, lengths, batch_first=True)
