"""The host setup: torch's thread count, and freed activation buffers kept for reuse."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest
import torch

from vaecausal.models.host import prepare_host

# Minor page faults of ten training steps after three warm-up steps, in a fresh process (the
# allocator's settings are process-wide, and this test process may have changed them already).
TRAINING_STEP_FAULTS = """
import resource, sys, torch
from vaecausal.models.host import retain_freed_memory
from vaecausal.models.network import GaussianVAE
if sys.argv[1] == "retain":
    assert retain_freed_memory()
torch.set_num_threads(2)
model = GaussianVAE(1, 10)
optimiser = torch.optim.Adam(model.parameters())
x = torch.rand(32, 1, 64, 64)
def step():
    mu, _ = model.encode(x)
    loss = (model.decode(mu) - x).pow(2).mean()
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def training_step_faults(allocator: str) -> int:
    command = [sys.executable, "-c", TRAINING_STEP_FAULTS, allocator]
    return int(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_retained_memory_spares_training_steps_their_page_faults() -> None:
    default = training_step_faults("default")
    retained = training_step_faults("retain")
    assert retained < default / 10, (retained, default)


def test_prepare_host_sets_the_thread_count() -> None:
    before = torch.get_num_threads()
    try:
        prepare_host(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
