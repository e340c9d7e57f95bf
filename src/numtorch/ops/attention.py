"""Attention, composed from existing ops (so autograd needs no backward of its own):
scaled_dot_product_attention, multi_head_attention_forward and their mask handling."""
from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

from .. import _backend as B
from .. import _creation as C
from .joining import cat
from .padding import pad

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward", "canonical_mask",
           "none_or_dtype"]


def none_or_dtype(input: Tensor | None):
    """The dtype of ``input``, or None."""
    return None if input is None else input.dtype


def canonical_mask(mask: Tensor | None, mask_name: str, other_type, other_name: str,
                   target_type, check_other: bool = True) -> Tensor | None:
    """A mask as an additive float mask of ``target_type``: a bool mask (True = masked out)
    becomes 0 / -inf; a float mask passes through. Warns, as PyTorch does, when ``mask`` and
    the other mask given with it differ in dtype."""
    if mask is None:
        return None
    is_float = mask.is_floating_point()
    if mask.dtype != B.bool_ and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported "
                             f"(got {mask.dtype}); pass a bool mask (True = masked out) or "
                             f"an additive float mask")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      f"Use same type for both instead.", UserWarning, stacklevel=3)
    if not is_float:
        mask = C.zeros_like(mask, dtype=target_type).masked_fill(mask, float("-inf"))
    return mask


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, with 0 (not NaN) for rows that are all -inf, as PyTorch's
    scaled_dot_product_attention gives for fully masked query rows."""
    dead = (scores == float("-inf")).all(-1, keepdim=True)
    if not bool(dead.any()):
        return scores.softmax(-1)
    # NOTE: the dead rows are zeroed before the softmax too, so no NaN reaches the backward.
    return scores.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value over the last two dims.

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev).
        attn_mask: broadcastable to (..., L, S); bool (True = take part) or float (added).
        dropout_p: dropout on the attention weights (always applied when > 0).
        is_causal: mask out keys after each query (a top-left aligned lower triangle).
        scale: defaults to 1 / sqrt(E).
        enable_gqa: key and value may have fewer heads (dim -3) than query, which are shared
            by consecutive groups of query heads.
    Returns: (..., L, Ev). Query rows whose keys are all masked give 0.
    """
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise RuntimeError(f"scaled_dot_product_attention: Expected query, key, and value to "
                           f"have the same dtype, but got query.dtype: {query.dtype} "
                           f"key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True; pass one or the other")
    L, S = query.shape[-2], key.shape[-2]
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk or value.shape[-3] != hk:
            raise RuntimeError(f"scaled_dot_product_attention: with enable_gqa, the number of "
                               f"query heads ({hq}) must be a multiple of the number of key "
                               f"and value heads ({hk}, {value.shape[-3]})")
        key, value = (_repeat_heads(t, hq // hk) for t in (key, value))
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query * scale).matmul(key.transpose(-2, -1))
    if is_causal:
        keep = C.ones((L, S), dtype=B.bool_).tril()
        scores = scores.masked_fill(keep.logical_not(), float("-inf"))
    elif attn_mask is not None:
        if attn_mask.is_floating_point():
            scores = scores + attn_mask
        else:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
    weights = _safe_softmax(scores) if (is_causal or attn_mask is not None) \
        else scores.softmax(-1)
    if dropout_p > 0.0:
        from ..nn.functional import dropout
        weights = dropout(weights, dropout_p, True)
    return weights.matmul(value)


def _repeat_heads(t: Tensor, n: int) -> Tensor:
    """Each head (dim -3) repeated ``n`` times in a row: (..., H, S, E) -> (..., H*n, S, E)."""
    shape = tuple(t.shape)
    t = t.unsqueeze(-3).expand(shape[:-2] + (n,) + shape[-2:])
    return t.reshape(shape[:-3] + (shape[-3] * n,) + shape[-2:])


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the inputs are batched (3-d) or not (2-d); AssertionError as PyTorch for
    inconsistent ranks."""
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    batched = query.dim() == 3
    kind, n = ("batched (3-D)", 3) if batched else ("unbatched (2-D)", 2)
    if key.dim() != n or value.dim() != n:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {n}-D but "
                             f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != n - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{n - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D "
                                 f"or 3-D but found {attn_mask.dim()}-D tensor instead")
        if not batched and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{tuple(attn_mask.shape)}")
    return batched


def _in_projection(query, key, value, w, b, w_q, w_k, w_v):
    """q, k, v projected by the packed ``w`` (3E, E) or by w_q, w_k, w_v; bias ``b`` (3E)."""
    from ..nn.functional import linear
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    if w_q is None:
        if query is key and key is value:  # self-attention: one matmul
            return linear(query, w, b).chunk(3, -1)
        w_q, w_k, w_v = w.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _check_attn_mask(attn_mask, tgt_len, src_len, bsz, num_heads):
    if attn_mask.dim() == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should "
                               f"be {(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.dim() == 3:
        if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should "
                               f"be {(bsz * num_heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple:
    """Multi-head attention on sequence-first inputs: query (L, N, E), key (S, N, kdim),
    value (S, N, vdim), or unbatched (L, E) etc. Returns (output (L, N, E), weights), the
    weights (N, L, S) averaged over heads, (N, H, L, S) if not ``average_attn_weights``, or
    None when not ``need_weights``."""
    from ..nn.functional import dropout, linear
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask",
                                      none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint says it is causal: let the attention build it
    else:
        attn_mask = canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
        q, k, v = _in_projection(query, key, value, None, in_proj_bias, q_proj_weight,
                                 k_proj_weight, v_proj_weight)
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, None, None,
                                 None)
    if attn_mask is not None:
        attn_mask = _check_attn_mask(attn_mask, tgt_len, src_len, bsz, num_heads)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k and bias_v must be set together")
    # (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
         if static_k is None else static_k)
    v = (v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
         if static_v is None else static_v)
    if add_zero_attn:
        zeros = C.zeros((bsz * num_heads, 1, head_dim), dtype=q.dtype)
        k, v = cat([k, zeros], dim=1), cat([v, zeros], dim=1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                                 f"got {tuple(key_padding_mask.shape)}")
        kpm = (key_padding_mask.reshape(bsz, 1, 1, src_len)
               .expand(bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len))
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        # NOTE: this path uses a plain softmax, so fully masked rows give NaN, as PyTorch's.
        scores = (q * math.sqrt(1.0 / head_dim)).matmul(k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = weights.matmul(v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = (attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1
                     else attn_mask.reshape(bsz, num_heads, -1, src_len))
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if batched else out.squeeze(1)), None
