"""``import numtorch`` loads the core only; the big subsystems load on first use (PEP 562).

Each check runs in a fresh interpreter: in the test process everything is already imported.
"""
from __future__ import annotations

import json
import pickle
import subprocess
import sys

import pytest

# loaded on first use, never by ``import numtorch`` itself
LAZY = ["cuda", "distributed", "func", "linalg", "nn", "optim", "serialization", "utils", "viz"]
LAZY_MODULES = [f"numtorch.{name}" for name in LAZY] + [
    "numtorch.nn.modules", "numtorch.nn.parallel", "numtorch.nn.functional",
    "numtorch.optim.lr_scheduler", "numtorch.utils.data", "numtorch.func._vmap",
    "numtorch.autograd.functional", "numtorch.autograd.gradcheck",
    "numtorch.autograd.check_function", "numtorch.autograd.check_numeric",
    "numpy.random",  # the generators make their NumPy generator on the first draw
]


def _run(code: str):
    """Run ``code`` in a fresh interpreter; its last stdout line is JSON."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_numtorch_leaves_subsystems_unloaded():
    loaded = _run("import json, sys, numtorch\n"
                  f"print(json.dumps([m for m in {LAZY_MODULES!r} if m in sys.modules]))")
    assert loaded == []


def test_each_subsystem_loads_on_attribute_access():
    got = _run(
        "import json, sys, types, numtorch\n"
        "out = {}\n"
        f"for name in {LAZY!r}:\n"
        "    mod = getattr(numtorch, name)\n"
        "    out[name] = isinstance(mod, types.ModuleType) and "
        "sys.modules['numtorch.' + name] is mod\n"
        "out['Linear'] = numtorch.nn.Linear(2, 3).weight.shape == (3, 2)\n"
        "out['vmap'] = numtorch.vmap is numtorch.func.vmap\n"
        "out['save'] = numtorch.save is numtorch.serialization.save\n"
        "out['load'] = numtorch.load is numtorch.serialization.load\n"
        "out['dir'] = sorted(set(numtorch.__all__) - set(dir(numtorch)))\n"
        "try:\n"
        "    numtorch.no_such_thing\n"
        "    out['missing'] = 'no error'\n"
        "except AttributeError as e:\n"
        "    out['missing'] = str(e)\n"
        "print(json.dumps(out))")
    assert got.pop("dir") == []
    assert "no_such_thing" in got.pop("missing")
    assert got == {k: True for k in got} and set(LAZY) <= set(got)


def test_import_statements_and_star_import():
    got = _run(
        "import json\n"
        "import numtorch.nn as nn\n"
        "import numtorch.optim.lr_scheduler\n"
        "import numtorch.utils.data\n"
        "from numtorch import distributed, func, optim, viz\n"
        "from numtorch.func import vmap\n"
        "import numtorch\n"
        "ns = {}\n"
        "exec('from numtorch import *', ns)\n"
        "out = {'nn': nn is numtorch.nn, 'optim': optim is numtorch.optim,\n"
        "       'sched': numtorch.optim.lr_scheduler.StepLR.__name__ == 'StepLR',\n"
        "       'loader': numtorch.utils.data.DataLoader.__name__ == 'DataLoader',\n"
        "       'vmap': vmap is numtorch.vmap, 'func': func is numtorch.func,\n"
        "       'dist': distributed is numtorch.distributed, 'viz': viz is numtorch.viz,\n"
        "       'star': sorted(set(numtorch.__all__) - set(ns))}\n"
        "print(json.dumps(out))")
    assert got.pop("star") == []
    assert got == {k: True for k in got}


def test_nn_loads_parallel_on_first_use():
    got = _run(
        "import json, sys\n"
        "import numtorch.nn as nn\n"
        "before = [m for m in ('numtorch.nn.parallel', 'numtorch.distributed') "
        "if m in sys.modules]\n"
        "ddp = nn.parallel.DistributedDataParallel\n"
        "print(json.dumps([before, ddp.__name__, 'parallel' in dir(nn),"
        " 'numtorch.distributed' in sys.modules]))")
    assert got == [[], "DistributedDataParallel", True, True]


@pytest.mark.parametrize("first", ["attribute", "submodule"])
def test_autograd_tools_are_the_functions(first):
    # gradcheck and check_function name both a submodule and its function; the attribute is
    # the function whichever is touched first
    pre = ("import numtorch.autograd.gradcheck, numtorch.autograd.check_function\n"
           if first == "submodule" else "")
    got = _run(
        "import json, types\n" + pre +
        "import numtorch\n"
        "ag = numtorch.autograd\n"
        "x = numtorch.randn(3, dtype=numtorch.float64, requires_grad=True)\n"
        "out = {'gradcheck': ag.gradcheck(lambda t: (t * t).sum(), (x,)),\n"
        "       'gradgradcheck': ag.gradgradcheck(lambda t: (t * t).sum(), (x,)),\n"
        "       'is_function': isinstance(ag.gradcheck, types.FunctionType)\n"
        "                      and isinstance(ag.check_function, types.FunctionType),\n"
        "       'error': issubclass(ag.GradcheckError, Exception),\n"
        "       'report': ag.CheckReport.__name__ == 'CheckReport',\n"
        "       'functional': isinstance(ag.functional, types.ModuleType),\n"
        "       'forward_ad': isinstance(ag.forward_ad, types.ModuleType),\n"
        "       'dir': sorted(set(ag.__all__) - set(dir(ag)))}\n"
        "print(json.dumps(out))")
    assert got.pop("dir") == []
    assert got == {k: True for k in got}


def test_unpickling_a_module_needs_no_import_of_nn():
    import numtorch
    blob = pickle.dumps(numtorch.nn.Linear(4, 2))
    got = _run(
        "import json, pickle, sys\n"
        f"m = pickle.loads({blob!r})\n"
        "print(json.dumps([type(m).__module__, list(m.weight.shape),\n"
        "                  'numtorch.nn' in sys.modules]))")
    assert got == ["numtorch.nn.modules.linear", [2, 4], True]


def test_generators_seed_and_state_with_lazy_numpy_generator():
    import numtorch
    numtorch.manual_seed(7)
    here = numtorch.rand(5).tolist()
    fresh = _run("import json, numtorch\n"
                 "numtorch.manual_seed(7)\n"
                 "print(json.dumps(numtorch.rand(5).tolist()))")
    assert fresh == here
    g = numtorch.Generator().manual_seed(7)
    state = g.get_state()  # before any draw
    first = numtorch.rand(5, generator=g).tolist()
    assert first == here
    g.set_state(state)
    assert numtorch.rand(5, generator=g).tolist() == here
    assert g.initial_seed() == 7
