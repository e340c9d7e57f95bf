"""Keep large freed arrays in the process instead of handing them back to the OS each step.

glibc's malloc serves blocks above its mmap threshold (128 KiB at start) with fresh mmap calls
and unmaps them on free; it also trims the top of the heap above its trim threshold. A training
step that allocates and frees the same multi-megabyte arrays every iteration then pays for page
faults on every step, often more than for the arithmetic. glibc raises both thresholds by
itself once a large mmapped block is freed; numtorch sets them from the start (32 MiB mmap
threshold, glibc's own upper bound for that adjustment, and a 64 MiB trim threshold), so the
first steps are as fast as the later ones. The cost: up to about 64 MiB of freed memory stays
with the process. Only on glibc; ``NUMTORCH_MALLOC_TUNING=0`` in the environment turns it off.
"""
from __future__ import annotations

import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

tuned = False


def tune() -> bool:
    """Set glibc's thresholds once; True when they were set."""
    global tuned
    if tuned or os.environ.get("NUMTORCH_MALLOC_TUNING", "1") == "0":
        return tuned
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        return False
    ok_mmap = mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    ok_trim = mallopt(_M_TRIM_THRESHOLD, 64 << 20)
    tuned = bool(ok_mmap and ok_trim)
    return tuned
