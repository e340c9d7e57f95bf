"""A tiny pytree: flatten nested tuples, lists and dicts of tensors into leaves and back."""
from __future__ import annotations

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "TreeSpec"]


class TreeSpec:
    """The structure of a pytree: a node kind, its keys (dicts) and the children's specs.

    ``kind`` is "leaf", "tuple", "list", "dict" or the namedtuple's class."""

    __slots__ = ("kind", "keys", "children")

    def __init__(self, kind, keys=None, children=()):
        self.kind = kind
        self.keys = keys
        self.children = children

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(c.num_leaves for c in self.children)

    def __eq__(self, other) -> bool:
        return (isinstance(other, TreeSpec) and self.kind == other.kind
                and self.keys == other.keys and self.children == other.children)

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        inner = ", ".join(map(repr, self.children))
        name = self.kind if isinstance(self.kind, str) else self.kind.__name__
        return f"{name}({inner})"


LEAF = TreeSpec("leaf")


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """The leaves of ``tree`` in order (dicts by insertion order) and its structure."""
    leaves = []
    spec = _flatten(tree, leaves)
    return leaves, spec


def _flatten(tree, leaves) -> TreeSpec:
    t = type(tree)
    if t is tuple or t is list:
        return TreeSpec(t.__name__, None, tuple(_flatten(c, leaves) for c in tree))
    if t is dict:
        keys = tuple(tree)
        return TreeSpec("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a namedtuple
        return TreeSpec(t, None, tuple(_flatten(c, leaves) for c in tree))
    leaves.append(tree)
    return LEAF


def tree_unflatten(leaves, spec: TreeSpec):
    """Rebuild the pytree of structure ``spec`` from its ``leaves``."""
    it = iter(leaves)
    return _unflatten(it, spec)


def _unflatten(it, spec):
    kind = spec.kind
    if kind == "leaf":
        return next(it)
    children = [_unflatten(it, c) for c in spec.children]
    if kind == "tuple":
        return tuple(children)
    if kind == "list":
        return children
    if kind == "dict":
        return dict(zip(spec.keys, children))
    return kind(*children)


def tree_map(fn, tree, *rest):
    """Apply ``fn`` to every leaf (and the matching leaves of ``rest``), keeping the structure."""
    leaves, spec = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten([fn(*xs) for xs in zip(leaves, *others)], spec)
