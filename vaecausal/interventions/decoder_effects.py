"""What a change of the decoder's input does downstream: pixels, factors, and every decoder layer.

Latent perturbation (continuous z) and VQ-VAE code swaps (discrete codes) differ only in how the
changed decoder inputs are made. From there the measurements are the same, so they live here:
per changed input, the L2 pixel change of the image; per latent, the oracle's total-variation
change of each factor's class distribution (the factor effect E[i, k]); and per latent and
decoder hook point, the mean absolute activation change of each unit (Delta a_i^L, for circuit
modularity). A batch's base and changed inputs go through the decoder, and their images through
the oracle, in one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from vaecausal.adapters.protocol import VAEAdapter, decode_images
from vaecausal.interventions.hooks import captured, is_linear, unit_view
from vaecausal.interventions.oracle import FactorOracle


@dataclass
class EffectSums:
    """Running sums over codes and values; ``means`` turns them into expectations."""

    n_latents: int
    factor_tv: torch.Tensor | None = None  # (d, K)
    activation_delta: dict[str, torch.Tensor] = field(default_factory=dict)  # name -> (d, U)
    count: int = 0  # (code, value) pairs per latent

    def means(self) -> dict[str, np.ndarray]:
        out = {
            f"activation_delta.{name}": (total / self.count).cpu().numpy()
            for name, total in self.activation_delta.items()
        }
        if self.factor_tv is not None:
            out["factor_effect"] = (self.factor_tv / self.count).cpu().numpy()
        return out


def total_variation(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """TV distance between class distributions along the last axis."""
    return 0.5 * (p - q).abs().sum(-1)


def images_per_call(decode_batch: int, changes_per_image: int) -> int:
    """How many images' base and changed inputs fit in a decoder call of ``decode_batch``
    inputs (at least one image, whatever the batch)."""
    return max(1, decode_batch // (1 + changes_per_image))


@torch.no_grad()
def measure_decoder_change(
    model: VAEAdapter,
    base_inputs: torch.Tensor,
    changed_inputs: torch.Tensor,
    oracle: FactorOracle | None,
    sums: EffectSums,
    hooks: tuple[str, ...] | None = None,
) -> torch.Tensor:
    """Decode ``base_inputs`` (B, ...) and ``changed_inputs`` (B, d, V, ...), B * (1 + d * V)
    inputs in one decoder call; add the factor effects and the activation effects at ``hooks``
    (every decoder hook point by default) to ``sums`` and return the pixel change norms
    (B, d, V)."""
    batch, d, n_values = changed_inputs.shape[:3]
    hooks = model.decoder_hooks if hooks is None else hooks
    with captured(model, hooks) as acts:
        decoded = decode_images(model, torch.cat([base_inputs, changed_inputs.flatten(0, 2)]))
        for name in hooks:
            units = unit_view(acts.pop(name), is_linear(model, name))  # freed once reduced
            base = units[:batch]
            changed = units[batch:].reshape(batch, d, n_values, *base.shape[1:])
            delta = (changed - base[:, None, None]).abs().mean(-1).sum((0, 2))
            sums.activation_delta[name] = sums.activation_delta.get(name, 0) + delta
    if oracle is not None:
        tv = torch.stack(
            [
                total_variation(
                    p[batch:].reshape(batch, d, n_values, -1), p[:batch, None, None]
                ).sum((0, 2))
                for p in oracle.probabilities(decoded)
            ],
            dim=1,
        )
        sums.factor_tv = tv if sums.factor_tv is None else sums.factor_tv + tv
    sums.count += batch * n_values
    change = (
        decoded[batch:].reshape(batch, d, n_values, -1) - decoded[:batch].flatten(1)[:, None, None]
    )
    return change.norm(dim=-1)
