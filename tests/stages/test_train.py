"""Stage ``train``: a run is determined by its seed, the networks' initial weights included."""

from __future__ import annotations

from pathlib import Path

import torch

from vaecausal.adapters.saved import load_model
from vaecausal.stages import train

# FactorVAE: its discriminator is built, and randomly initialised, beside the network.
ARCHITECTURE = {
    "name": "factor_vae",
    "objective": "factor_vae",
    "hyperparameters": {"gamma": 10.0, "discriminator_lr": 1e-4, "discriminator_betas": [0.5, 0.9]},
}
TRAINING = {
    "steps": 2,
    "batch_size": 8,
    "learning_rate": 1e-3,
    "adam_betas": [0.9, 0.999],
    "checkpoint_every": 10,
    "log_every": 1,
}


def _trained_weights(prepared: Path, out: Path, seed: int) -> dict[str, torch.Tensor]:
    out.mkdir()
    train.run(
        prepared_dir=prepared,
        model_path=out / "model.pt",
        losses_path=out / "losses.csv",
        summary_path=out / "train_summary.json",
        architecture=ARCHITECTURE,
        model_settings={"n_latents": 4, "encoder_kernels": [4, 4, 2, 2]},
        training=TRAINING,
        seed=seed,
        threads=1,
        log=lambda _: None,
    )
    return load_model(out / "model.pt", torch.device("cpu")).state_dict()


def test_same_seed_same_weights_whatever_the_process_drew_before(tiny_dsprites, tmp_path):
    # Each job is a fresh process whose global generator torch seeds at random; two runs in one
    # process, with draws in between, start from different generator states in the same way.
    first = _trained_weights(tiny_dsprites, tmp_path / "a", seed=5)
    torch.rand(100)
    second = _trained_weights(tiny_dsprites, tmp_path / "b", seed=5)
    other_seed = _trained_weights(tiny_dsprites, tmp_path / "c", seed=6)
    for name, tensor in first.items():
        assert torch.equal(tensor, second[name]), name
    assert not all(torch.equal(tensor, other_seed[name]) for name, tensor in first.items())
