"""How the host process is set up before networks run on it: threads and the C allocator.

A training step frees and reallocates the same activation buffers (megabytes each) every step.
glibc's malloc serves blocks above its mmap threshold with fresh ``mmap`` calls and returns them
to the kernel on free, and trims the top of its heap likewise, so each step pays page faults
and zero-filling on every activation: measured here, a third of a CPU training step went to the
kernel (``sys`` time 19 s of 62 s). Raising both thresholds keeps freed buffers in the process
for reuse, as the caching allocators of GPUs and of jemalloc/tcmalloc do, at the cost of holding
on to the process's peak memory.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import torch

# mallopt's parameter numbers, from glibc's malloc.h.
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

# The largest mmap threshold glibc accepts on 64-bit hosts (4 * 1024 * 1024 * sizeof(long)).
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
TRIM_THRESHOLD = 1024 * 1024 * 1024


def retain_freed_memory() -> bool:
    """Keep freed blocks up to 32 MiB, and up to 1 GiB of free heap, in the process for reuse.

    Returns whether the C library took the settings: only glibc's malloc has ``mallopt`` with
    these parameters; elsewhere (macOS, musl ignores them) nothing changes.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return False
    return bool(
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)
        and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


def prepare_host(threads: int) -> None:
    """Give torch ``threads`` threads and keep freed activation buffers for the next step."""
    torch.set_num_threads(threads)
    retain_freed_memory()
