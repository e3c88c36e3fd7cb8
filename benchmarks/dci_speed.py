"""DCI run-time and agreement: the reference booster on one core against the fast one on two.

The metrics stage computes DCI on 10,000 train / 5,000 test codes per model. The reference
protocol (scikit-learn's GradientBoostingClassifier with default settings, one classifier per
factor, as disentanglement_lib) fits one tree per class per round: on dSprites' factor sizes
(3, 6, 40, 32, 32) that is 11,300 exact-split trees. The fast variant (histogram boosting with
the reference's importance recomputed on its trees, see ``vaecausal.metrics.dci``) should stay
within 0.02 of the reference in disentanglement and completeness and take at most 30 s on two
cores. Timings on a machine shared with other jobs vary: compare the two lines of one run.

Both run side by side in one process on the same synthetic codes, seeded: ten codes with a
realistic mixed structure (two clean position codes, codes mixing two factors, a noisy code of a
categorical factor, two collapsed-to-noise codes and one near-constant code), so D and C sit
mid-range where a disagreement between the boosters would show. The reference runs sequentially
(``n_jobs=1``), the fast variant with ``--jobs`` per-factor workers (default 2).

    python benchmarks/dci_speed.py [--quick] [--jobs J] [--seed S]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from vaecausal.metrics.dci import Booster, DCIResult, dci

FACTOR_SIZES = (3, 6, 40, 32, 32)  # dSprites: shape, scale, orientation, posX, posY
_TARGET_SECONDS = 30.0
_TARGET_DIFFERENCE = 0.02


def synthetic_codes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes (n, 10) of factors (n, 5) drawn uniformly from the dSprites grid."""
    rng = np.random.default_rng(seed)
    factors = np.stack([rng.integers(0, size, n) for size in FACTOR_SIZES], axis=1)
    unit = factors / (np.array(FACTOR_SIZES) - 1) * 2 - 1  # each factor on [-1, 1]
    shape = rng.normal(size=FACTOR_SIZES[0])[factors[:, 0]]  # a categorical factor's embedding
    angle = np.sin(2 * np.pi * factors[:, 2] / FACTOR_SIZES[2])  # orientation wraps around

    def noise(scale: float) -> np.ndarray:
        return scale * rng.normal(size=n)

    codes = np.column_stack(
        [
            unit[:, 3] + noise(0.05),
            unit[:, 4] + noise(0.05),
            0.8 * unit[:, 1] + 0.2 * unit[:, 3] + noise(0.1),
            0.5 * angle + 0.5 * shape + noise(0.1),
            shape + noise(0.3),
            0.5 * unit[:, 3] + 0.5 * unit[:, 4] + noise(0.1),
            unit[:, 1] + noise(0.3),
            noise(1.0),
            noise(1.0),
            noise(0.01),
        ]
    )
    return codes, factors


def timed_dci(
    codes: np.ndarray, factors: np.ndarray, n_train: int, booster: Booster, jobs: int, seed: int
) -> tuple[DCIResult, float]:
    start = time.perf_counter()
    result = dci(
        codes[:n_train],
        factors[:n_train],
        codes[n_train:],
        factors[n_train:],
        seed=seed,
        n_jobs=jobs,
        booster=booster,
    )
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 / 1,000 codes instead")
    parser.add_argument("--jobs", type=int, default=2, help="workers of the fast variant")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_train, n_test = (2_000, 1_000) if args.quick else (10_000, 5_000)
    codes, factors = synthetic_codes(n_train + n_test, args.seed)
    print(
        f"{n_train} train / {n_test} test codes, {codes.shape[1]} codes, "
        f"factor sizes {FACTOR_SIZES}, seed {args.seed}"
    )
    reference, reference_s = timed_dci(codes, factors, n_train, "reference", 1, args.seed)
    fast, fast_s = timed_dci(codes, factors, n_train, "fast", args.jobs, args.seed)
    print(f"{'booster':10s} {'jobs':>4s} {'seconds':>8s} {'D':>7s} {'C':>7s} {'I':>7s}")
    for name, result, seconds, jobs in (
        ("reference", reference, reference_s, 1),
        ("fast", fast, fast_s, args.jobs),
    ):
        print(
            f"{name:10s} {jobs:4d} {seconds:8.1f} {result.disentanglement:7.4f} "
            f"{result.completeness:7.4f} {result.informativeness:7.4f}"
        )
    d = fast.disentanglement - reference.disentanglement
    c = fast.completeness - reference.completeness
    i = fast.informativeness - reference.informativeness
    print(f"{'fast - ref':10s} {'':4s} {'':8s} {d:+7.4f} {c:+7.4f} {i:+7.4f}")
    print(f"ratio reference/fast time: {reference_s / fast_s:.1f}x")
    print(f"fast time {fast_s:.1f} s (target <= {_TARGET_SECONDS:.0f} s at full size)")
    print(f"max |D, C difference| {max(abs(d), abs(c)):.4f} (target <= {_TARGET_DIFFERENCE})")


if __name__ == "__main__":
    main()
