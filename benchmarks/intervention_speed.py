"""Speed of the intervention engine, measured side by side in one run.

1. Batched latent perturbation against a plain loop: the same decoder, codes, latents and values;
   the plain loop decodes one perturbed code at a time (for each code, latent and value), as a
   first implementation would; the batched engine sends every latent and value of a batch of
   codes through the decoder in one call. Also shown: a loop over (latent, value) that batches
   only over codes. Target: batched / plain >= 5. Each is also shown as decoder FLOP/s against
   this machine's matrix-multiply throughput: where the batched engine already runs near it
   (a CPU), no batching can gain more. On a CPU with several threads, both are also timed on
   one thread: the batched engine uses extra cores, one-code calls barely do.
2. The four manipulation types for one model against its training, at the paper study's settings
   (n_eval 1000 codes x 7 values, 1000 input pairs, 64 patching pairs, all factors; 300,000 steps
   of batch 64), extrapolated from per-unit costs measured here on small counts, with what
   measurements on real models added: the stability intervals' bootstrap (1,000 replicates summed
   while decoding, and the metrics stage's replicates at the paper's sizes), the projection
   outcome of mediation, and the factor oracle trained to its full step budget (shared by the 18
   runs of a dataset) with its checks of the stopping rule. Target < 5%.

    python benchmarks/intervention_speed.py [--threads T] [--codes N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import yaml
from machine import matmul_flops_per_second

from vaecausal.config import load_study
from vaecausal.data.loader import BatchGatherer
from vaecausal.interventions.code_swaps import code_swap_effects
from vaecausal.interventions.input_manipulation import input_effects
from vaecausal.interventions.latent_perturbation import grid_perturbation, latent_perturbation
from vaecausal.interventions.mediation import Outcome, mediate, outcome
from vaecausal.interventions.oracle import (
    FactorOracle,
    OracleSettings,
    oracle_accuracy,
    train_oracle,
)
from vaecausal.interventions.pairs import PairFamily
from vaecausal.interventions.patching import decoder_patching, encoder_restoration
from vaecausal.metrics.stability import (
    decoder_replicates,
    modularity_replicates,
    overlap_replicates,
    resampling_weights,
    weighted_means,
)
from vaecausal.models.beta_vae import BetaVAEObjective
from vaecausal.models.device import choose_device, place_network
from vaecausal.models.host import prepare_host
from vaecausal.models.network import GaussianVAE, reference_flops
from vaecausal.models.vq_vae import VQVAE

CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"
VALUES = [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
PAPER = {
    "n_eval": 1000,
    "input_pairs": 1000,
    "patch_pairs": 64,
    "steps": 300_000,
    "batch": 64,
    "replicates": 1000,
    "oracle_steps": 20_000,
    "runs_per_dataset": 18,
}
DATASETS = {"dSprites": (1, [3, 6, 40, 32, 32]), "3DShapes": (3, [10, 10, 10, 8, 4, 15])}
# Images of the real datasets, by channel count of the two above: what the oracle's checks read.
DATASET_IMAGES = {1: 737_280, 3: 480_000}
# Mediation's directed treatments: one per ordered factor, size - 1 contrasts per categorical one
# (shape: 3 values in dSprites, 4 in 3DShapes).
TREATMENTS = {"dSprites": 4 + 2, "3DShapes": 5 + 3}


def seconds(work: Callable[[], object], repeats: int = 3) -> float:
    """Best of ``repeats`` timings (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeats):
        if torch.cuda.is_available():
            torch.cuda.synchronize()  # earlier work is not timed
        start = time.perf_counter()
        work()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


@torch.no_grad()
def plain_loop(model: GaussianVAE, latents: np.ndarray, values: list[float]) -> np.ndarray:
    device = next(model.parameters()).device
    z_all = torch.as_tensor(latents, device=device)
    out = np.empty((len(latents), latents.shape[1], len(values)), np.float32)
    for b, z in enumerate(z_all):
        base = torch.sigmoid(model.decode(z[None]))
        for i in range(latents.shape[1]):
            for k, v in enumerate(values):
                changed = z.clone()
                changed[i] = v
                out[b, i, k] = (torch.sigmoid(model.decode(changed[None])) - base).norm()
    return out


@torch.no_grad()
def value_loop(model: GaussianVAE, latents: np.ndarray, values: list[float]) -> np.ndarray:
    device = next(model.parameters()).device
    z = torch.as_tensor(latents, device=device)
    base = torch.sigmoid(model.decode(z)).flatten(1)
    out = np.empty((len(latents), latents.shape[1], len(values)), np.float32)
    for i in range(latents.shape[1]):
        for k, v in enumerate(values):
            changed = z.clone()
            changed[:, i] = v
            image = torch.sigmoid(model.decode(changed)).flatten(1)
            out[:, i, k] = (image - base).norm(dim=1).cpu().numpy()
    return out


