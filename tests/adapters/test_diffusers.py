"""diffusers' AutoencoderKL passed to the project as it is, with no wrapper: its encoder's
``AutoencoderKLOutput`` (``latent_dist``) and decoder's ``DecoderOutput`` (``.sample``) are read,
its spatial latent (4, 8, 8) is flattened to 256 latents and restored for the decoder, its hook
points are listed and chosen, and ``vaecausal.analyze`` runs on it end to end on 3-channel images.

What it takes and outputs: AutoencoderKL is trained on images scaled to [-1, 1], and its decoder
ends in a plain convolution (``decoder.conv_out``, after a SiLU), with no squashing layer: its
output is an image on the [-1, 1] scale that nothing bounds (diffusers clamps it when it makes
pictures: ``(sample / 2 + 0.5).clamp(0, 1)``). It is declared as such: ``inputs="signed"`` and
``output="clamped"``, whose range check looks at the output's bulk. ``tanh`` holds the output
to [-1, 1] and refuses a random-init AutoencoderKL (about [-2, 2]), naming ``clamped``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from tests.tiny_study import TINY
from vaecausal.adapters.factory import as_adapter, hook_point_listing
from vaecausal.adapters.hook_points import candidate_hook_points
from vaecausal.adapters.module import ModuleAdapter
from vaecausal.adapters.protocol import decode_latents
from vaecausal.config import deep_merge

diffusers = pytest.importorskip("diffusers")

IMAGE_SHAPE = (3, 64, 64)  # 3DShapes-like RGB images
LATENT_SHAPE = (4, 8, 8)  # three downsamplings of 64 x 64, 4 latent channels
# Narrow blocks keep the end-to-end analysis fast: its plan times a pass from each of the 90
# hook points.
WIDTHS = (8, 8, 16, 16)


def autoencoder_kl(seed: int = 0) -> torch.nn.Module:
    """A small random-init AutoencoderKL on 3 x 64 x 64 images: latent (4, 8, 8)."""
    torch.manual_seed(seed)
    model = diffusers.AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=WIDTHS,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
    ).eval()
    return model


def test_a_random_init_autoencoder_kl_declared_tanh_is_refused_naming_clamped():
    # Its decoder has no squashing layer: untrained, it draws outside [-1, 1], and the check
    # names the range it saw rather than reading such images as [0, 1] pixels.
    with pytest.raises(ValueError, match=r"declared to output tanh in \[-1, 1\].*'clamped'"):
        as_adapter(autoencoder_kl(), IMAGE_SHAPE, "tanh", "signed")


def test_autoencoder_kl_passed_as_it_is_gives_its_own_latents_and_images():
    model = autoencoder_kl()
    adapter = as_adapter(model, IMAGE_SHAPE, "clamped", "signed")
    assert isinstance(adapter, ModuleAdapter) and adapter.module is model
    assert adapter.n_latents == 256 and adapter.latent_shape == LATENT_SHAPE
    images = torch.rand(3, *IMAGE_SHAPE, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        own = model.encode(images * 2 - 1).latent_dist  # it takes images scaled to [-1, 1]
        mean, logvar = adapter.posterior(images)
        torch.testing.assert_close(mean, own.mean.flatten(1))
        torch.testing.assert_close(logvar, own.logvar.flatten(1))
        restored = adapter.decoder_input(mean)
        assert restored.shape == (3, *LATENT_SHAPE)
        drawn = model.decode(own.mean).sample
        torch.testing.assert_close(adapter.run_decoder(restored), drawn)
        torch.testing.assert_close(decode_latents(adapter, mean), ((drawn + 1) / 2).clamp(0, 1))


def test_autoencoder_kl_hook_points_are_listed_and_chosen():
    model = autoencoder_kl()
    adapter = as_adapter(model, IMAGE_SHAPE, "clamped", "signed")
    # the defaults: every layer with parameters, in the order it runs, on each side
    assert (
        adapter.encoder_hooks[0] == "encoder.conv_in" and adapter.encoder_hooks[-1] == "quant_conv"
    )
    assert adapter.decoder_hooks[0] == "post_quant_conv"
    assert adapter.decoder_hooks[-1] == "decoder.conv_out"
    probe = torch.zeros(1, *IMAGE_SHAPE)
    with torch.no_grad():
        candidates = {
            name: (shape, units)
            for name, shape, units in candidate_hook_points(
                model,
                lambda: adapter.run_decoder(adapter.decoder_input(adapter.encode_latents(probe))),
            )
        }
    assert candidates["decoder.up_blocks.3"] == ((8, 64, 64), 8)  # whole blocks can be chosen
    assert candidates["decoder.conv_out"] == ((3, 64, 64), 3)
    chosen = ModuleAdapter(
        model,
        output="clamped",
        inputs="signed",
        image_shape=IMAGE_SHAPE,
        encoder_hooks=["encoder.down_blocks.*", "quant_conv"],
        decoder_hooks=["decoder.up_blocks.*"],
    )
    assert chosen.encoder_hooks == (
        *(f"encoder.down_blocks.{i}" for i in range(4)),
        "quant_conv",
    )
    assert chosen.decoder_hooks == tuple(f"decoder.up_blocks.{i}" for i in range(4))
    lines = hook_point_listing(chosen, IMAGE_SHAPE)
    assert "encoder hook points (* chosen: 5); name, output per image, units:" in lines
    assert "  * encoder.down_blocks.0  (8, 32, 32)  8" in lines
    assert "    encoder.conv_in  (8, 64, 64)  8" in lines
    assert "  * decoder.up_blocks.3  (8, 64, 64)  8" in lines


def shapes_like_data(n_per_cell: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Dim noisy RGB images (N, 64, 64, 3) uint8 of a bright square whose colour channel and
    brightness (factor 0) and horizontal position (factor 1) are the two factors, 4 x 4 cells."""
    grid = np.stack(np.meshgrid(np.arange(4), np.arange(4), indexing="ij"), -1).reshape(-1, 2)
    factors = np.tile(grid, (n_per_cell, 1))
    rng = np.random.default_rng(0)
    images = rng.integers(0, 40, (len(factors), 64, 64, 3), dtype=np.uint8)
    for image, (colour, position) in zip(images, factors, strict=True):
        image[8:40, 4 + 14 * position : 18 + 14 * position, colour % 3] = 120 + 40 * colour
    return images, factors


# The tiny study's settings, and a scope for 256 latents and 90 hook points: the 4 latents of
# largest KL (untrained, every latent counts as active), 2 units per hook point, few replicates.
SMALL = deep_merge(
    TINY["studies"]["tiny"]["overrides"],
    {
        "interventions": {
            "latents": {"mode": "top_kl", "top_k": 4},
            "patching": {"n_pairs": 2, "max_units": 2},
            "mediation": {"n_pairs": 4},
            "bootstrap": {"replicates": 20},
            "decode_batch": {"cpu": 16},
        }
    },
)


def test_analyze_runs_on_autoencoder_kl_passed_as_it_is(tmp_path):
    import vaecausal

    images, factors = shapes_like_data()
    metrics = vaecausal.analyze(
        autoencoder_kl(),
        images,
        factors,
        tmp_path,
        overrides=SMALL,
        output="clamped",
        inputs="signed",
    )
    assert metrics == json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n_latents"] == 256
    assert math.isfinite(metrics["ces"])
    assert {"interventions.parquet", "effects.npz", "latents.npz"} <= {
        p.name for p in tmp_path.iterdir()
    }
