"""Tensor methods of the op library, one mixin per category (Tensor inherits them all)."""
from __future__ import annotations

import importlib


class LazyOps:
    """Stands in a methods module's globals for an ops module that only rarer methods use.

    The first attribute read imports the ops module and puts it in the owner's globals under
    the same name, so later calls read the module itself: no cost per call, and ``import
    numtorch`` does not load (unmarshal, build the Function classes of) ops it may never run.
    """

    __slots__ = ("_owner", "_alias", "_module")

    def __init__(self, owner: dict, alias: str, module: str):
        self._owner, self._alias, self._module = owner, alias, module

    def __getattr__(self, name: str):
        module = importlib.import_module(self._module)
        self._owner[self._alias] = module
        return getattr(module, name)
