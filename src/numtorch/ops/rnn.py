"""Recurrent cells and multi-layer recurrences (RNN, LSTM, GRU), composed from differentiable ops.

No new primitive: each step is a few matmuls and pointwise ops, so autograd (double backward
included) comes from the ops they are built of. The input-to-hidden product of a whole layer is
taken in one matmul before the loop over time steps; only the hidden-to-hidden product runs per
step.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .joining import cat, stack

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "rnn_forward"]


def _affine(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """x W^T (+ b) for a 2-d x, one node when there is a bias."""
    from ..nn.functional import linear
    return linear(x, weight, bias)


# ---- one time step, given the input's projection xw = x W_ih^T + b_ih ---------------------------

def _rnn_step(xw, h, w_hh, b_hh, relu: bool):
    """h' = act(xw + h W_hh^T + b_hh), act tanh or relu."""
    pre = xw + _affine(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(xw, h, c, w_hh, b_hh, w_hr=None):
    """Gates i, f, g, o (in that order along dim 1): c' = f c + i g, h' = o tanh(c'), and
    h' projected by W_hr when there is one."""
    gates = xw + _affine(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if w_hr is not None:
        h = h.mm(w_hr.t())
    return h, c


def _gru_step(xw, h, w_hh, b_hh):
    """Gates r, z, n: r = s(x_r + h_r), z = s(x_z + h_z), n = tanh(x_n + r (W_hn h + b_hn)),
    h' = (1 - z) n + z h."""
    x_r, x_z, x_n = xw.chunk(3, 1)
    h_r, h_z, h_n = _affine(h, w_hh, b_hh).chunk(3, 1)
    r = (x_r + h_r).sigmoid()
    z = (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return n + z * (h - n)


# ---- the cells, as torch.*_cell: 2-d input (N, H_in), 2-d state (N, H) -------------------------

def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step with tanh: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)."""
    return _rnn_step(_affine(input, w_ih, b_ih), hx, w_hh, b_hh, False)


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One Elman step with relu."""
    return _rnn_step(_affine(input, w_ih, b_ih), hx, w_hh, b_hh, True)


def lstm_cell(input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None) -> tuple:
    """One LSTM step; ``hx`` is (h, c); returns (h', c')."""
    return _lstm_step(_affine(input, w_ih, b_ih), hx[0], hx[1], w_hh, b_hh)


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step."""
    return _gru_step(_affine(input, w_ih, b_ih), hx, w_hh, b_hh)


# ---- whole sequences ------------------------------------------------------------------------

def _run_direction(mode: str, xw_steps, h, c, w_hh, b_hh, w_hr, reverse: bool):
    """Run one layer in one direction over the projected inputs; returns (outputs in time
    order, last h, last c)."""
    order = range(len(xw_steps) - 1, -1, -1) if reverse else range(len(xw_steps))
    outs = [None] * len(xw_steps)
    for t in order:
        if mode == "LSTM":
            h, c = _lstm_step(xw_steps[t], h, c, w_hh, b_hh, w_hr)
        elif mode == "GRU":
            h = _gru_step(xw_steps[t], h, w_hh, b_hh)
        else:
            h = _rnn_step(xw_steps[t], h, w_hh, b_hh, mode == "RNN_RELU")
        outs[t] = h
    return outs, h, c


def rnn_forward(mode: str, input: Tensor, h0s: list, c0s: list | None, weights: list,
                num_layers: int, bidirectional: bool, dropout: float, training: bool):
    """A stacked (optionally bidirectional) recurrence over a time-major (L, N, H_in) input.

    ``h0s``/``c0s`` hold one (N, H) state per layer and direction (layer-major, forward
    first); ``weights`` holds per layer and direction the tuple (w_ih, w_hh, b_ih, b_hh, w_hr),
    absent ones None. Returns (output (L, N, D * H_out), [h_n per layer/direction],
    [c_n per layer/direction] or None).
    """
    from ..nn.functional import dropout as _dropout
    num_dirs = 2 if bidirectional else 1
    hs, cs = [], []
    x = input
    for layer in range(num_layers):
        if layer > 0 and dropout > 0 and training:
            x = _dropout(x, dropout, True)
        seq_len, batch = x.shape[0], x.shape[1]
        dir_outs = []
        for d in range(num_dirs):
            k = layer * num_dirs + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[k]
            # one matmul for the whole sequence: (L * N, H_in) -> (L, N, G)
            xw = _affine(x.reshape(seq_len * batch, x.shape[2]), w_ih, b_ih)
            xw_steps = xw.reshape(seq_len, batch, xw.shape[1]).unbind(0)
            outs, h, c = _run_direction(mode, xw_steps, h0s[k],
                                        None if c0s is None else c0s[k], w_hh, b_hh, w_hr,
                                        reverse=d == 1)
            dir_outs.append(stack(outs, 0))
            hs.append(h)
            cs.append(c)
        x = dir_outs[0] if num_dirs == 1 else cat(dir_outs, 2)
    return x, hs, (cs if c0s is not None else None)