def batching(device: torch.device, n_codes: int, decode_batch: int) -> None:
    torch.manual_seed(0)
    model = place_network(GaussianVAE(1, 10), device).eval()
    latents = np.random.default_rng(0).normal(size=(n_codes, 10)).astype(np.float32)
    # pixel effects only, like the loops (the engine also measures factors and decoder units)
    batched = seconds(lambda: latent_perturbation(model, latents, VALUES, decode_batch, hooks=()))
    loop = seconds(lambda: plain_loop(model, latents, VALUES))
    per_value = seconds(lambda: value_loop(model, latents, VALUES))
    np.testing.assert_allclose(  # both compute the same numbers
        latent_perturbation(model, latents[:2], VALUES, 4096, hooks=())[0],
        plain_loop(model, latents[:2], VALUES),
        rtol=1e-4,
        atol=1e-5,
    )
    changes = n_codes * 10 * len(VALUES)
    flops = reference_flops(decode_only=True)  # per decoded code; a change is one decoded code
    machine = matmul_flops_per_second(device)
    print(
        f"latent perturbation, {n_codes} codes x 10 latents x {len(VALUES)} values "
        f"(engine: {decode_batch} codes per decoder call; matmul {machine / 1e9:.0f} GFLOP/s):"
    )
    for name, t in (
        ("plain loop", loop),
        ("loop over (latent, value)", per_value),
        ("batched", batched),
    ):
        achieved = changes * flops / t
        print(
            f"  {name:27s} {t:7.2f} s  {changes / t:9.0f} changes/s  "
            f"{achieved / 1e9:6.1f} GFLOP/s  {achieved / machine:.2f} of matmul"
        )
    print(f"  batched / plain loop: {loop / batched:.1f}x (target >= 5)")
    print(f"  batched / (latent, value) loop: {per_value / batched:.2f}x")
    threads = torch.get_num_threads()
    if device.type == "cpu" and threads > 1:  # where the ratio comes from: who uses the cores
        torch.set_num_threads(1)
        batched_1 = seconds(
            lambda: latent_perturbation(model, latents, VALUES, decode_batch, hooks=())
        )
        loop_1 = seconds(lambda: plain_loop(model, latents, VALUES))
        torch.set_num_threads(threads)
        print(
            f"  on 1 thread: batched / plain loop {loop_1 / batched_1:.1f}x; {threads} threads "
            f"speed the batched engine up {batched_1 / batched:.2f}x, the plain loop "
            f"{loop_1 / loop:.2f}x"
        )


def training_step_seconds(model: torch.nn.Module, channels: int, device: torch.device) -> float:
    objective = BetaVAEObjective(4.0)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(PAPER["batch"], channels, 64, 64, device=device)

    def step() -> None:
        loss = objective(model, x).total
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    step()
    return seconds(lambda: [step() for _ in range(5)]) / 5


def manipulation_costs(
    channels: int, sizes: list[int], treatments: int, device: torch.device, decode_batch: int
) -> dict[str, float]:
    """Seconds of each manipulation type for one model at the paper's counts."""
    n = 16  # measured counts; costs scale linearly in them
    torch.manual_seed(0)
    model = place_network(GaussianVAE(channels, 10), device).eval()
    oracle = place_network(FactorOracle(channels, sizes), device).eval()
    latents = np.random.default_rng(0).normal(size=(n, 10)).astype(np.float32)
    images = torch.rand(n, channels, 64, 64, device=device)
    family = PairFamily("f", images, images.flip(0))
    z = torch.as_tensor(latents, device=device)
    targets = grid_perturbation(model, z, [2.0]).value_targets(z, 0)
    vq = place_network(VQVAE(channels, 10, 16, 512), device).eval()
    codes = np.random.default_rng(0).integers(0, 512, size=(n, 10))
    k, per_eval_code = len(sizes), PAPER["n_eval"] / n
    select = (PAPER["input_pairs"] - PAPER["patch_pairs"]) / n
    spread, active = torch.ones(10, 1, device=device), np.ones(10, dtype=bool)
    y = Outcome.of_latent(0, spread)
    weights = resampling_weights(n, PAPER["replicates"], 0)
    return {
        "latent perturbation (+oracle, bootstrap sums)": per_eval_code
        * seconds(
            lambda: latent_perturbation(
                model, latents, VALUES, decode_batch, oracle, weights=weights
            )
        ),
        "input manipulation": k
        * PAPER["input_pairs"]
        / n
        * seconds(lambda: input_effects(model, [family], latents)),
        "patching (encoder)": k
        * PAPER["patch_pairs"]
        / n
        * seconds(lambda: encoder_restoration(model, family), 1),
        "mediation (encoder)": treatments
        * (
            select * seconds(lambda: outcome(model, family, spread, active))
            + PAPER["patch_pairs"] / n * seconds(lambda: mediate(model, family, y), 1)
        ),
        "patching (decoder)": PAPER["patch_pairs"]
        / 2
        * seconds(lambda: decoder_patching(model, z[:2], targets, list(range(10))), 1),
        "code swaps (VQ-VAE)": per_eval_code
        * seconds(lambda: code_swap_effects(vq, codes, 8, decode_batch, oracle, weights)),
        "stability intervals (metrics stage)": seconds(lambda: paper_replicates(len(sizes)), 1),
    }


