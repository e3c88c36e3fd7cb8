"""Training throughput of the project's loop against a plain PyTorch loop, measured side by side.

Both loops train the same reference network (beta-VAE objective, batch 64) on the same in-memory
images for the same number of steps; repeats alternate between them so a change in machine load
hits both alike. The project's loop adds seeding, progress and loss logging and atomic
checkpoints at the default study's intervals: the ratio (target >= 1.0) shows what that costs.
The achieved FLOP/s (FLOPs of one image's forward and backward, counted by torch, times images
per second) is compared with this machine's float32 matrix-multiply throughput (target >= 0.5).
Both loops run after vaecausal.models.host.prepare_host, as the train stage does;
``--default-allocator`` leaves glibc's malloc at its defaults to show what that setting buys.

    python benchmarks/training_throughput.py [--steps S] [--repeats R] [--threads T]
        [--default-allocator]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from machine import matmul_flops_per_second

from vaecausal.data import procedural_dsprites
from vaecausal.data.loader import BatchGatherer
from vaecausal.models.beta_vae import BetaVAEObjective
from vaecausal.models.device import choose_device
from vaecausal.models.host import prepare_host
from vaecausal.models.network import GaussianVAE, reference_flops
from vaecausal.training import TrainingSettings, train

BATCH = 64
SUBSAMPLE = {"scale": 2, "orientation": 5, "posX": 4, "posY": 4}  # the default study's grid


def dataset() -> np.ndarray:
    grid = procedural_dsprites.reduced_grid(SUBSAMPLE)
    n = int(np.prod([len(grid[k]) for k in procedural_dsprites.FACTOR_NAMES]))
    images = np.zeros((n, 64, 64, 1), np.uint8)
    procedural_dsprites.generate(images, SUBSAMPLE)
    return images


def project_loop(images: BatchGatherer, steps: int, folder: Path) -> float:
    """Seconds for ``steps`` steps of vaecausal.training.train with the default study's logging."""
    settings = TrainingSettings(
        steps, BATCH, 5e-4, (0.9, 0.999), checkpoint_every=100, log_every=25
    )
    for stale in folder.glob("*"):
        stale.unlink()
    model = GaussianVAE(1, 10)
    start = time.perf_counter()
    train(
        model,
        BetaVAEObjective(4.0),
        images,
        settings,
        0,
        folder / "checkpoint.pt",
        folder / "losses.csv",
        "benchmark",
        log=lambda _: None,
    )
    return time.perf_counter() - start


def reference_loop(images: torch.Tensor, steps: int) -> float:
    """Seconds for ``steps`` steps of the plainest correct PyTorch training loop."""
    model = GaussianVAE(1, 10).to(images.device)
    optimiser = torch.optim.Adam(model.parameters(), lr=5e-4)
    start = time.perf_counter()
    for _ in range(steps):
        x = images[torch.randint(len(images), (BATCH,), device=images.device)].float() / 255
        mu, logvar = model.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        reconstruction = F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="sum")
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum()
        loss = (reconstruction + 4.0 * kl) / BATCH
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    if images.device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--default-allocator", action="store_true")
    args = parser.parse_args()
    if args.default_allocator:
        torch.set_num_threads(args.threads)
    else:
        prepare_host(args.threads)
    device = choose_device()
    images = dataset()
    gatherer = BatchGatherer(images, device)
    plain = torch.from_numpy(np.moveaxis(images, -1, 1).copy()).to(device)
    timings: dict[str, list[float]] = {"project": [], "reference": []}
    with tempfile.TemporaryDirectory() as folder:
        project_loop(gatherer, 20, Path(folder))  # warm-up of both paths
        reference_loop(plain, 20)
        for _ in range(args.repeats):
            timings["project"].append(project_loop(gatherer, args.steps, Path(folder)))
            timings["reference"].append(reference_loop(plain, args.steps))
    rates = {k: args.steps * BATCH / min(v) for k, v in timings.items()}
    per_image = reference_flops()
    machine = matmul_flops_per_second(device)
    print(
        f"{len(images)} images, batch {BATCH}, {args.steps} steps x {args.repeats} repeats, "
        f"{device}, {torch.get_num_threads()} threads, "
        f"{'default' if args.default_allocator else 'retaining'} allocator; "
        "best repeat of each loop"
    )
    for name, rate in rates.items():
        achieved = rate * per_image
        print(
            f"{name:10s} {rate:8.0f} img/s  {achieved / 1e9:7.1f} GFLOP/s  "
            f"{achieved / machine:.2f} of matmul"
        )
    print(
        f"model: {per_image / 1e6:.1f} MFLOP per image (forward + backward); "
        f"matmul: {machine / 1e9:.1f} GFLOP/s"
    )
    print(
        f"FLOP/s of the project's loop / matmul: {rates['project'] * per_image / machine:.2f} "
        "(target >= 0.5)"
    )
    print(f"ratio project/reference: {rates['project'] / rates['reference']:.2f} (target >= 1.0)")


if __name__ == "__main__":
    main()
