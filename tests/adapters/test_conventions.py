"""The conventions the common VAE libraries use reach the adapter with no wrapper: every encoder
form, spatial latents flattened and restored, decoders returning objects, declared output ranges
checked on a probe batch, and weights as users save them."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from tests.adapters.foreign import residual_vae, spatial_normal_vae
from vaecausal.adapters.factory import load_weights
from vaecausal.adapters.module import ModuleAdapter, decoded_image, mean_and_logvar
from vaecausal.adapters.protocol import decode_latents
from vaecausal.interventions.latent_perturbation import latent_perturbation

MEAN, LOGVAR = torch.randn(3, 2, 4, 4), torch.randn(3, 2, 4, 4)
NORMAL = torch.distributions.Normal(MEAN, (0.5 * LOGVAR).exp())


@pytest.mark.parametrize(
    "encoded",
    [
        (MEAN, LOGVAR),
        [MEAN, LOGVAR],  # PyTorch-VAE
        NORMAL,
        torch.distributions.Independent(NORMAL, 3),
        SimpleNamespace(latent_dist=SimpleNamespace(mean=MEAN, logvar=LOGVAR)),  # diffusers
    ],
    ids=["tuple", "list", "normal", "independent", "latent_dist"],
)
def test_every_encoder_form_gives_the_mean_and_log_variance(encoded):
    mean, logvar = mean_and_logvar(encoded)
    torch.testing.assert_close(mean, MEAN)
    torch.testing.assert_close(logvar, LOGVAR)
    assert mean_and_logvar(MEAN) == (MEAN, None)


def test_an_unknown_encoder_or_decoder_form_is_named():
    with pytest.raises(ValueError, match="returns dict; expected a tensor .*Normal"):
        mean_and_logvar({"mu": MEAN})
    with pytest.raises(ValueError, match="returns str; expected a tensor"):
        decoded_image("image")


def test_a_spatial_latent_is_flattened_for_the_analyses_and_restored_for_the_decoder():
    model = ModuleAdapter(spatial_normal_vae(), output="tanh")
    assert model.n_latents == 32 and model.latent_shape == (2, 4, 4)
    images = torch.rand(3, 1, 64, 64)
    with torch.no_grad():
        mean, logvar = model.posterior(images)
        distribution = model.module.encode(images)
    torch.testing.assert_close(mean, distribution.loc.flatten(1))
    torch.testing.assert_close(logvar, 2 * distribution.scale.log().flatten(1))
    with torch.no_grad():
        decoded = decode_latents(model, mean)
        expected = (model.module.decode(distribution.loc).sample + 1) / 2
    torch.testing.assert_close(decoded, expected)  # tanh images read as [0, 1]
    assert decoded.min() >= 0 and decoded.max() <= 1
    norms, _ = latent_perturbation(model, mean.numpy(), [-1.0, 1.0], decode_batch=16)
    assert norms.shape == (3, 32, 2) and (norms > 0).all()


def test_a_decoder_whose_output_does_not_fit_its_declaration_is_refused_with_its_range():
    with pytest.raises(ValueError, match=r"declared to output probabilities in \[0, 1\].*'tanh'"):
        ModuleAdapter(spatial_normal_vae(), output="probabilities")
    with pytest.raises(ValueError, match="must be one of"):
        ModuleAdapter(spatial_normal_vae(), output="sigmoid")  # type: ignore[arg-type]


def test_weights_as_users_save_them_load_and_a_mismatch_names_the_prefixes(tmp_path):
    trained, fresh = residual_vae(seed=1), residual_vae(seed=2)
    torch.save(trained.state_dict(), tmp_path / "own.pt")
    torch.save({"state_dict": trained.state_dict(), "epoch": 3}, tmp_path / "checkpoint.pt")
    for name in ("own.pt", "checkpoint.pt"):
        load_weights(fresh, tmp_path / name)
        for a, b in zip(fresh.parameters(), trained.parameters(), strict=True):
            assert torch.equal(a, b)
    wrapped = nn.Module()
    wrapped.vae = residual_vae()
    with pytest.raises(
        ValueError, match=r"missing vae\.\* \(22\); unexpected block\.\* \(4\), decoder_block"
    ):
        load_weights(wrapped, tmp_path / "own.pt")


def test_the_module_adapter_on_the_projects_trained_style_models_is_unchanged():
    model = ModuleAdapter(residual_vae())  # (mean, logvar) tuple, logits: as before
    assert model.latent_shape is None and model.n_latents == 4
    latents = torch.randn(2, 4)
    assert model.decoder_input(latents) is latents
    with torch.no_grad():
        assert np.isfinite(decode_latents(model, latents).numpy()).all()


class _Scaled(nn.Module):
    """Encodes the mean intensity; decodes ``scale`` times a fixed pattern shifted by ``shift``:
    an output whose bulk and extremes are set by hand."""

    def __init__(self, scale: float, shift: float = 0.0) -> None:
        super().__init__()
        self.scale, self.shift = scale, shift
        self.seen: list[float] = []
        self.layer, self.out = nn.Linear(1, 1), nn.Linear(2, 1)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        self.seen += [float(x.min()), float(x.max())]
        return self.layer(x.mean((1, 2, 3))[:, None]).repeat(1, 2)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        pattern = torch.linspace(-1, 1, 64 * 64).reshape(1, 1, 64, 64)
        pattern[..., 0, :3] = 2.0  # three pixels overshoot, as an unbounded decoder's do
        ignored = 0 * self.out(z)[:, :, None, None]  # a decoder layer, its output unused
        return self.scale * pattern + self.shift + ignored


def test_an_image_on_the_signed_scale_that_overshoots_is_declared_clamped_not_tanh():
    with pytest.raises(ValueError, match=r"declared to output tanh.*over \[-0.999, 2\].*'clamped'"):
        ModuleAdapter(_Scaled(1.0), output="tanh")
    model = ModuleAdapter(_Scaled(1.0), output="clamped")
    with torch.no_grad():
        images = decode_latents(model, torch.zeros(1, 2))
    assert float(images.max()) == 1.0 and float(images.min()) >= 0.0  # 2.0 clamped to 1
    assert float(images[0, 0, 0, 0]) == 1.0 and float(images[0, 0, -1, -1]) == 1.0


def test_logits_whose_bulk_lies_far_below_the_signed_scale_are_not_taken_as_clamped():
    with pytest.raises(ValueError, match=r"clamped in \[-1, 1\].*percentiles.*'logits'"):
        ModuleAdapter(_Scaled(2.0, shift=-6.0), output="clamped")


def test_signed_inputs_reach_the_encoder_scaled_to_minus_one_one():
    unit, signed = _Scaled(1.0), _Scaled(1.0)
    ModuleAdapter(unit, output="clamped")
    ModuleAdapter(signed, output="clamped", inputs="signed")
    # the probe's noise image reaches 0.9998 in [0, 1]: 2 x 0.9998 - 1 in [-1, 1]
    assert min(unit.seen) == 0.0 and max(unit.seen) == pytest.approx(0.9998, abs=1e-4)
    assert min(signed.seen) == -1.0 and max(signed.seen) == pytest.approx(2 * max(unit.seen) - 1)
    with pytest.raises(ValueError, match="encoder inputs must be one of"):
        ModuleAdapter(_Scaled(1.0), inputs="centred")
