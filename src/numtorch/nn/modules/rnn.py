"""Recurrent layers: RNNBase, RNN, LSTM, GRU (stacked, bidirectional, batch_first)."""
from __future__ import annotations

import math
import numbers
import warnings

from ... import _creation as C
from ...ops import rnn as R
from ...ops.joining import stack
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]

_NO_PROJ = "proj_size is only available in LSTM; RNN and GRU have no projection"
_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: arguments, parameters (PyTorch's names and order),
    initialisation, input checks and the stacked bidirectional recurrence.

    Parameters, per layer ``k`` and direction (suffix ``_reverse`` for the backward one):
    ``weight_ih_l{k}`` (G * H, H_in), ``weight_hh_l{k}`` (G * H, H_out), ``bias_ih_l{k}`` and
    ``bias_hh_l{k}`` (G * H,), and for an LSTM with ``proj_size > 0`` ``weight_hr_l{k}``
    (proj_size, H); G is the number of gates. All start from U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"RNNBase: unrecognized RNN mode {mode!r}; expected one of "
                             f"{sorted(_GATES)}")
        if isinstance(dropout, bool) or (isinstance(dropout, numbers.Number)
                                         and not 0 <= dropout <= 1):
            raise ValueError(f"{_name(mode)}: dropout should be a number in [0, 1] (the "
                             f"probability of zeroing an element), got {dropout}")
        dropout = float(dropout)
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{_name(mode)}: dropout={dropout} acts only between stacked "
                          f"layers, so it does nothing with num_layers=1; use num_layers > 1 "
                          f"or dropout=0", UserWarning, stacklevel=3)
        if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
            raise TypeError(f"{_name(mode)}: hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError(f"{_name(mode)}: hidden_size must be greater than zero, got "
                             f"{hidden_size}")
        if num_layers <= 0:
            raise ValueError(f"{_name(mode)}: num_layers must be greater than zero, got "
                             f"{num_layers}")
        if proj_size < 0:
            raise ValueError(f"{_name(mode)}: proj_size should be a positive integer, or zero "
                             f"to disable projections; got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"{_name(mode)}: proj_size ({proj_size}) has to be smaller than "
                             f"hidden_size ({hidden_size})")
        if proj_size != 0 and mode != "LSTM":
            raise ValueError(_NO_PROJ)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_dirs = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_hidden * num_dirs
            for d in range(num_dirs):
                shapes = [(gate_size, layer_in), (gate_size, real_hidden)]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if d == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for n, s in zip(names, shapes):
                    setattr(self, n, Parameter(C.empty(s, dtype=dtype, device=device)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        """The parameters, one list per layer and direction."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op: PyTorch compacts weights for cuDNN here; numtorch has nothing to do."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- forward ------------------------------------------------------------------------

    def _layer_weights(self) -> list:
        """(w_ih, w_hh, b_ih, b_hh, w_hr) per layer and direction, absent ones None."""
        out = []
        for names in self._all_weights:
            ws = [getattr(self, n) for n in names]
            w_ih, w_hh = ws[0], ws[1]
            b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
            w_hr = ws[-1] if self.proj_size > 0 else None
            out.append((w_ih, w_hh, b_ih, b_hh, w_hr))
        return out

    def _check_input(self, input) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"{_name(self.mode)}: input dtype ({input.dtype}) does not match "
                             f"weight dtype ({w.dtype}); convert the input with "
                             f"input.to({w.dtype}) or the model with model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{_name(self.mode)}: input.size(-1) must be equal to "
                               f"input_size. Expected {self.input_size}, got "
                               f"{input.shape[-1]}")
        if input.shape[0] == 0:
            raise RuntimeError(f"{_name(self.mode)}: expected sequence length to be larger "
                               f"than 0, got input of shape {tuple(input.shape)}")

    def _check_hidden(self, hx, expected: tuple, what: str) -> None:
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"{_name(self.mode)}: expected {what} of size {expected}, got "
                               f"{list(hx.shape)}")
        if hx.dtype != self._flat_weights[0].dtype:
            raise RuntimeError(f"{_name(self.mode)}: {what} has dtype {hx.dtype} but the "
                               f"weights have {self._flat_weights[0].dtype}; convert it with "
                               f".to({self._flat_weights[0].dtype})")

    def _run(self, input, hx):
        """Shared forward: returns (output, h_n, c_n or None), for a tensor ``hx`` (RNN, GRU),
        an (h_0, c_0) pair (LSTM) or None."""
        lstm = self.mode == "LSTM"
        if input.dim() not in (2, 3):
            raise ValueError(f"{_name(self.mode)}: Expected input to be 2D or 3D, got "
                             f"{input.dim()}D tensor instead")
        batched = input.dim() == 3
        states = () if hx is None else (tuple(hx) if lstm else (hx,))
        want = 3 if batched else 2
        if any(s.dim() != want for s in states):
            dims = ", ".join(f"{s.dim()}-D" for s in states)
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(f"{_name(self.mode)}: for {kind} input, the initial state "
                               f"should also be {want}-D but got ({dims})")
        if not batched:
            input = input.unsqueeze(1)
            states = tuple(s.unsqueeze(1) for s in states)
        elif self.batch_first:
            input = input.transpose(0, 1)
        self._check_input(input)
        num_dirs = 2 if self.bidirectional else 1
        batch = input.shape[1]
        h_out = self.proj_size if self.proj_size > 0 else self.hidden_size
        h_shape = (self.num_layers * num_dirs, batch, h_out)
        c_shape = (self.num_layers * num_dirs, batch, self.hidden_size)
        if not states:
            states = (C.zeros(h_shape, dtype=input.dtype, device=input.device),)
            if lstm:
                states += (C.zeros(c_shape, dtype=input.dtype, device=input.device),)
        else:
            self._check_hidden(states[0], h_shape, "hidden[0]" if lstm else "hidden")
            if lstm:
                self._check_hidden(states[1], c_shape, "hidden[1]")
        h0s = list(states[0].unbind(0))
        c0s = list(states[1].unbind(0)) if lstm else None
        output, hs, cs = R.rnn_forward(self.mode, input, h0s, c0s, self._layer_weights(),
                                       self.num_layers, self.bidirectional, self.dropout,
                                       self.training)
        h_n = stack(hs, 0)
        c_n = stack(cs, 0) if lstm else None
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, h_n, c_n


def _name(mode: str) -> str:
    return "RNN" if mode.startswith("RNN") else mode


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act ``'tanh'`` or
    ``'relu'``.

    Inputs: ``input`` (L, N, H_in), (N, L, H_in) with ``batch_first``, or unbatched
    (L, H_in); ``hx`` (D * num_layers, N, H) or None for zeros. Returns (output, h_n), output
    (L, N, D * H) holding the last layer's h_t.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 *, proj_size: int = 0) -> None:
        if proj_size != 0:
            raise ValueError(_NO_PROJ)
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; select from 'tanh' "
                             f"or 'relu'")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx)
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory, gates in PyTorch's order i, f, g, o:
    c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t) (then h_t W_hr^T with ``proj_size``).

    ``hx`` is (h_0, c_0), h_0 (D * num_layers, N, H_out) and c_0 (D * num_layers, N, H), or
    None for zeros. Returns (output, (h_n, c_n)).
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None,
                 dtype=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("LSTM: hx must be a pair (h_0, c_0) of tensors, or None")
        output, h_n, c_n = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit, gates in PyTorch's order r, z, n:
    n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)), h_t = (1 - z) * n + z * h_{t-1}.

    Same inputs and outputs as RNN.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None, *,
                 proj_size: int = 0) -> None:
        if proj_size != 0:
            raise ValueError(_NO_PROJ)
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):
        output, h_n, _ = self._run(input, hx)
        return output, h_n
