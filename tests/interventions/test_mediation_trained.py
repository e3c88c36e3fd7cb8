"""Mediation on trained models, not only on constructions: a small VAE trained on procedural
dSprites (a model written outside the project, encode returning (mean, log-variance)) whose
latent traversal moves the sprite's x position shows a posX total effect told apart from noise;
the same network trained on a view of the images without x position shows none."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.adapters.foreign import ResidualVAE
from tests.adapters.training import train_gaussian
from vaecausal.adapters.module import ModuleAdapter
from vaecausal.data import procedural_dsprites
from vaecausal.data.loader import BatchGatherer
from vaecausal.interventions.mediation import mediation_analysis
from vaecausal.interventions.pairs import mediation_pairs
from vaecausal.metrics.causal import latent_activity

# shape 3 x scale 2 x posX 2 x posY 8 (one orientation): the two x positions are 36 pixels
# apart, so a sprite's rows are the same at both, bit for bit
SUBSAMPLE = {"scale": 3, "orientation": 40, "posX": 31, "posY": 4}
NAMES = list(procedural_dsprites.FACTOR_NAMES)


class RowProfileVAE(ResidualVAE):
    """Encodes each image row's mean only: x position is gone from what the encoder sees (the
    decoder still paints whole images), so it cannot carry posX."""

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return super().encode(x.mean(-1, keepdim=True).expand_as(x))


@pytest.fixture(scope="module")
def sprites() -> tuple[np.ndarray, np.ndarray, list[int]]:
    grid = procedural_dsprites.reduced_grid(SUBSAMPLE)
    sizes = [len(grid[name]) for name in NAMES]
    images = np.zeros((int(np.prod(sizes)), 64, 64, 1), np.uint8)
    factors = procedural_dsprites.generate(images, SUBSAMPLE)
    return images, factors, sizes


def _trained(cls: type[ResidualVAE], images: np.ndarray) -> ModuleAdapter:
    torch.manual_seed(0)
    adapter = ModuleAdapter(cls(n_latents=6), output="logits")
    train_gaussian(adapter, images, steps=600)
    return adapter


def _mediation(adapter: ModuleAdapter, sprites) -> dict:
    images, factors, sizes = sprites
    gatherer = BatchGatherer(images, torch.device("cpu"))
    rows = np.random.default_rng(1).permutation(len(factors))
    with torch.no_grad():
        mean, logvar = adapter.posterior(gatherer.gather(rows))
    _, active = latent_activity(mean.numpy(), logvar.numpy(), 0.01)
    families = mediation_pairs(gatherer, factors, NAMES, sizes, rows[:64], 0, ["shape"])
    return {r.name: r for r in mediation_analysis(adapter, families, mean, active, 16)}


@torch.no_grad()
def _x_centroid(adapter: ModuleAdapter, z: torch.Tensor) -> torch.Tensor:
    images = torch.sigmoid(adapter.run_decoder(z))[:, 0]
    columns = torch.arange(64, dtype=images.dtype)
    return (images.sum(1) * columns).sum(1) / images.sum((1, 2))


def test_a_model_whose_traversal_moves_x_has_a_posx_effect_told_apart_from_noise(sprites):
    adapter = _trained(ResidualVAE, sprites[0])
    result = _mediation(adapter, sprites)["posX up"]
    # the outcome's main latent, traversed from -2 to +2 prior SDs, moves the decoded sprite
    # sideways by many pixels (what a traversal figure shows)
    traversal = torch.zeros(2, 6)
    traversal[:, result.outcome_latent] = torch.tensor([-2.0, 2.0])
    assert abs(float(_x_centroid(adapter, traversal).diff())) > 5
    assert result.total_effect.distinguishable, result.total_effect


def test_a_model_that_cannot_see_x_has_no_posx_effect_but_reads_the_other_factors(sprites):
    results = _mediation(_trained(RowProfileVAE, sprites[0]), sprites)
    posx = results["posX up"].total_effect
    assert posx.value == 0.0 and not posx.distinguishable
    assert results["posY up"].total_effect.distinguishable  # trained, not blind
