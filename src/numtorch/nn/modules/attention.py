"""MultiheadAttention, and the Linear subclass PyTorch gives it as out_proj."""
from __future__ import annotations

from ... import _creation as C
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from .linear import Linear

__all__ = ["MultiheadAttention", "NonDynamicallyQuantizableLinear"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under another name (PyTorch uses the name to keep out_proj out of dynamic
    quantization); MultiheadAttention's out_proj."""


class MultiheadAttention(Module):
    """Attention over ``num_heads`` heads of size embed_dim // num_heads.

    Args:
        embed_dim: the model dim (query's last dim and the output's).
        num_heads: the number of heads; must divide embed_dim.
        dropout: dropout on the attention weights, in training.
        bias: biases on the input and output projections.
        add_bias_kv: learned bias rows appended to key and value.
        add_zero_attn: a row of zeros appended to key and value.
        kdim, vdim: key and value dims (default embed_dim); when either differs, the
            projections are q_proj_weight, k_proj_weight, v_proj_weight instead of
            in_proj_weight.
        batch_first: inputs and output are (N, L, E) rather than (L, N, E).

    ``forward(query, key, value)`` returns (output, attention weights or None).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 bias: bool = True, add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device=None, dtype=None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"embed_dim must be divisible by num_heads (got embed_dim="
                                 f"{embed_dim}, num_heads={num_heads})")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(C.empty((3 * embed_dim, embed_dim), dtype=dtype,
                                                    device=device))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(C.empty((embed_dim, embed_dim), dtype=dtype,
                                                   device=device))
            self.k_proj_weight = Parameter(C.empty((embed_dim, self.kdim), dtype=dtype,
                                                   device=device))
            self.v_proj_weight = Parameter(C.empty((embed_dim, self.vdim), dtype=dtype,
                                                   device=device))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(C.empty(3 * embed_dim, dtype=dtype, device=device))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dtype, device=device)
        if add_bias_kv:
            self.bias_k = Parameter(C.empty((1, 1, embed_dim), dtype=dtype, device=device))
            self.bias_v = Parameter(C.empty((1, 1, embed_dim), dtype=dtype, device=device))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        """Attend from ``query`` to ``key``/``value``.

        Args:
            key_padding_mask: (N, S) or (S,); bool (True = ignore that key) or float (added).
            attn_mask: (L, S) or (N * num_heads, L, S); bool (True = not allowed) or float.
            need_weights: also return the attention weights (else None).
            average_attn_weights: average the returned weights over the heads.
            is_causal: a hint that ``attn_mask`` is the causal mask.
        Returns: (output, weights); output (L, N, E) ((N, L, E) if batch_first).
        """
        batched = query.dim() == 3
        if self.batch_first and batched:
            # keep identity (self-attention takes the one-matmul path)
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        if self.batch_first and batched:
            out = out.transpose(1, 0)
        return out, weights
