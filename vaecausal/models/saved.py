"""Trained models on disk: weights plus what is needed to rebuild the network, in one file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from vaecausal.models.network import GaussianVAE


def save_model(path: Path, model: GaussianVAE, kernels: list[int], info: dict[str, Any]) -> None:
    payload = {
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "channels": model.channels,
        "n_latents": model.n_latents,
        "kernels": list(kernels),
        "info": info,
    }
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_model(path: Path, device: torch.device) -> GaussianVAE:
    """The trained network in evaluation mode on ``device``."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    model = GaussianVAE(payload["channels"], payload["n_latents"], payload["kernels"])
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval()
