"""Embedding lookup: rows of a weight matrix picked by integer indices."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..autograd.jvp_rules import linear_jvp
from .scatter import IndexAdd

__all__ = ["Embedding", "embedding"]


class Embedding(Function):
    """z[...] = w[index[...]];  dw[r] = the sum of z's gradients where index == r (none for
    ``padding_idx``; divided by r's count in ``index`` with ``scale_grad_by_freq``)."""

    _raw = True
    _num_inputs = 1
    _node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, index, padding_idx, scale_grad_by_freq):
        xp = B.array_module(weight)
        flat = index.reshape(-1)
        ctx.rows, ctx.flat = weight.shape[0], flat
        ctx.scale = None
        keep = None if padding_idx is None else flat != padding_idx
        if scale_grad_by_freq:
            counts = xp.bincount(flat, minlength=weight.shape[0])[flat]
            ctx.scale = (1.0 / counts).astype(weight.dtype)
        if keep is not None:
            ctx.scale = (keep if ctx.scale is None else ctx.scale * keep).astype(weight.dtype)
        return weight[index]

    @staticmethod
    def backward(ctx, grad_output):
        d = grad_output.shape[-1]
        g = grad_output.reshape((-1, d))
        if ctx.scale is not None:
            from .._tensor import Tensor
            g = g * Tensor._make(ctx.scale.reshape(-1, 1))
        zeros = grad_output.new_zeros((ctx.rows, d))
        return IndexAdd.apply(zeros, g, ctx.flat), None, None, None

    jvp = staticmethod(linear_jvp)


def _renorm_(weight, index, max_norm, norm_type):
    """Scale in place the rows of ``weight`` that ``index`` uses to norm at most max_norm."""
    from .._tensor import Tensor
    xp = B.array_module(index)
    rows = Tensor._make(xp.unique(index.reshape(-1)))
    with no_grad():
        picked = weight[rows]
        norms = picked.norm(p=norm_type, dim=1, keepdim=True)
        scale = (max_norm / (norms + 1e-7)).clamp(max=1.0)
        weight[rows] = picked * scale.where(norms > max_norm, 1.0)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """The rows of ``weight`` (num_embeddings, dim) picked by the integer tensor ``input``.

    ``padding_idx``'s row gets no gradient; ``max_norm`` renormalizes the used rows in place
    first; ``scale_grad_by_freq`` divides each row's gradient by its count in ``input``.
    """
    if input.dtype not in (B.int64, B.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.type()} instead "
                           f"(while checking arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), "
                           f"but got weight of size {list(weight.shape)}")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % n
    index = input._data
    if index.size and (index.min() < 0 or index.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_(weight, index, max_norm, norm_type)
    return Embedding.apply(weight, index, padding_idx, scale_grad_by_freq)
