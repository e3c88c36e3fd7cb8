"""The reference encoder/decoder of the field (Locatello et al. 2019), with named hook points,
and the interface every architecture's network offers the later stages.

Every conv / linear layer followed by its nonlinearity is one submodule whose output is that
layer's activation, so a forward hook on ``encoder.conv1`` ... ``decoder.deconv4`` sees exactly the
hook point of the methods (units = channels for convs, neurons for linear layers).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

IMAGE_SIZE = 64


def reference_init(network: nn.Module) -> None:
    """Glorot-uniform weights and zero biases for every conv, transposed conv and linear layer:
    how the reference implementation's TensorFlow layers start (disentanglement_lib).

    Torch's default init shrinks the signal about 0.4x per ReLU layer, so at step 0 the encoder
    mean barely varies across images (std 4-8e-4 against a prior of 1), every objective starts
    at the prior, and in a short budget some seeds never leave it: at 500 steps of the default
    study, beta-VAE and DIP-VAE-II collapsed in 2 and 5 of 20 seeds, none with this init.
    """
    for module in network.modules():
        if isinstance(module, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def _same_padding(kernel: int) -> int:
    """Padding that halves a 64-pixel side with stride 2 ('same' for kernels 2 and 4)."""
    return (kernel - 2) // 2


class HookChain(nn.Module):
    """A chain of hook-point layers, each fed by the previous one's activation.

    Because the chain is strictly feed-forward, an intervention at one hook point only needs the
    layers after it: ``forward_from`` resumes the chain from a given (possibly patched)
    activation, which is how activation patching avoids recomputing the layers before it.
    """

    hook_points: tuple[str, ...]
    linear_hook_points: frozenset[str]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.hook_points:
            x = getattr(self, name)(x)
        return x

    def forward_from(self, name: str, activation: torch.Tensor) -> torch.Tensor:
        """The chain's output when hook point ``name`` outputs ``activation``."""
        for later in self.hook_points[self.hook_points.index(name) + 1 :]:
            activation = getattr(self, later)(activation)
        return activation


class Encoder(HookChain):
    """x (B, C, 64, 64) -> features (B, 256); hook points conv1..conv4 and fc."""

    hook_points = ("conv1", "conv2", "conv3", "conv4", "fc")
    linear_hook_points = frozenset({"fc"})

    def __init__(self, channels: int, kernels: Sequence[int] = (4, 4, 2, 2)) -> None:
        super().__init__()
        widths = (channels, 32, 32, 64, 64)
        for i, kernel in enumerate(kernels):
            conv = nn.Conv2d(widths[i], widths[i + 1], kernel, 2, _same_padding(kernel))
            self.add_module(f"conv{i + 1}", nn.Sequential(conv, nn.ReLU()))
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(64 * 4 * 4, 256), nn.ReLU())


class Decoder(HookChain):
    """z (B, d) -> logits (B, C, 64, 64); hook points fc1, fc2, deconv1..deconv4.

    ``fc2``'s 1024 neurons are reshaped to 64 x 4 x 4 inside the hook point; its units are still
    the 1024 neurons.
    """

    hook_points = ("fc1", "fc2", "deconv1", "deconv2", "deconv3", "deconv4")
    linear_hook_points = frozenset({"fc1", "fc2"})

    def __init__(self, n_latents: int, channels: int) -> None:
        super().__init__()
        self.fc1 = nn.Sequential(nn.Linear(n_latents, 256), nn.ReLU())
        self.fc2 = nn.Sequential(nn.Linear(256, 64 * 4 * 4), nn.ReLU(), nn.Unflatten(1, (64, 4, 4)))
        widths = (64, 64, 32, 32)
        for i in range(3):
            deconv = nn.ConvTranspose2d(widths[i], widths[i + 1], 4, 2, 1)
            self.add_module(f"deconv{i + 1}", nn.Sequential(deconv, nn.ReLU()))
        self.deconv4 = ImageDeconv(widths[-1], channels, 4, 2, 1)


class ImageDeconv(nn.ConvTranspose2d):
    """The decoder's last transposed convolution, out to the image's 1 or 3 channels.

    On a CPU, oneDNN's kernel for so few output channels reaches about 10 GFLOP/s, against 160
    for the wide layers before it, and took half of all decoding time; torch's own GEMM + col2im
    kernel computes the same layer 2-3x faster (measured: decoding 1.2-1.4x and training ~5%
    faster overall). oneDNN stays on the wide layers, where it is the faster one, and the GPU
    keeps cuDNN. The weights are those of an ``nn.ConvTranspose2d``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if x.device.type != "cpu":
            return super().forward(x)
        return torch.ops.aten.slow_conv_transpose2d(
            x, self.weight, self.kernel_size, self.bias, self.stride, self.padding
        )


ENCODER_HOOKS = tuple(f"encoder.{name}" for name in Encoder.hook_points)
DECODER_HOOKS = tuple(f"decoder.{name}" for name in Decoder.hook_points)


def prior_frame(latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Prior units of a Gaussian latent: value v sets z_i := v."""
    one = latents[0]
    return torch.zeros_like(one), torch.ones_like(one)


