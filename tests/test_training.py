"""The training loop: learns, resumes bit-for-bit, stops loudly on a non-finite loss."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import open_images
from vaecausal.models.beta_vae import BetaVAEObjective
from vaecausal.models.factor_vae import FactorVAEObjective
from vaecausal.models.network import GaussianVAE
from vaecausal.models.objective import Objective
from vaecausal.models.vq_vae import VQVAE, VQVAEObjective
from vaecausal.training import NonFiniteLossError, TrainingSettings, late_improvement, train

N_LATENTS = 4


def _settings(steps: int, checkpoint_every: int = 1000) -> TrainingSettings:
    return TrainingSettings(
        steps=steps,
        batch_size=16,
        learning_rate=1e-3,
        adam_betas=(0.9, 0.999),
        checkpoint_every=checkpoint_every,
        log_every=5,
    )


def _train(tiny_dsprites, run_dir, settings, seed=0, objective=None, log=lambda _: None):
    torch.manual_seed(seed)
    vq = isinstance(objective, VQVAEObjective) or (
        isinstance(objective, _Dying) and isinstance(objective.inner, VQVAEObjective)
    )
    model = VQVAE(1, N_LATENTS, 2, 8) if vq else GaussianVAE(1, N_LATENTS)
    if vq:
        model.quantiser.restart_every = 7  # restarts happen within the short test run
    images = BatchGatherer(open_images(tiny_dsprites), torch.device("cpu"))
    result = train(
        model,
        objective or BetaVAEObjective(1.0),
        images,
        settings,
        seed,
        checkpoint_path=run_dir / "checkpoint.pt",
        loss_csv_path=run_dir / "losses.csv",
        run_fingerprint="test",
        log=log,
    )
    return model, result


def _losses(path):
    with open(path) as handle:
        return [float(row["loss"]) for row in csv.DictReader(handle)]


def test_loss_falls(tiny_dsprites, tmp_path):
    _, result = _train(tiny_dsprites, tmp_path, _settings(60))
    losses = _losses(tmp_path / "losses.csv")
    assert len(losses) == 12
    assert sum(losses[-3:]) / 3 < 0.7 * sum(losses[:2]) / 2
    assert result.steps == 60 and result.images_per_second > 0


def test_late_improvement_tells_a_plateau_from_a_falling_loss():
    rng = np.random.default_rng(0)
    plateau = list(50.0 + rng.normal(0, 1, 40))  # mini-batch noise of 2% around a constant
    falling = list(np.linspace(100.0, 60.0, 40))  # falls by 40% over training
    assert abs(late_improvement(plateau)) < 0.02
    # window means 71.79 and 63.59: the last fifth fell by 11.4% of the fifth before it
    assert late_improvement(falling) == pytest.approx((71.79 - 63.59) / 71.79, abs=1e-3)
    assert late_improvement(falling[::-1]) < 0  # a rising loss is a negative improvement
    assert late_improvement([3.0, 2.0, 1.0]) is None  # under two losses per window


def test_training_reports_its_late_improvement(tiny_dsprites, tmp_path):
    _, result = _train(tiny_dsprites, tmp_path, _settings(60))
    assert result.late_improvement == late_improvement(_losses(tmp_path / "losses.csv"))


OBJECTIVES = {
    "vae": lambda: BetaVAEObjective(1.0),
    # FactorVAE carries a discriminator and its optimiser: both must be checkpointed.
    "factor_vae": lambda: FactorVAEObjective(10.0, N_LATENTS, 1e-4, (0.5, 0.9)),
    # VQ-VAE's quantiser keeps buffers and draws codebook restarts from the global generator.
    "vq_vae": lambda: VQVAEObjective(0.25),
}


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_same_seed_same_weights_and_interrupted_run_resumes_identically(
    tiny_dsprites, tmp_path, objective
):
    def make():  # seeded as the train stage seeds it: FactorVAE's discriminator draws its weights
        torch.manual_seed(0)
        return OBJECTIVES[objective]()

    for name in "abc":
        (tmp_path / name).mkdir()
    straight, _ = _train(tiny_dsprites, tmp_path / "a", _settings(30), objective=make())
    again, _ = _train(tiny_dsprites, tmp_path / "b", _settings(30), objective=make())
    # Run c is killed after step 23 (last checkpoint: step 20), then rerun to the end.
    interrupted_settings = _settings(30, checkpoint_every=10)
    with pytest.raises(_Killed):
        _train(tiny_dsprites, tmp_path / "c", interrupted_settings, objective=_Dying(make(), 23))
    resumed, result = _train(tiny_dsprites, tmp_path / "c", interrupted_settings, objective=make())
    assert result.resumed_from_step == 20
    for name, tensor in straight.state_dict().items():
        assert torch.equal(tensor, again.state_dict()[name]), name
        assert torch.equal(tensor, resumed.state_dict()[name]), name
    assert _losses(tmp_path / "c" / "losses.csv") == _losses(tmp_path / "a" / "losses.csv")


def test_a_checkpoint_from_another_kind_of_device_is_not_resumed(tiny_dsprites, tmp_path):
    settings = _settings(30, checkpoint_every=10)
    with pytest.raises(_Killed):
        _train(tiny_dsprites, tmp_path, settings, objective=_Dying(BetaVAEObjective(1.0), 23))
    checkpoint = tmp_path / "checkpoint.pt"
    state = torch.load(checkpoint, weights_only=False)
    assert state["device"] == "cpu" and state["step"] == 20
    state["device"] = "cuda"  # as if written on a GPU node
    torch.save(state, checkpoint)
    said: list[str] = []
    _, result = _train(tiny_dsprites, tmp_path, settings, log=said.append)
    assert result.resumed_from_step == 0
    assert "checkpoint was written on cuda" in said[0] and "starting afresh" in said[0]


class _Killed(Exception):
    pass


class _Dying(Objective):
    """Wraps an objective and dies, like a killed job, on the call after ``stop_after`` steps."""

    def __init__(self, inner: Objective, stop_after: int) -> None:
        self.inner, self.stop_after, self.calls = inner, stop_after, 0

    def __call__(self, model, x, generator=None):
        self.calls += 1
        if self.calls > self.stop_after:
            raise _Killed
        return self.inner(model, x, generator)

    def auxiliary_step(self, terms, generator=None):
        return self.inner.auxiliary_step(terms, generator)

    def to(self, device):
        self.inner.to(device)
        return self

    def state_dict(self):
        return self.inner.state_dict()

    def load_state_dict(self, state):
        self.inner.load_state_dict(state)


def test_non_finite_loss_names_the_step(tiny_dsprites, tmp_path):
    class Exploding(BetaVAEObjective):
        def regulariser(self, mu, logvar, z):
            value, logs = super().regulariser(mu, logvar, z)
            return value * float("nan"), logs

    with pytest.raises(NonFiniteLossError, match="step 5"):
        _train(tiny_dsprites, tmp_path, _settings(20), objective=Exploding(1.0))
