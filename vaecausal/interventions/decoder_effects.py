"""What a change of the decoder's input does downstream: pixels, factors, and every decoder layer.

Latent perturbation (continuous z) and VQ-VAE code swaps (discrete codes) differ only in how the
changed decoder inputs are made. From there the measurements are the same, so they live here:
per changed input, the L2 pixel change of the image; per latent, the oracle's total-variation
change of each factor's class distribution (the factor effect E[i, k]); and per latent and
decoder hook point, the mean absolute activation change of each unit (Delta a_i^L, for circuit
modularity). A batch's base and changed inputs go through the decoder, and their images through
the oracle, in one call.

With bootstrap weights (``EffectSums.weights``, (R, N) counts over the N codes, see
``metrics.stability``) the factor and activation effects are also summed per replicate, so the
metrics stage can recompute specificity and modularity on R resampled sets of codes without
keeping an (N, d, U) array per decoder layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from vaecausal.adapters.protocol import VAEAdapter, decode_images, model_device
from vaecausal.interventions import effects as keys
from vaecausal.interventions.hooks import captured, is_linear, unit_view
from vaecausal.interventions.oracle import FactorOracle

# Elements of pending per-code values kept before they are added to the replicate sums (64 MB
# of float32): enough codes per block that the sums are read rarely, little memory beside them.
PENDING_ELEMENTS = 2**24
# Most elements of per-replicate activation effects one EffectSums keeps (256 MB of float32; the
# paper's models need 14M). A model with hundreds of latents and wide decoder layers would need
# more: it gets no per-replicate activation effects (its modularity has no interval) rather than
# run out of memory. Factor effects (R x d x K) are always kept.
MAX_REPLICATE_ELEMENTS = 2**26


@dataclass
class EffectSums:
    """Running sums over codes and values; ``means`` turns them into expectations. With
    ``weights`` (R, N) the same sums are kept per bootstrap replicate, code b of the N counted
    ``weights[r, b]`` times in replicate r."""

    n_latents: int
    weights: torch.Tensor | None = None  # (R, N)
    factor_tv: torch.Tensor | None = None  # (d, K)
    activation_delta: dict[str, torch.Tensor] = field(default_factory=dict)  # name -> (d, U)
    count: int = 0  # (code, value) pairs per latent
    replicate_sums: dict[str, torch.Tensor] = field(default_factory=dict)  # key -> (R, d, ...)
    # per key, codes' values not yet in the replicate sums, with their first row: adding a
    # block of codes at once reads the (R, d, U) sums once per block, not once per code
    pending: dict[str, list[tuple[int, torch.Tensor]]] = field(default_factory=dict)
    # keys whose replicate sums would not fit in max_replicate_elements
    skipped: set[str] = field(default_factory=set)
    max_replicate_elements: int = MAX_REPLICATE_ELEMENTS
    _reserved: int = 0

    @classmethod
    def over_codes(
        cls,
        n_latents: int,
        weights: np.ndarray | None,
        device: torch.device,
        max_replicate_elements: int = MAX_REPLICATE_ELEMENTS,
    ) -> EffectSums:
        """Sums for a run's codes, per bootstrap replicate where ``weights`` (R, N) are given
        (counts, exact in float32, which every device supports), at most
        ``max_replicate_elements`` of activation replicates."""
        if weights is None:
            return cls(n_latents)
        counts = torch.as_tensor(weights, dtype=torch.float32, device=device)
        return cls(n_latents, counts, max_replicate_elements=max_replicate_elements)

    def add(self, key: str, per_code: torch.Tensor, rows: slice) -> torch.Tensor:
        """Add ``per_code`` (B, d, ...), summed over values, of the codes ``rows`` to the
        replicate sums under ``key``; return its plain sum over codes (d, ...)."""
        if self.weights is not None and self._reserve(key, per_code[0].numel()):
            waiting = self.pending.setdefault(key, [])
            waiting.append((rows.start, per_code))
            if sum(len(v) for _, v in waiting) * per_code[0].numel() >= PENDING_ELEMENTS:
                self._flush(key)
        return per_code.sum(0)

    def _reserve(self, key: str, elements_per_code: int) -> bool:
        """Whether ``key`` keeps replicate sums: the first time an activation key is seen, its
        R x d x U sums are counted against ``max_replicate_elements``; one that does not fit is
        skipped."""
        if key in self.skipped:
            return False
        if not key.startswith(keys.ACTIVATION_DELTA) or key in self.pending:
            return True
        if key in self.replicate_sums:
            return True
        needed = len(self.weights) * elements_per_code
        if self._reserved + needed > self.max_replicate_elements:
            self.skipped.add(key)
            return False
        self._reserved += needed
        return True

    def _flush(self, key: str) -> None:
        """Move ``key``'s pending codes into its replicate sums in one matrix product."""
        waiting = self.pending.pop(key, [])
        if not waiting or self.weights is None:
            return
        values = torch.cat([v for _, v in waiting])
        columns = torch.cat(
            [torch.arange(start, start + len(v), device=values.device) for start, v in waiting]
        )
        weights = self.weights[:, columns].to(values.dtype)
        replicate = torch.tensordot(weights, values, dims=([1], [0]))
        self.replicate_sums[key] = self.replicate_sums.get(key, 0) + replicate

    def means(self) -> dict[str, np.ndarray]:
        """The expectations over codes and values (``factor_effect``, ``activation_delta.<hook>``)
        and, with weights, per replicate (``replicates.<same key>``)."""
        for key in list(self.pending):
            self._flush(key)
        out = {
            keys.ACTIVATION_DELTA + name: (total / self.count).cpu().numpy()
            for name, total in self.activation_delta.items()
        }
        if self.factor_tv is not None:
            out[keys.FACTOR_EFFECT] = (self.factor_tv / self.count).cpu().numpy()
        # modularity needs every layer's replicates: all of them, or none
        partial = any(k.startswith(keys.ACTIVATION_DELTA) for k in self.skipped)
        for key, total in self.replicate_sums.items():
            if partial and key.startswith(keys.ACTIVATION_DELTA):
                continue
            # every replicate draws N codes, so its count of (code, value) pairs is ``count``
            out[keys.REPLICATES + key] = (total / self.count).cpu().numpy().astype(np.float32)
        return out


