"""What this machine can compute at best, for benchmarks that report a share of it."""

from __future__ import annotations

import time

import torch


def matmul_flops_per_second(device: torch.device, size: int = 2048, repeats: int = 20) -> float:
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    a @ b
    if device.type == "cuda":
        torch.cuda.synchronize()  # the warm-up is not timed
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    if device.type == "cuda":
        torch.cuda.synchronize()
    return 2 * size**3 * repeats / (time.perf_counter() - start)
