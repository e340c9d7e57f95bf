"""Single-step recurrent cells: RNNCell, LSTMCell, GRUCell."""
from __future__ import annotations

import math

from ... import _creation as C
from ...ops import rnn as R
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """What the cells share: ``weight_ih`` (G * H, H_in), ``weight_hh`` (G * H, H),
    ``bias_ih`` and ``bias_hh`` (G * H,), all from U(-1/sqrt(H), 1/sqrt(H)); G gates."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(C.empty((num_chunks * hidden_size, input_size), dtype=dtype,
                                           device=device))
        self.weight_hh = Parameter(C.empty((num_chunks * hidden_size, hidden_size),
                                           dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(C.empty(num_chunks * hidden_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(C.empty(num_chunks * hidden_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        if nonlinearity != "tanh":
            s += f", nonlinearity={nonlinearity}"
        return s

    def _prepare(self, input, states: tuple, num_states: int):
        """Checks; returns (2-d input, 2-d states, whether the input was batched)."""
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             f"instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
            states = tuple(None if s is None else s.unsqueeze(0) for s in states)
        batch = input.shape[0]
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{input.shape[1]} expected {self.input_size}")
        w = self.weight_ih
        if input.dtype != w.dtype:
            raise RuntimeError(f"{name}: input dtype {input.dtype} does not match the weights' "
                               f"{w.dtype}; convert with input.to({w.dtype})")
        if not states:
            states = tuple(C.zeros((batch, self.hidden_size), dtype=input.dtype,
                                   device=input.device)
                           for _ in range(num_states))
        for i, s in enumerate(states):
            if s.shape[0] != batch:
                raise RuntimeError(f"{name}: Input batch size {batch} doesn't match hidden{i} "
                                   f"batch size {s.shape[0]}")
            if s.dim() != 2 or s.shape[1] != self.hidden_size:
                raise RuntimeError(f"{name}: hidden{i} has inconsistent hidden_size: got "
                                   f"{s.shape[-1]}, expected {self.hidden_size} (shape "
                                   f"{tuple(s.shape)})")
            if s.dtype != w.dtype:
                raise RuntimeError(f"{name}: hidden{i} dtype {s.dtype} does not match the "
                                   f"weights' {w.dtype}; convert with .to({w.dtype})")
        return input, states, batched

    def _params(self) -> tuple:
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act ``'tanh'`` or ``'relu'``.

    ``input`` (N, H_in) or (H_in,); ``hx`` (N, H) or (H,), zeros when None. Returns h'.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"RNNCell: unknown nonlinearity {self.nonlinearity!r}; use "
                               f"'tanh' or 'relu'")
        input, (hx,), batched = self._prepare(input, () if hx is None else (hx,), 1)
        cell = R.rnn_tanh_cell if self.nonlinearity == "tanh" else R.rnn_relu_cell
        h = cell(input, hx, *self._params())
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o): c' = f c + i g, h' = o tanh(c').

    ``hx`` is (h, c), each (N, H) or (H,), zeros when None. Returns (h', c').
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        states = () if hx is None else tuple(hx)
        input, states, batched = self._prepare(input, states, 2)
        h, c = R.lstm_cell(input, states, *self._params())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n): n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),
    h' = (1 - z) n + z h.

    ``hx`` (N, H) or (H,), zeros when None. Returns h'.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, (hx,), batched = self._prepare(input, () if hx is None else (hx,), 1)
        h = R.gru_cell(input, hx, *self._params())
        return h if batched else h.squeeze(0)
