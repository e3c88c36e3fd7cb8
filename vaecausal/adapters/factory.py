"""Building a user's model from a factory named ``module:function`` and an optional weights file.

The factory takes no arguments and returns either a ``VAEAdapter`` (e.g. ``PythaeAdapter(model)``,
the way to declare hook points and a decoder that outputs probabilities) or a module with
``encode`` and ``decode`` methods, which is wrapped in a ``ModuleAdapter`` (logits, default hook
points). Weights are a ``state_dict`` of the user's module (what ``torch.save(model.state_dict())``
writes), loaded into the adapted module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from vaecausal.adapters.base import DEFAULT_IMAGE_SHAPE
from vaecausal.adapters.hook_points import candidate_hook_points
from vaecausal.adapters.module import ModuleAdapter
from vaecausal.adapters.protocol import DecoderOutput, InputScale, VAEAdapter


def import_factory(spec: str) -> Callable[[], Any]:
    """The callable ``spec`` names (``package.module:function``), or an error naming what
    could not be found."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"model factory '{spec}' is not of the form 'module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(
            f"model factory '{spec}': cannot import '{module_name}': {error}"
        ) from error
    factory = module
    for part in attribute.split("."):
        if not hasattr(factory, part):
            raise ValueError(f"model factory '{spec}': '{module_name}' has no '{attribute}'")
        factory = getattr(factory, part)
    if not callable(factory):
        raise ValueError(f"model factory '{spec}' is not callable")
    return factory


def as_adapter(
    model: Any,
    image_shape: Sequence[int] = DEFAULT_IMAGE_SHAPE,
    output: DecoderOutput = "logits",
    inputs: InputScale = "unit",
) -> VAEAdapter:
    """``model`` itself when it offers the protocol (it declares its own scales), else a
    ``ModuleAdapter`` of it whose encoder takes ``inputs`` and decoder outputs ``output``."""
    if isinstance(model, VAEAdapter):
        return model
    if isinstance(model, nn.Module) and callable(getattr(model, "encode", None)):
        return ModuleAdapter(model, output=output, image_shape=image_shape, inputs=inputs)
    raise ValueError(
        f"{type(model).__name__} is neither a VAEAdapter nor a module with encode and decode "
        "methods: wrap it in an adapter (vaecausal.adapters.module / .pythae)"
    )


def user_module(model: VAEAdapter) -> nn.Module:
    """The module the user's weights belong to: an adapter's wrapped module, else the model."""
    return getattr(model, "module", model)  # type: ignore[return-value]


def build_model(
    factory: str,
    weights: Path | None = None,
    image_shape: Sequence[int] = DEFAULT_IMAGE_SHAPE,
    output: DecoderOutput = "logits",
    inputs: InputScale = "unit",
) -> VAEAdapter:
    """The adapted model the factory builds, with ``weights`` loaded when given."""
    model = as_adapter(import_factory(factory)(), image_shape, output, inputs)
    if weights is not None:
        load_weights(user_module(model), weights)
    return model


def _prefixes(keys: Sequence[str], shown: int = 6) -> str:
    """'encoder.* (12), fc_mu.* (2)': keys grouped by their first dotted part."""
    counts: dict[str, int] = {}
    for key in keys:
        head = key.split(".", 1)[0]
        counts[head] = counts.get(head, 0) + 1
    parts = [f"{head}.* ({n})" for head, n in list(counts.items())[:shown]]
    return ", ".join(parts) + (", ..." if len(counts) > shown else "")


def load_weights(module: nn.Module, path: Path) -> None:
    """Load a ``state_dict`` saved by ``torch.save(model.state_dict())``, or a checkpoint dict
    holding one under ``state_dict`` (Lightning) or ``model_state_dict``, into ``module``. Keys
    that do not match are refused in one line naming the missing and unexpected key prefixes."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path}: holds {type(state).__name__}, not a state_dict")
    for key in ("state_dict", "model_state_dict"):
        if isinstance(state.get(key), dict):
            state = state[key]
            break
    expected = set(module.state_dict())
    missing = sorted(expected - set(state))
    unexpected = sorted(set(state) - expected)
    if missing or unexpected:
        raise ValueError(
            f"{path} does not fit {type(module).__name__}: missing {_prefixes(missing) or 'none'}"
            f"; unexpected {_prefixes(unexpected) or 'none'} (save the state_dict of the module "
            "the factory returns)"
        )
    module.load_state_dict(state)


@torch.no_grad()
def hook_point_listing(model: VAEAdapter, image_shape: Sequence[int]) -> list[str]:
    """Lines that list the model's candidate hook points per side, in the order they run, with
    their output shape per image and units; '*' marks the ones the model uses."""
    probe = torch.zeros(1, *image_shape, device=next(model.parameters()).device)
    latents = model.encode_latents(probe)
    root = user_module(model)
    sides = (
        ("encoder", model.encoder_hooks, lambda: model.encode_latents(probe)),
        ("decoder", model.decoder_hooks, lambda: model.run_decoder(model.decoder_input(latents))),
    )
    lines = []
    for side, chosen, run in sides:
        lines.append(
            f"{side} hook points (* chosen: {len(chosen)}); name, output per image, units:"
        )
        for name, shape, units in candidate_hook_points(root, run):
            mark = "*" if name in chosen else " "
            lines.append(f"  {mark} {name}  {shape}  {units}")
    return lines
