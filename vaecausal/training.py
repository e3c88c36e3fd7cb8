"""The training loop: seeded and resumable, with progress and loss logs.

A run is fully determined by its seed: parameter initialisation uses ``torch.manual_seed(seed)``
and batch indices and reparameterisation noise come from one ``torch.Generator``; all the
generators' states are checkpointed, so a run killed part-way and resumed takes exactly the
batches an uninterrupted run takes. Generator states differ between CPU and GPU, so a checkpoint
is resumed only on the kind of device that wrote it. Checkpoints are written atomically
(temporary file, then rename) and carry a fingerprint of the settings, so a changed
configuration never resumes from a stale one.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from vaecausal.data.loader import BatchGatherer
from vaecausal.models.device import place_network
from vaecausal.models.network import LatentModel
from vaecausal.models.objective import Objective
from vaecausal.models.torch_files import save_torch
from vaecausal.outputs import replacing


@dataclass(frozen=True)
class TrainingSettings:
    steps: int
    batch_size: int
    learning_rate: float
    adam_betas: tuple[float, float]
    checkpoint_every: int
    log_every: int


@dataclass(frozen=True)
class TrainingResult:
    steps: int
    seconds: float
    images_per_second: float
    final_losses: dict[str, float]
    device: str
    resumed_from_step: int
    # Relative fall of the mean loss over the last fifth of training (``late_improvement``).
    late_improvement: float | None


# Share of the logged losses, at the end of training, whose mean is compared with the same share
# just before it to tell a plateau from a loss still falling.
LATE_SHARE = 0.2


def late_improvement(losses: list[float], share: float = LATE_SHARE) -> float | None:
    """How much the mean loss fell from the second-last to the last ``share`` of the logged
    losses, relative to the former: near 0 on a plateau, clearly above 0 while training still
    pays. Means over windows, because single logged losses are one mini-batch each and noisy.
    None with fewer than two losses per window."""
    window = int(len(losses) * share)
    if window < 2:
        return None
    before = sum(losses[-2 * window : -window]) / window
    last = sum(losses[-window:]) / window
    return (before - last) / abs(before)


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; the message names the step."""


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _write_loss_csv(rows: list[dict[str, float]], path: Path) -> None:
    with replacing(path) as partial, open(partial, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["step"])
        writer.writeheader()
        writer.writerows(rows)


def train(
    model: LatentModel,
    objective: Objective,
    images: BatchGatherer,
    settings: TrainingSettings,
    seed: int,
    checkpoint_path: Path,
    loss_csv_path: Path,
    run_fingerprint: str,
    log: Callable[[str], None] = print,
) -> TrainingResult:
    """Train ``model`` in place for ``settings.steps`` steps, resuming from a valid checkpoint."""
    device = images.device
    torch.manual_seed(seed)
    place_network(model, device)
    objective.to(device)
    optimiser = torch.optim.Adam(
        model.parameters(),
        lr=settings.learning_rate,
        betas=tuple(settings.adam_betas),
        fused=True,  # one kernel for all parameters: less per-step overhead on CPU and GPU
    )
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    rows: list[dict[str, float]] = []
    start = 0
    if checkpoint_path.exists():
        # Loaded on the CPU: load_state_dict moves tensors to the parameters' device, and a
        # generator's state is always a CPU byte tensor.
        state = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
        written_on = state.get("device", "cpu")  # checkpoints from before GPU support
        if state["fingerprint"] != run_fingerprint:
            log("checkpoint belongs to other settings; starting afresh")
        elif written_on != device.type:
            log(
                f"checkpoint was written on {written_on}, whose random streams cannot continue "
                f"on {device.type}; starting afresh"
            )
        else:
            model.load_state_dict(state["model"])
            optimiser.load_state_dict(state["optimiser"])
            objective.load_state_dict(state["objective"])
            generator.set_state(state["generator"])
            torch.set_rng_state(state["torch_rng"])
            if device.type == "cuda":
                torch.cuda.set_rng_state(state["cuda_rng"], device)
            rows, start = state["rows"], state["step"]
            log(f"resuming from checkpoint at step {start}")

    model.train()
    n_images = len(images)
    clock = time.perf_counter()
    window_start, window_step = clock, start
    for step in range(start + 1, settings.steps + 1):
        index = torch.randint(n_images, (settings.batch_size,), generator=generator, device=device)
        terms = objective(model, images.gather(index), generator)
        optimiser.zero_grad(set_to_none=True)
        terms.total.backward()
        optimiser.step()
        auxiliary = objective.auxiliary_step(terms, generator)
        if step % settings.log_every == 0 or step == settings.steps:
            values = {k: float(v) for k, v in {**terms.logs, **auxiliary}.items()}
            if not all(math.isfinite(v) for v in values.values()):
                raise NonFiniteLossError(f"non-finite loss at step {step}: {values}")
            rows.append({"step": step, **values})
            now = time.perf_counter()
            rate = (step - window_step) * settings.batch_size / max(now - window_start, 1e-9)
            eta = (settings.steps - step) * settings.batch_size / max(rate, 1e-9)
            log(
                f"step {step}/{settings.steps} ({100 * step / settings.steps:.0f}%) "
                f"loss {values['loss']:.2f} | {rate:.0f} img/s | eta {eta:.0f}s"
            )
            window_start, window_step = now, step
        if step % settings.checkpoint_every == 0 and step < settings.steps:
            save_torch(
                {
                    "fingerprint": run_fingerprint,
                    "step": step,
                    "model": model.state_dict(),
                    "optimiser": optimiser.state_dict(),
                    "objective": objective.state_dict(),
                    "generator": generator.get_state(),
                    # The global generators too: VQ-VAE's codebook set-up and restarts draw from
                    # the one of the device they run on.
                    "device": device.type,
                    "torch_rng": torch.get_rng_state(),
                    "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
                    "rows": rows,
                },
                checkpoint_path,
            )
            _write_loss_csv(rows, loss_csv_path)
    seconds = time.perf_counter() - clock
    _write_loss_csv(rows, loss_csv_path)
    trained = settings.steps - start
    return TrainingResult(
        steps=settings.steps,
        seconds=seconds,
        images_per_second=trained * settings.batch_size / max(seconds, 1e-9),
        final_losses={k: v for k, v in rows[-1].items() if k != "step"} if rows else {},
        device=str(device),
        resumed_from_step=start,
        late_improvement=late_improvement([row["loss"] for row in rows]),
    )
