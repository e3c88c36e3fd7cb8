"""Trained models on disk: weights plus what is needed to rebuild the network, in one file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from vaecausal.models.device import place_network
from vaecausal.models.network import LatentModel
from vaecausal.models.registry import MODEL_CLASSES
from vaecausal.outputs import replacing


def save_model(path: Path, model: LatentModel, info: dict[str, Any]) -> None:
    payload = {
        "class": type(model).__name__,
        "arguments": model.constructor_arguments(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "info": info,
    }
    with replacing(path, (OSError, RuntimeError)) as partial:
        torch.save(payload, partial)


def load_model(path: Path, device: torch.device) -> LatentModel:
    """The trained network in evaluation mode on ``device``."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    model = MODEL_CLASSES[payload["class"]](**payload["arguments"])
    model.load_state_dict(payload["state_dict"])
    return place_network(model, device).eval()
