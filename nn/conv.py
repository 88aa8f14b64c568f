"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d`` (PyTorch's arguments,
parameter names, shapes, initialisation and ``repr``)."""

from __future__ import annotations

import math

import tensorgrad
from tensorgrad import Tensor
from tensorgrad.nn import functional as F
from tensorgrad.nn import init
from tensorgrad.nn.module import Module
from tensorgrad.nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, dims: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


class _ConvNd(Module):
    """The layers' shared machinery; ``_dims`` and ``_function`` come from the subclass."""

    _dims = 0
    _function = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
        output_padding=0,
        transposed: bool = False,
    ) -> None:
        super().__init__()
        dims = self._dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _ntuple(kernel_size, dims)
        self.stride = _ntuple(stride, dims)
        self.dilation = _ntuple(dilation, dims)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of ['valid', 'same']"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _ntuple(padding, dims)
        self.output_padding = _ntuple(output_padding, dims)
        self.transposed = transposed
        self.padding_mode = padding_mode
        if transposed:
            if padding_mode != "zeros":
                raise ValueError(
                    f'Only "zeros" padding mode is supported for {type(self).__name__}'
                )
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(tensorgrad.empty(shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(tensorgrad.empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: kaiming_uniform_(a=√5) for the weight, U(±1/√fan_in) for
        the bias, fan_in = weight.shape[1] · Πkernel_size."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _mode_padding(self) -> tuple:
        """``F.pad``'s argument for a non-zeros padding mode (last dim first)."""
        if self.padding == "valid":
            return (0, 0) * self._dims
        pairs = []
        for k, d, p in zip(
            self.kernel_size, self.dilation, _ntuple(self.padding, self._dims), strict=True
        ):
            if self.padding == "same":
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            else:
                pairs.append((p, p))
        return tuple(amount for pair in reversed(pairs) for amount in pair)

    def forward(self, input: Tensor) -> Tensor:
        function = type(self)._function
        if self.padding_mode == "zeros":
            return function(
                input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
            )
        padded = F.pad(input, self._mode_padding(), mode=self.padding_mode)
        return function(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        dims = self._dims
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """1-D convolution: input (N, C_in, L) or (C_in, L) → (N, C_out, L_out); weight
    (C_out, C_in/groups, k). Arguments as PyTorch's (``padding``: int, tuple, 'valid' or
    'same'; ``padding_mode``: 'zeros', 'reflect', 'replicate' or 'circular')."""

    _dims = 1
    _function = staticmethod(tensorgrad.conv1d)


class Conv2d(_ConvNd):
    """2-D convolution: input (N, C_in, H, W) or (C_in, H, W) → (N, C_out, H_out, W_out);
    weight (C_out, C_in/groups, kH, kW). Arguments as PyTorch's."""

    _dims = 2
    _function = staticmethod(tensorgrad.conv2d)


class Conv3d(_ConvNd):
    """3-D convolution: input (N, C_in, D, H, W) or unbatched → (N, C_out, D_out, H_out,
    W_out); weight (C_out, C_in/groups, kD, kH, kW). Arguments as PyTorch's."""

    _dims = 3
    _function = staticmethod(tensorgrad.conv3d)


class _ConvTransposeNd(_ConvNd):
    """The transposed layers: weight (in_channels, out_channels / groups, *kernel)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
            output_padding=output_padding,
            transposed=True,
        )

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        output_padding = self.output_padding
        if output_size is not None:  # PyTorch's way to pick among the sizes a stride allows
            output_padding = self._output_padding_for(input, tuple(output_size)[-self._dims :])
        return type(self)._function(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
        )

    def _output_padding_for(self, input: Tensor, output_size: tuple) -> tuple:
        extras = []
        for axis, wanted in enumerate(output_size):
            size = input.shape[input.dim() - self._dims + axis]
            smallest = (
                (size - 1) * self.stride[axis]
                - 2 * self.padding[axis]
                + self.dilation[axis] * (self.kernel_size[axis] - 1)
                + 1
            )
            if not smallest <= wanted < smallest + self.stride[axis]:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{smallest} to {smallest + self.stride[axis] - 1} in dim {axis} (for an "
                    f"input of shape {tuple(input.shape)})"
                )
            extras.append(wanted - smallest)
        return tuple(extras)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: (N, C_in, L) → (N, C_out, L_out); weight
    (C_in, C_out/groups, k). Arguments as PyTorch's, ``forward(input, output_size=None)``."""

    _dims = 1
    _function = staticmethod(tensorgrad.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution: (N, C_in, H, W) → (N, C_out, H_out, W_out); weight
    (C_in, C_out/groups, kH, kW). Arguments as PyTorch's."""

    _dims = 2
    _function = staticmethod(tensorgrad.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: (N, C_in, D, H, W) → (N, C_out, D_out, H_out, W_out)."""

    _dims = 3
    _function = staticmethod(tensorgrad.conv_transpose3d)
