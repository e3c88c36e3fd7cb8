"""Cost of the generic hook path against the fast path, side by side in one run.

Activation patching of every encoder unit (one factor's pairs), of every decoder unit (every
latent) and causal mediation (NIE and NDE of every encoder unit) on the project's network: once
through its fast ``forward_from`` chain, once through a ``ModuleAdapter`` of the same network,
which takes the generic path (the whole graph run with a hook point's output replaced, what
finished before it replayed from a recording). Runs alternate fast / generic so drifting load hits
both alike; each side's time is the best of its runs (CPU time on a CPU, wall time on a GPU).
Target: generic / fast <= 1.5.

    python benchmarks/generic_hooks.py [--pairs N] [--latents D] [--repeats R] [--threads T]
"""

from __future__ import annotations

import argparse
import time

import torch

from vaecausal.adapters.module import ModuleAdapter
from vaecausal.interventions.mediation import Outcome, mediate
from vaecausal.interventions.pairs import PairFamily
from vaecausal.interventions.patching import decoder_patching, encoder_restoration
from vaecausal.models.device import choose_device, place_network
from vaecausal.models.host import prepare_host
from vaecausal.models.network import DECODER_HOOKS, ENCODER_HOOKS, GaussianVAE


def workload(model, family: PairFamily, latents: torch.Tensor) -> None:
    """Everything that patches units: the work the generic path changes."""
    encoder_restoration(model, family)
    d = latents.shape[1]
    decoder_patching(model, latents, torch.full((d,), 2.0), list(range(d)))
    mediate(model, family, Outcome.of_latent(0, torch.ones(d, 1, device=latents.device)))


def timed(work) -> float:
    """Seconds of ``work``: wall time on a GPU; on a CPU the process's CPU time, which other
    load on the machine does not inflate (wall time on a shared CPU measures the neighbours)."""
    if not torch.cuda.is_available():
        start = time.process_time()
        work()
        return time.process_time() - start
    torch.cuda.synchronize()
    start = time.perf_counter()
    work()
    torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=8, help="pairs and codes patched")
    parser.add_argument("--latents", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    prepare_host(args.threads)
    device = choose_device()
    torch.manual_seed(0)
    model = place_network(GaussianVAE(1, args.latents), device).eval()
    generic = ModuleAdapter(
        model,
        encoder_hooks=ENCODER_HOOKS,
        decoder_hooks=DECODER_HOOKS,
        neuron_hooks=sorted(model.neuron_hooks),
    )
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(2 * args.pairs, 1, 64, 64, generator=generator).to(device)
    family = PairFamily("f", images[: args.pairs], images[args.pairs :])
    latents = torch.randn(args.pairs, args.latents, generator=generator).to(device)
    workload(model, family, latents)  # warm-up: kernels chosen, buffers allocated
    workload(generic, family, latents)
    fast, slow = [], []
    for _ in range(args.repeats):
        fast.append(timed(lambda: workload(model, family, latents)))
        slow.append(timed(lambda: workload(generic, family, latents)))
    print(f"device {device}, {args.threads} thread(s), {args.pairs} pairs, best of {args.repeats}")
    clock = "wall" if torch.cuda.is_available() else "CPU"
    print(f"fast path (forward_from): {min(fast):.2f} s {clock} time", flush=True)
    print(f"generic path (hooks):     {min(slow):.2f} s {clock} time")
    print(f"generic / fast: {min(slow) / min(fast):.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