def spread_frame(latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Units of the latents' per-dim standard deviation around their mean over ``latents``: for
    latents without a prior, such as a VQ-VAE's z_e."""
    return latents.mean(0), latents.std(0)


class LatentModel(nn.Module):
    """What caching, interventions and metrics need from a network, whatever its latent space: the
    ``VAEAdapter`` protocol (``vaecausal.adapters.protocol``), plus the feed-forward chains that
    let activation patching resume from a hook point (``HookChain.forward_from``).

    *Intervention latents* are what manipulations act on: the posterior mean mu (B, d) of a
    Gaussian encoder, the pre-quantisation slots z_e (B, d, e) of a VQ-VAE. Latent i is always
    ``latents[:, i]``.
    """

    channels: int
    n_latents: int
    encoder: Encoder
    decoder: Decoder
    output = "logits"

    @property
    def encoder_hooks(self) -> tuple[str, ...]:
        return tuple(f"encoder.{name}" for name in self.encoder.hook_points)

    @property
    def decoder_hooks(self) -> tuple[str, ...]:
        return tuple(f"decoder.{name}" for name in self.decoder.hook_points)

    @property
    def neuron_hooks(self) -> frozenset[str]:
        """Linear layers: ``decoder.fc2``'s output is reshaped to a map, its units stay neurons."""
        return frozenset(
            f"{part}.{name}"
            for part, chain in (("encoder", self.encoder), ("decoder", self.decoder))
            for name in chain.linear_hook_points
        )

    def encode_latents(self, images: torch.Tensor) -> torch.Tensor:
        return self.latents_from_features(self.encoder(images))

    def run_decoder(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.decoder(inputs)

    @abstractmethod
    def constructor_arguments(self) -> dict[str, Any]:
        """Arguments that rebuild this network (saved beside the weights)."""

    @abstractmethod
    def summarise(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Arrays to cache for images ``x``: at least ``latents`` and ``metric_codes`` (B, k)."""

    @abstractmethod
    def latents_from_features(self, features: torch.Tensor) -> torch.Tensor:
        """Intervention latents from the encoder's last hook point (``encoder.fc``)."""

    @abstractmethod
    def decoder_input(self, latents: torch.Tensor) -> torch.Tensor:
        """What the decoder's first layer reads for intervention latents (B, d, ...)."""

    def decode_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """Logits of the image decoded from intervention latents."""
        return self.decoder(self.decoder_input(latents))

    @abstractmethod
    def perturbation_frame(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(centre, scale) shaped like one sample's latents: value v sets latent i to
        centre_i + v * scale_i (the additive form moves it by v * scale_i instead)."""

    def hook_point_names(self) -> list[str]:
        return [*self.encoder_hooks, *self.decoder_hooks]

    def hook_module(self, name: str) -> nn.Module:
        """The layer whose output is hook point ``name`` (e.g. ``decoder.deconv2``)."""
        return self.get_submodule(name)


class GaussianVAE(LatentModel):
    """Encoder with mean and log-variance heads of size d, and the shared decoder."""

    def __init__(self, channels: int, n_latents: int, kernels: Sequence[int] = (4, 4, 2, 2)):
        super().__init__()
        self.channels = channels
        self.n_latents = n_latents
        self.kernels = list(kernels)
        self.encoder = Encoder(channels, kernels)
        self.mean_head = nn.Linear(256, n_latents)
        self.logvar_head = nn.Linear(256, n_latents)
        self.decoder = Decoder(n_latents, channels)
        reference_init(self)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.encoder(x)
        return self.mean_head(features), self.logvar_head(features)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Logits of the reconstruction; the image is sigmoid(logits)."""
        return self.decoder(z)

    def constructor_arguments(self) -> dict[str, Any]:
        return {"channels": self.channels, "n_latents": self.n_latents, "kernels": self.kernels}

    def summarise(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar = self.encode(x)
        return {"latents": mu, "logvar": logvar, "metric_codes": mu}

    def latents_from_features(self, features: torch.Tensor) -> torch.Tensor:
        return self.mean_head(features)

    def decoder_input(self, latents: torch.Tensor) -> torch.Tensor:
        return latents

    def perturbation_frame(self, latents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return prior_frame(latents)


def reference_flops(channels: int = 1, n_latents: int = 10, decode_only: bool = False) -> int:
    """FLOPs of one image through the reference network: a training step's forward and backward,
    or with ``decode_only`` one code's decoding.

    Counted by torch on the meta device: every layer runs its standard operator there (the
    CPU kernel of ``ImageDeconv`` is one the counter does not know) and nothing is computed.
    Throughput benchmarks turn images or codes per second into FLOP/s with it.
    """
    model = GaussianVAE(channels, n_latents).to("meta")
    with FlopCounterMode(display=False) as counter:
        if decode_only:
            model.decode(torch.zeros(1, n_latents, device="meta"))
        else:
            mu, _ = model.encode(torch.zeros(1, channels, IMAGE_SIZE, IMAGE_SIZE, device="meta"))
            model.decode(mu).sum().backward()
    return int(counter.get_total_flops())
