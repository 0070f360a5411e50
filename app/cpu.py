"""How many processes a CPU-bound step (an index rebuild) may start."""

import os


def usable_cores(cap: int = 4) -> int:
    """The cores this process may run on (its affinity, which a container's CPU set limits),
    at most `cap`: each process holds a batch in memory, so more cores must not mean more
    memory without end."""
    if hasattr(os, "sched_getaffinity"):  # Linux
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    return max(1, min(cap, cores))