def bootstrap_share(
    channels: int, sizes: list[int], device: torch.device, decode_batch: int
) -> float:
    """Latent perturbation with its bootstrap sums (1,000 replicates) over the same without, side
    by side on the same codes: what the stability intervals add to the costliest manipulation."""
    torch.manual_seed(0)
    model = place_network(GaussianVAE(channels, 10), device).eval()
    oracle = place_network(FactorOracle(channels, sizes), device).eval()
    latents = np.random.default_rng(0).normal(size=(16, 10)).astype(np.float32)
    weights = resampling_weights(16, PAPER["replicates"], 0)
    plain = seconds(lambda: latent_perturbation(model, latents, VALUES, decode_batch, oracle))
    summed = seconds(
        lambda: latent_perturbation(model, latents, VALUES, decode_batch, oracle, weights=weights)
    )
    return summed / plain


def paper_replicates(n_factors: int) -> None:
    """The metrics stage's replicates at the paper's sizes, on random stand-ins: CES and
    specificity over 1,000 codes, modularity of every decoder layer's (R, d, U) sums, circuit
    overlap over 64 patching pairs of the encoder's units, and TE and shares of 8 treatments."""
    rng = np.random.default_rng(0)
    replicates, d, n = PAPER["replicates"], 10, PAPER["n_eval"]
    active = np.ones(d, dtype=bool)
    codes = resampling_weights(n, replicates, 0)
    deltas = {f"layer{u}": rng.uniform(size=(replicates, d, u)) for u in (256, 1024, 64, 32, 32)}
    modularity = modularity_replicates(deltas, active)
    factor = rng.uniform(size=(replicates, d, n_factors))
    decoder_replicates(codes, rng.uniform(size=(n, d, 7)), factor, modularity, active, 1)
    pairs = resampling_weights(PAPER["patch_pairs"], replicates, 0)
    units = {
        f"enc{u}": rng.uniform(size=(u, n_factors, PAPER["patch_pairs"]))
        for u in (32, 32, 64, 64, 256)
    }
    overlap_replicates(pairs, units, rng.uniform(1, 2, size=(n_factors, PAPER["patch_pairs"])), 0.1)
    for _ in range(8):
        te = weighted_means(pairs, rng.normal(size=PAPER["patch_pairs"]))
        for _ in units:
            weighted_means(pairs, rng.normal(size=PAPER["patch_pairs"])) / te


def oracle_share(channels: int, sizes: list[int], device: torch.device) -> float:
    """Seconds of one run's share of its dataset's oracle at its full step budget (the oracle
    stops earlier once it reads every factor), from the time of a few steps."""
    images = BatchGatherer(
        np.random.default_rng(0).integers(0, 255, (512, 64, 64, channels), dtype=np.uint8), device
    )
    factors = np.stack(
        [np.random.default_rng(k).integers(0, s, 512) for k, s in enumerate(sizes)], 1
    )
    steps = 20
    settings = OracleSettings(steps, 64, 1e-3, 0.1, 0, steps, 0.8)
    trained, _ = train_oracle(images, factors, sizes, np.arange(512), settings, lambda *_: None)
    took = seconds(
        lambda: train_oracle(images, factors, sizes, np.arange(512), settings, lambda *_: None), 1
    )
    # every check reads the check split (10% of the dataset) once, every 500 steps
    read = seconds(lambda: oracle_accuracy(trained, images, factors, np.arange(512)), 1) / 512
    checks = PAPER["oracle_steps"] / 500 * 0.1 * DATASET_IMAGES[channels] * read
    training = took / steps * PAPER["oracle_steps"]
    return (training + checks) / PAPER["runs_per_dataset"]


def paper_cost(device: torch.device, decode_batch: int) -> None:
    for dataset, (channels, sizes) in DATASETS.items():
        cost = manipulation_costs(channels, sizes, TREATMENTS[dataset], device, decode_batch)
        cost["factor oracle (one run's share)"] = oracle_share(channels, sizes, device)
        model = place_network(GaussianVAE(channels, 10), device)
        training = training_step_seconds(model, channels, device) * PAPER["steps"]
        total = sum(cost.values())
        print(f"\n{dataset} ({channels} channel(s), {len(sizes)} factors), paper settings:")
        for name, t in cost.items():
            print(f"  {name:32s} {t:8.1f} s")
        print(f"  {'all intervention work':32s} {total:8.1f} s")
        print(f"  {'training (300,000 steps)':32s} {training:8.1f} s")
        print(f"  manipulations / training: {100 * total / training:.2f}% (target < 5%)")
        ratio = bootstrap_share(channels, sizes, device, decode_batch)
        print(f"  latent perturbation with / without bootstrap sums: {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--codes", type=int, default=32)
    args = parser.parse_args()
    prepare_host(args.threads)
    device = choose_device()
    print(f"device {device}, {args.threads} thread(s)")
    sizes = load_study(yaml.safe_load(CONFIG.read_text()), "paper").settings["interventions"]
    decode_batch = sizes["decode_batch"].get(device.type, sizes["decode_batch"]["cpu"])
    batching(device, args.codes, decode_batch)
    paper_cost(device, decode_batch)


if __name__ == "__main__":
    main()
