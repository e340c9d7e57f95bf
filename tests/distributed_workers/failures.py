"""Run with 2 ranks: rank 1 fails in the way named by argv[1] while rank 0 waits in an
all_reduce. The job must end on its own, with a clear message, not hang.

hang:  rank 1 never calls the collective; rank 0's timeout (1.5 s) raises.
kill:  rank 1 is killed by SIGKILL; the launcher takes the job down.
raise: rank 1 raises; the uncaught exception aborts every rank (rank 0 waits with the
       default 30-minute timeout, so only the abort can end it quickly).
"""
from __future__ import annotations

import datetime
import os
import signal
import sys
import time

import numtorch as torch
import numtorch.distributed as dist

mode = sys.argv[1]
timeout = datetime.timedelta(seconds=1.5) if mode == "hang" else None
dist.init_process_group("mpi", timeout=timeout)
if dist.get_rank() == 1:
    if mode == "hang":
        time.sleep(120)
    elif mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "raise":
        raise ValueError("rank 1 failed on purpose")
x = torch.ones(4)
dist.all_reduce(x)
print("all_reduce returned", x, flush=True)
