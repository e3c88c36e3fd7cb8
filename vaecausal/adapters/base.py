"""What every adapter of a foreign model shares: the wrapped module, a probe pass that checks the
model fits the data and the interventions before any work, and its hook points."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence

import torch
from torch import nn

from vaecausal.adapters.checks import probe as probe_model
from vaecausal.adapters.hook_points import leaf_layers, match_hook_points, order_of_calls
from vaecausal.adapters.protocol import OUTPUT_RANGES, DecoderOutput
from vaecausal.models.network import IMAGE_SIZE, prior_frame

DEFAULT_IMAGE_SHAPE = (1, IMAGE_SIZE, IMAGE_SIZE)


def _ran(module: nn.Module, run: Callable[[], object]) -> set[str]:
    """Names of ``module``'s submodules that run during ``run()``."""
    seen: set[str] = set()
    handles = [
        sub.register_forward_pre_hook(lambda *_a, n=name: seen.add(n))
        for name, sub in module.named_modules()
        if name
    ]
    try:
        run()
    finally:
        for handle in handles:
            handle.remove()
    return seen


class Adapter(nn.Module):
    """A foreign VAE ``module`` seen through the ``VAEAdapter`` protocol. Subclasses say how to
    encode, feed and run its decoder; this class probes them once on a blank and a noise image of
    ``image_shape`` (C, H, W) and chooses the hook points.

    Hook points are given as names or patterns (``hook_points.match_hook_points``) per side; by
    default every layer with parameters that runs while encoding (decoding) is an encoder
    (decoder) hook point. ``neuron_hooks`` (patterns) name hook points whose every output
    element is a unit (a linear layer whose output is reshaped to a map).
    """

    def __init__(
        self,
        module: nn.Module,
        output: DecoderOutput,
        image_shape: Sequence[int] = DEFAULT_IMAGE_SHAPE,
        encoder_hooks: Sequence[str] | None = None,
        decoder_hooks: Sequence[str] | None = None,
        neuron_hooks: Sequence[str] = (),
    ) -> None:
        super().__init__()
        if output not in OUTPUT_RANGES:
            raise ValueError(f"decoder output must be one of {list(OUTPUT_RANGES)}, not {output!r}")
        self.module = module.eval()
        self.output = output
        self.image_shape = tuple(int(s) for s in image_shape)
        self.channels = self.image_shape[0]
        # a blank image and a seeded noise image: the decoder's output range is checked on both
        noise = torch.rand(1, *self.image_shape, generator=torch.Generator().manual_seed(0))
        probe = torch.cat([torch.zeros_like(noise), noise]).to(self._device())
        with torch.no_grad():
            latents = probe_model(self, probe)  # type: ignore[arg-type]
            self.n_latents = int(latents.shape[1])
            inputs = self.decoder_input(latents)
            encoding = _ran(self.module, lambda: self.encode_latents(probe))
            decoding = _ran(self.module, lambda: self.run_decoder(inputs))
            self.encoder_hooks = self._hook_points(
                encoder_hooks, encoding, lambda: self.encode_latents(probe), "encoder"
            )
            self.decoder_hooks = self._hook_points(
                decoder_hooks, decoding, lambda: self.run_decoder(inputs), "decoder"
            )
        self.neuron_hooks = frozenset(match_hook_points(self.module, neuron_hooks, "neuron"))

    def _device(self) -> torch.device:
        return next(self.module.parameters()).device

    def _hook_points(
        self,
        patterns: Sequence[str] | None,
        ran: set[str],
        run: Callable[[], object],
        side: str,
    ) -> tuple[str, ...]:
        if patterns is None:
            names = [n for n in leaf_layers(self.module) if n in ran]
        else:
            names = match_hook_points(self.module, patterns, side)
            missing = [n for n in names if n not in ran]
            if missing:
                raise ValueError(
                    f"{side} hook point(s) {', '.join(missing)} do not run while "
                    f"{'encoding' if side == 'encoder' else 'decoding'}"
                )
        if not names:
            raise ValueError(f"the model has no {side} hook point (no layer runs on that side)")
        return order_of_calls(self.module, names, run, side)

    def hook_module(self, name: str) -> nn.Module:
        return self.module.get_submodule(name)

    @abstractmethod
    def encode_latents(self, images: torch.Tensor) -> torch.Tensor: ...

    @abstractmethod
    def decoder_input(self, latents: torch.Tensor) -> torch.Tensor: ...

    @abstractmethod
    def run_decoder(self, inputs: torch.Tensor) -> torch.Tensor: ...


class GaussianAdapter(Adapter):
    """An adapter of a VAE with a Gaussian posterior: the latents are its mean, perturbed in
    prior units (z_i := v), as the study does for its Gaussian architectures."""

    @abstractmethod
    def posterior(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(mean, log-variance or None where the model gives none)."""

    def encode_latents(self, images: torch.Tensor) -> torch.Tensor:
        return self.posterior(images)[0]

    def summarise(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        mean, logvar = self.posterior(images)
        summary = {"latents": mean, "metric_codes": mean}
        if logvar is not None:
            summary["logvar"] = logvar
        return summary

    def decoder_input(self, latents: torch.Tensor) -> torch.Tensor:
        return latents

    def perturbation_frame(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return prior_frame(latents)
