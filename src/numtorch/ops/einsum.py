"""einsum: the equation parser (ellipsis, implicit output, size-1 broadcasting) and the
one differentiable ``Einsum`` primitive on explicit, ellipsis-free equations."""
from __future__ import annotations

from .. import _backend as B
from ..autograd.function import Function
from ..autograd.jvp_rules import multilinear_jvp

__all__ = ["Einsum", "einsum"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # ASCII order, as for the output


def _fresh(used, count):
    """``count`` subscript letters that are not in ``used``."""
    out = [c for c in _LETTERS if c not in used][:count]
    if len(out) < count:
        raise RuntimeError("einsum(): the equation needs more than 52 distinct subscripts")
    return out


class Einsum(Function):
    """z = einsum(eq, *xs);  dz/dx_k = einsum of the output gradient with the other operands,
    put back on the diagonals of x_k's repeated subscripts (by identity matrices) and broadcast
    over subscripts only x_k has (by vectors of ones)."""

    _raw = True
    _node_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, *args):
        *xs, terms, out = args
        ctx._num_inputs = len(xs)
        ctx.terms, ctx.out = terms, out
        ctx.sizes = {c: n for x, t in zip(xs, terms) for c, n in zip(t, x.shape)}
        need = ctx.needs_input_grad
        if any(need[i] for i in range(len(xs))):
            ctx.save_for_backward(*xs)
        xp = B.array_module(xs[0])
        eq = ",".join(terms) + "->" + out
        if len(xs) == 1:
            return xp.array(xp.einsum(eq, xs[0]), copy=True)
        return xp.asarray(xp.einsum(eq, *xs, optimize=len(xs) > 2 or "greedy"))

    @staticmethod
    def backward(ctx, grad_output):
        from .._tensor import Tensor
        xs = ctx.saved_tensors
        terms, out = ctx.terms, ctx.out
        grads = []
        for k, term in enumerate(terms):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            ops, subs = [grad_output], [out]
            for j, t in enumerate(terms):
                if j != k:
                    ops.append(xs[j])
                    subs.append(t)
            xp = B.array_module(grad_output._data)
            dt = grad_output._data.dtype
            present = set("".join(subs))
            used = set("".join(terms) + out)
            target = []
            for c in term:
                if c in target:  # a repeated subscript: a diagonal of x_k
                    (new,) = _fresh(used, 1)
                    used.add(new)
                    n = ctx.sizes[c]
                    ops.append(Tensor._make(xp.eye(n, dtype=dt)))
                    subs.append(c + new)
                    target.append(new)
                    continue
                if c not in present:  # summed over x_k alone: its gradient is broadcast
                    ops.append(Tensor._make(xp.ones(ctx.sizes[c], dtype=dt)))
                    subs.append(c)
                    present.add(c)
                target.append(c)
            grads.append(Einsum.apply(*ops, tuple(subs), "".join(target)))
        return tuple(grads) + (None, None)

    jvp = staticmethod(multilinear_jvp)


def _parse_term(term, ndim, k):
    """(letters, ellipsis position or None) of one input term, checked against ``ndim``."""
    if term.count("...") > 1 or "." in term.replace("...", ""):
        raise RuntimeError(f"einsum(): invalid subscript given in term {term!r} of operand {k}")
    ell = term.find("...")
    letters = term.replace("...", "")
    for c in letters:
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {term.index(c)} "
                               f"in the equation string, subscripts must be in [a-zA-Z]")
    if ell < 0 and len(letters) != ndim:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                           f"({len(letters)}) does not match the number of dimensions "
                           f"({ndim}) for operand {k} and no ellipsis was given")
    if ell >= 0 and len(letters) > ndim:
        raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                           f"({len(letters)}) is more than the number of dimensions ({ndim}) "
                           f"for operand {k}")
    return letters, (None if ell < 0 else ell)


def einsum(equation: str, *operands):
    """Sums of products over the subscripts of ``equation`` (NumPy's/PyTorch's notation).

    Example: ``einsum("bij,bjk->bik", x, y)`` is a batched matrix product.
    """
    from .._tensor import Tensor
    from .shape import reshape
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError("einsum(): the first argument must be the equation string")
    for k, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum(): operand {k} must be a Tensor, not {type(x).__name__}")
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                           "equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    d0 = operands[0].dtype
    for x in operands[1:]:
        if x.dtype != d0:
            raise RuntimeError(f"einsum(): expected all operands to have the same dtype, but "
                               f"got {d0} and {x.dtype}; convert them, e.g. y.to(x.dtype)")
    parsed = [_parse_term(t, x.dim(), k) for k, (t, x) in enumerate(zip(terms, operands))]
    n_ell = max((x.dim() - len(p[0]) for x, p in zip(operands, parsed) if p[1] is not None),
                default=0)
    used = set(eq)
    ell_letters = _fresh(used, n_ell)
    full = []
    for x, (letters, pos) in zip(operands, parsed):
        if pos is None:
            full.append(letters)
        else:
            m = x.dim() - len(letters)
            full.append(letters[:pos] + "".join(ell_letters[n_ell - m:]) + letters[pos:])
    if arrow:
        # an explicit output without "..." sums the ellipsis dims, as in PyTorch (NumPy
        # would raise)
        rhs = rhs.replace("...", "".join(ell_letters))
        for c in rhs:
            if c not in _LETTERS:
                raise RuntimeError(f"einsum(): invalid subscript {c!r} in the output")
            if rhs.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once "
                                   f"in the output")
            if not any(c in t for t in full):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                   f"equation for any input operand")
    else:
        counts = {}
        for t in full:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        rhs = "".join(ell_letters) + "".join(
            sorted((c for c, n in counts.items() if n == 1 and c not in ell_letters),
                   key=_LETTERS.index))
    # sizes: repeated subscripts within an operand must agree; across operands a size-1
    # dimension broadcasts, so it is squeezed away here and the subscript dropped there
    sizes = {}
    for k, (x, t) in enumerate(zip(operands, full)):
        seen = {}
        for c, n in zip(t, x.shape):
            if c in seen and seen[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but "
                                   f"the sizes don't match, {seen[c]} != {n}")
            seen[c] = n
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} "
                                   f"which does not broadcast with previously seen size "
                                   f"{sizes[c]}")
    xs, terms = [], []
    for x, t in zip(operands, full):
        keep = [i for i, c in enumerate(t) if x.shape[i] == sizes[c]]
        if len(keep) < len(t):
            x = reshape(x, tuple(x.shape[i] for i in keep))
            t = "".join(t[i] for i in keep)
        xs.append(x)
        terms.append(t)
    # an output subscript whose operands all dropped it (size 1) comes back as a size-1 dim
    missing = [c for c in rhs if not any(c in t for t in terms)]
    if missing:
        out = Einsum.apply(*xs, tuple(terms), "".join(c for c in rhs if c not in missing))
        return reshape(out, tuple(sizes[c] for c in rhs))
    return Einsum.apply(*xs, tuple(terms), rhs)
