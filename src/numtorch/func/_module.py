"""functional_call (run a module with other parameters and buffers) and stack_module_state."""
from __future__ import annotations

from .. import _tensor

__all__ = ["functional_call", "stack_module_state", "replace_all_batch_norm_modules_"]


def _owner(module, name: str):
    """The submodule holding the dotted ``name`` and the last part of the name."""
    *path, leaf = name.split(".")
    for part in path:
        module = getattr(module, part)
    return module, leaf


def _merge(dicts) -> dict:
    if isinstance(dicts, dict):
        return dicts
    merged = {}
    repeated = []
    for d in dicts:
        for k, v in d.items():
            if k in merged:
                repeated.append(k)
            merged[k] = v
    if repeated:
        raise ValueError(f"functional_call: {sorted(set(repeated))} appear in more than one of "
                         f"the dictionaries, so which value to use is ambiguous")
    return merged


def _tied_groups(module) -> dict:
    """For every parameter and buffer name, the names of all the places sharing its tensor."""
    by_id = {}
    for name, t in module.named_parameters(remove_duplicate=False):
        by_id.setdefault(id(t), []).append(name)
    for name, t in module.named_buffers(remove_duplicate=False):
        by_id.setdefault(id(t), []).append(name)
    return {n: names for names in by_id.values() for n in names}


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """Call ``module(*args, **kwargs)`` with its parameters and buffers replaced by the tensors
    in ``parameter_and_buffer_dicts`` (a dict, or a tuple of dicts, keyed by dotted names); the
    originals are back in place afterwards, even when the call raises.

    With ``tie_weights``, a value given for one of several names that share a tensor (tied
    weights) is used for all of them. With ``strict``, every parameter and buffer must be given
    and no other name."""
    values = dict(_merge(parameter_and_buffer_dicts))
    groups = _tied_groups(module)
    if tie_weights:
        for name, names in groups.items():
            given = [n for n in names if n in values]
            if len(given) > 1 and any(values[n] is not values[given[0]] for n in given):
                raise ValueError(
                    f"functional_call got values for the tied names {given}, which share one "
                    f"tensor in the module; give only one of them or pass tie_weights=False")
            if given and name not in values:
                values[name] = values[given[0]]
    if strict:
        missing = [n for n in dict.fromkeys(groups) if n not in values]
        unexpected = [n for n in values if n not in groups]
        if missing or unexpected:
            lines = []
            if unexpected:
                lines.append("\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected)
                             + ".")
            if missing:
                lines.append("\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n"
                               + "\n".join(lines))
    saved = []
    try:
        for name, value in values.items():
            owner, leaf = _owner(module, name)
            for table in ("_parameters", "_buffers"):
                members = owner.__dict__.get(table)
                if members is not None and leaf in members:
                    saved.append((members, leaf, members[leaf]))
                    members[leaf] = value
                    break
            else:
                saved.append((owner.__dict__, leaf, owner.__dict__.get(leaf, _MISSING)))
                owner.__dict__[leaf] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for members, leaf, old in reversed(saved):
            if old is _MISSING:
                members.pop(leaf, None)
            else:
                members[leaf] = old


_MISSING = object()


def stack_module_state(models) -> tuple[dict, dict]:
    """Stack the parameters and buffers of same-class models along a new first dimension.

    Returns:
        ``(params, buffers)``: dicts of stacked tensors keyed by name; the stacked parameters
        are new leaves that require grad (when the originals do), ready for ``vmap``."""
    from .._methods.shape import stack  # noqa: PLC0415
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: expected at least one model, got 0")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: expected all models to be in the same "
                           "training/eval mode")
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError(f"stack_module_state: expected all models to be of the same class, "
                           f"got {sorted({type(m).__name__ for m in models})}")

    def stacked(named):
        out = {}
        for name, t in named(models[0]):
            ts = [dict(named(m))[name] for m in models]
            s = stack([x.detach() for x in ts])
            if isinstance(t, _tensor.Tensor) and t.requires_grad:
                s.requires_grad_(True)
            out[name] = s
        return out
    params = stacked(lambda m: list(m.named_parameters()))
    buffers = stacked(lambda m: list(m.named_buffers()))
    return params, buffers


def replace_all_batch_norm_modules_(root):
    """Make every batch-norm module in ``root`` stop tracking running statistics (in place), so
    that it can run under vmap in training mode (an update of a running statistic would write
    per-example values into a tensor that is not batched). Returns ``root``."""
    from ..nn.modules.batchnorm import _BatchNorm  # noqa: PLC0415
    for module in root.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
