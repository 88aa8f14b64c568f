"""Keep freed array memory in the process, so the next array of that size is not a page fault.

An eager training step allocates and frees the same large temporaries every step (im2col
matrices, activations, their gradients). glibc's malloc serves arrays above its mmap threshold
with fresh pages from the kernel and returns them on free; each page is then zeroed and mapped
again on first touch, and on the 2-core reference machine those page faults were half the
time of a CNN step (17.7 ms → 8.9 ms for the digits CNN with them gone; PyTorch's own step went
from 7.1 to 5.4 ms). Raising the mmap threshold and the trim threshold makes malloc keep and
reuse that memory, as PyTorch's caching allocators do on GPUs.

Applied once, when tensorgrad is imported (``APPLIED`` says whether it was), on glibc only.
Opt out with ``TENSORGRAD_KEEP_FREED_MEMORY=0`` (before the import; it changes malloc for the
whole process); an explicit ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or a
``glibc.malloc`` tunable in the environment wins. The cost is a resident size that stays near
its peak: up to 256 MiB of freed memory at the top of the heap is kept, and freed memory inside
the heap (or in other threads' arenas) is kept as glibc always keeps it.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed value on 64-bit
TRIM_THRESHOLD = 256 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Tune glibc's malloc as described above; True if it was applied."""
    if not sys.platform.startswith("linux"):
        return False
    if os.environ.get("TENSORGRAD_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    if "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, …)
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


APPLIED = keep_freed_memory()