def total_variation(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """TV distance between class distributions along the last axis."""
    return 0.5 * (p - q).abs().sum(-1)


def decode_batch(settings: Mapping[str, Any], model: VAEAdapter) -> int:
    """Codes per decoder call (``interventions.decode_batch``) on the model's device type (the
    CPU's setting where none is given for it)."""
    sizes = settings["decode_batch"]
    return int(sizes.get(model_device(model).type, sizes["cpu"]))


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
    start: int = 0,
) -> torch.Tensor:
    """Decode ``base_inputs`` (B, ...) and ``changed_inputs`` (B, d, V, ...), B * (1 + d * V)
    inputs in one decoder call; add the factor effects and the activation effects at ``hooks``
    (every decoder hook point by default) to ``sums`` (the batch is codes ``start`` to
    ``start + B`` of the run, for its bootstrap weights) and return the pixel change norms
    (B, d, V)."""
    batch, d, n_values = changed_inputs.shape[:3]
    rows = slice(start, start + batch)
    hooks = model.decoder_hooks if hooks is None else hooks
    with captured(model, hooks) as acts:
        decoded = decode_images(model, torch.cat([base_inputs, changed_inputs.flatten(0, 2)]))
        for name in hooks:
            units = unit_view(acts.pop(name), is_linear(model, name))  # freed once reduced
            base = units[:batch]
            changed = units[batch:].reshape(batch, d, n_values, *base.shape[1:])
            per_code = (changed - base[:, None, None]).abs().mean(-1).sum(2)  # (B, d, U)
            delta = sums.add(keys.ACTIVATION_DELTA + name, per_code, rows)
            sums.activation_delta[name] = sums.activation_delta.get(name, 0) + delta
    if oracle is not None:
        per_code = torch.stack(
            [
                total_variation(
                    p[batch:].reshape(batch, d, n_values, -1), p[:batch, None, None]
                ).sum(2)
                for p in oracle.probabilities(decoded)
            ],
            dim=2,
        )  # (B, d, K)
        tv = sums.add(keys.FACTOR_EFFECT, per_code, rows)
        sums.factor_tv = tv if sums.factor_tv is None else sums.factor_tv + tv
    sums.count += batch * n_values
    change = (
        decoded[batch:].reshape(batch, d, n_values, -1) - decoded[:batch].flatten(1)[:, None, None]
    )
    return change.norm(dim=-1)
