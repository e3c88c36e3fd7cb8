"""Finding (iii) in the calculator: false verdicts where an architecture only just tops every
dataset, and the gap in seed SDs that two different winners (or one) need."""

from __future__ import annotations

import numpy as np

from vaecausal.analysis.findings import ranking
from vaecausal.analysis.power.design import (
    Assumptions,
    FindingPower,
    Layout,
    Progress,
    WorstNull,
    rate,
    smallest,
)


def _ranking_cells(plan: Layout) -> tuple[list[str], np.ndarray]:
    """The ranked architectures and the planned runs per (dataset, architecture)."""
    archs = list(plan.reference)
    counts = np.array([[plan.runs(d, a) for a in archs] for d in plan.datasets])
    return archs, counts


def _ranking_draws(
    rng: np.random.Generator, means: np.ndarray, sds: np.ndarray, counts: np.ndarray, draws: int
) -> np.ndarray:
    """values[draw, dataset, architecture, run], NaN beyond each cell's planned runs."""
    width = max(int(counts.max()), 1)
    noise = rng.standard_normal((draws, *means.shape, width))
    values = means[..., None] + sds[..., None] * noise
    return np.where(np.arange(width) < counts[..., None], values, np.nan)


def _ranking_words(dci: np.ndarray, ces: np.ndarray) -> np.ndarray:
    level = ranking.metric_level(2)
    words = [ranking.metric_verdicts(*ranking.verdict_p(v), level) for v in (dci, ces)]
    return ranking.finding_verdicts(np.stack(words, axis=-1))


def _ranking_nulls(n_datasets: int, k: int) -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
    """Least favourable nulls (means, SDs, the verdict that would be false): architecture 0 tops
    every dataset but ties on dataset 0 ('supported' false), or tops all but dataset 0, where it
    ties architecture 1 ('contradicted' false), under seed SDs that differ by architecture, by
    dataset, or for one architecture on one dataset."""
    far = -1e6
    tops = np.full((n_datasets, k), far)
    tops[:, 0] = 0.0
    tied_first = tops.copy()
    tied_first[0] = 0.0
    tied_pair = tops.copy()
    tied_pair[0, 1] = 0.0
    shapes = {"equal seed SDs": np.ones((n_datasets, k))}
    for factor in (0.2, 5.0):
        sds = np.ones((n_datasets, k))
        sds[:, 0] = factor
        shapes[f"the top architecture {factor:g}x as noisy"] = sds
    sds = np.ones((n_datasets, k))
    sds[0] = 5.0
    shapes["one dataset 5x as noisy"] = sds
    for arch in (0, 1):
        sds = np.ones((n_datasets, k))
        sds[0, arch] = 5.0
        shapes[f"architecture {arch} 5x as noisy on one dataset only"] = sds
    nulls = {}
    for name, sds in shapes.items():
        nulls[f"tie on one dataset, {name}"] = (tied_first, sds, ranking.SUPPORTED)
        nulls[f"tie for the top on one dataset, {name}"] = (tied_pair, sds, ranking.CONTRADICTED)
    return nulls


def gap_power(plan: Layout, assume: Assumptions, gap: float, word: str) -> float:
    """Share of ``assume.draws`` studies at ``plan``'s layout that give ``word``, when by DCI one
    architecture leads every other by ``gap`` seed SDs on each dataset, a different one on
    alternate datasets ('supported') or the same one everywhere ('contradicted'), and CES has no
    effect. Seeded identically at every gap (common random numbers)."""
    _, counts = _ranking_cells(plan)
    n_datasets, k = counts.shape
    leaders = 2 if word == ranking.SUPPORTED else 1
    lead = np.zeros((n_datasets, k))
    lead[np.arange(n_datasets), np.arange(n_datasets) % leaders] = 1.0
    rng = np.random.default_rng(assume.seed + 1)
    dci = _ranking_draws(rng, gap * lead, np.ones((n_datasets, k)), counts, assume.draws)
    ces = _ranking_draws(
        rng, np.zeros((n_datasets, k)), np.ones((n_datasets, k)), counts, assume.draws
    )
    return rate(_ranking_words(dci, ces), word)


def ranking_power(plan: Layout, assume: Assumptions, progress: Progress) -> list[FindingPower]:
    """(iii): worst false rates over the nulls, smallest alternating-winner gap and one-winner
    gap with 80% power (seed SDs, in DCI; CES without an effect)."""
    _, counts = _ranking_cells(plan)
    n_datasets, k = counts.shape
    name = "(iii) no single winner"
    if n_datasets < 2 or k < 2:
        why = "fewer than two datasets or architectures: the finding cannot be tested"
        return [FindingPower.untested(name, "gap", why)]
    rng = np.random.default_rng(assume.seed)
    worst = WorstNull()
    for shape, (means, sds, wrong) in _ranking_nulls(n_datasets, k).items():
        progress(f"(iii) null: {shape}")
        words = _ranking_words(
            *(_ranking_draws(rng, means, sds, counts, assume.null_draws) for _ in range(2))
        )
        worst.record(words, shape, (wrong,))
    rows = []
    for label, word in (
        ("gap (seed SDs), a different leader on alternate datasets", ranking.SUPPORTED),
        ("gap (seed SDs), one leader on every dataset", ranking.CONTRADICTED),
    ):

        def power_at(gap: float, word=word) -> float:
            progress(f"(iii) power at {gap:.2f} seed SDs ({word})")
            return gap_power(plan, assume, gap, word)

        effect, power = smallest(power_at, 0.0, 40.0)
        rows.append(
            FindingPower(
                name + f" ({word})",
                worst.supported,
                worst.contradicted,
                worst.shape,
                label,
                effect,
                power,
                f"{k} architectures, {n_datasets} datasets, {int(counts.min())}-"
                f"{int(counts.max())} runs per cell",
            )
        )
    return rows
