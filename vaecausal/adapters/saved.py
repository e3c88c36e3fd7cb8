"""Trained models on disk: weights plus what is needed to rebuild the network, in one file.

A model brought from outside the project is stored the same way: the factory that builds it
(``module:function``), the image shape it was checked on and its weights, so every later stage
loads it with ``load_model`` whatever its origin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from vaecausal.adapters.factory import build_model, user_module
from vaecausal.adapters.protocol import VAEAdapter
from vaecausal.models.device import place_network
from vaecausal.models.network import LatentModel
from vaecausal.models.registry import MODEL_CLASSES
from vaecausal.models.torch_files import save_torch

EXTERNAL = "external"


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu() for k, v in module.state_dict().items()}


def save_model(path: Path, model: LatentModel, info: dict[str, Any]) -> None:
    payload = {
        "class": type(model).__name__,
        "arguments": model.constructor_arguments(),
        "state_dict": _state(model),
        "info": info,
    }
    save_torch(payload, path)


def save_external(
    path: Path, model: VAEAdapter, factory: str, image_shape: list[int], info: dict[str, Any]
) -> None:
    """Store a model built by ``factory``: rebuilt by calling it again, with these weights."""
    arguments = {"factory": factory, "image_shape": image_shape}
    payload = {
        "class": EXTERNAL,
        "arguments": arguments,
        "state_dict": _state(user_module(model)),
        "info": info,
    }
    save_torch(payload, path)


def load_model(path: Path, device: torch.device) -> VAEAdapter:
    """The trained (or imported) network in evaluation mode on ``device``."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    if payload["class"] == EXTERNAL:
        arguments = payload["arguments"]
        model = build_model(arguments["factory"], image_shape=arguments["image_shape"])
        user_module(model).load_state_dict(payload["state_dict"])
        return place_network(model, device).eval()
    network = MODEL_CLASSES[payload["class"]](**payload["arguments"])
    network.load_state_dict(payload["state_dict"])
    return place_network(network, device).eval()
