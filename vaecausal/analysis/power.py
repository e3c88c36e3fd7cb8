"""The study-design calculator: each finding's false-verdict rates and power at a study's planned
layout, simulated through the verdict functions the tables stage uses, before any GPU-hour.

    plan = layout(load_study(config, "findings"))
    for row in design_table(plan, Assumptions(), progress=print): ...

Per finding, null data at the planned layout (datasets, architectures, seeds, strength and size
variants) in several shapes go through the finding's own vectorised verdict code, and the worst
rate of a false "supported" and of a false "contradicted" is reported; then effects of rising
size go through the same code until 80% of the draws give the true verdict, and the smallest
such effect is reported in the finding's own units:

- (iii) no single winner: the gap in seed SDs by which a different architecture leads each
  dataset (alternating between two), in DCI while CES has no effect; also one architecture
  leading every dataset by that gap ("contradicted").
- (i) trade-off: the correlation rho of DCI and CES over the model population (the study's
  continuous architectures and strength variants), the models' effects shared by the datasets,
  seed noise on top.
- (ii) capacity bottleneck: the slope of log(beta-VAE / VAE DCI) per unit of factors/latent, in
  seed SDs of log DCI, over the study's latent-size sweeps.
- (iv) discrete limitation: the largest true ratio of VQ-VAE's continuous CES to the others'
  below the 0.1 margin that is found "supported" (and the smallest above it found
  "contradicted"), given the noise in ``Assumptions``.

The numbers are Monte-Carlo estimates: each rate carries its standard error, and each search uses
the same random numbers at every effect size (so power rises smoothly with the effect).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vaecausal.analysis.findings import capacity, discrete, ranking, tradeoff
from vaecausal.analysis.stats import label_permutations, permutation_test
from vaecausal.config import Study

TARGET_POWER = 0.8
DISCRETE_OBJECTIVES = frozenset({"vq_vae"})
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Assumptions:
    """What the simulations assume where the finding's effect is not in seed SDs.

    ``model_noise``: the seed SD of a model's DCI and CES relative to the spread of the models'
    true values (finding i; a model averaged over s seeds has s^-1/2 of it). ``vq_log_sd``: the
    seed SD of VQ-VAE's log CES; ``others_log_sd``: the SD of the continuous architectures' mean
    log CES around their geometric mean (finding iv). Defaults are rounded from the findings
    study's runs; ``draws`` per simulated rate."""

    model_noise: float = 0.3
    vq_log_sd: float = 0.3
    others_log_sd: float = 0.5
    draws: int = 1000
    seed: int = 0

    @property
    def null_draws(self) -> int:
        """Draws per null shape: twice ``draws``, since a rate near 2.5% needs them."""
        return 2 * self.draws


@dataclass(frozen=True)
class Layout:
    """A study's planned runs as the findings will see them."""

    study: str
    datasets: tuple[str, ...]
    reference: tuple[str, ...]  # architectures at their reference settings
    discrete: frozenset[str]
    population: tuple[str, ...]  # continuous models of finding (i): reference and strength variants
    seeds: dict[tuple[str, str], int]  # (dataset, architecture) -> planned runs
    # dataset -> (factors per latent, VAE runs, beta-VAE runs) per latent size of a sweep
    sweeps: dict[str, tuple[tuple[float, int, int], ...]] = field(default_factory=dict)

    def runs(self, dataset: str, architecture: str) -> int:
        return self.seeds.get((dataset, architecture), 0)


@dataclass(frozen=True)
class FindingPower:
    """One finding's calculator row."""

    finding: str
    null_supported: float
    null_contradicted: float
    worst_null: str
    effect: str
    smallest_effect: float
    power: float
    note: str = ""


def _varying_factors(spec) -> int:
    """Factors with two or more values on the dataset's (subsampled) grid."""
    return sum(
        len(range(0, size, int(spec.subsample.get(name, 1)))) > 1
        for name, size in spec.factors.items()
    )


def _sweeps(study: Study, seeds: dict[tuple[str, str], int]) -> dict:
    """Per dataset, the latent sizes with both families' runs, as (ratio, VAE, beta-VAE)."""
    sweeps = {}
    for dataset, spec in study.datasets.items():
        if dataset in capacity.ATTRIBUTE_DATASETS:
            continue
        sizes: dict[int, dict[str, int]] = {}
        for name, arch in study.architectures.items():
            if arch.family in (capacity.BASELINE, capacity.TREATED) and not arch.strength_of:
                latents = study.model_settings(name)["n_latents"]
                cell = sizes.setdefault(latents, {})
                cell[arch.family] = cell.get(arch.family, 0) + seeds.get((dataset, name), 0)
        levels = tuple(
            (_varying_factors(spec) / latents, cell[capacity.BASELINE], cell[capacity.TREATED])
            for latents, cell in sorted(sizes.items())
            if min(cell.get(capacity.BASELINE, 0), cell.get(capacity.TREATED, 0)) >= 2
        )
        if len(levels) >= capacity.MIN_LEVELS:
            sweeps[dataset] = levels
    return sweeps


def layout(study: Study) -> Layout:
    """The planned layout of ``study``; raises ValueError when it plans no run."""
    if not study.runs:
        raise ValueError(f"study '{study.name}' plans no run of the project's architectures")
    seeds: dict[tuple[str, str], int] = {}
    for dataset, arch, _ in study.runs:
        seeds[(dataset, arch)] = seeds.get((dataset, arch), 0) + 1
    specs = study.architectures
    reference = tuple(n for n, a in specs.items() if a.family == n and not a.strength_of)
    discrete_ = frozenset(n for n, a in specs.items() if a.objective in DISCRETE_OBJECTIVES)
    population = tuple(n for n, a in specs.items() if a.family == n and n not in discrete_)
    return Layout(
        study.name,
        tuple(study.datasets),
        reference,
        discrete_,
        population,
        seeds,
        _sweeps(study, seeds),
    )


def _rate(words: np.ndarray, word: str) -> float:
    return float(np.mean(words == word))


def _smallest(
    power_at: Callable[[float], float], low: float, high: float, steps: int = 8
) -> tuple[float, float]:
    """The smallest effect in [low, high] with power >= TARGET_POWER (bisection; power rises
    with the effect under common random numbers) and its power; (inf, power at high) when even
    ``high`` falls short."""
    top = power_at(high)
    if top < TARGET_POWER:
        return math.inf, top
    best = (high, top)
    for _ in range(steps):
        middle = (low + high) / 2
        power = power_at(middle)
        if power >= TARGET_POWER:
            high, best = middle, (middle, power)
        else:
            low = middle
    return best


# ----- (iii) no single winner ---------------------------------------------------------------


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


def ranking_power(plan: Layout, assume: Assumptions, progress: Progress) -> list[FindingPower]:
    """(iii): worst false rates over the nulls, smallest alternating-winner gap and one-winner
    gap with 80% power (seed SDs, in DCI; CES without an effect)."""
    archs, counts = _ranking_cells(plan)
    n_datasets, k = counts.shape
    name = "(iii) no single winner"
    if n_datasets < 2 or k < 2:
        why = "fewer than two datasets or architectures: the finding cannot be tested"
        return [FindingPower(name, math.nan, math.nan, "", "gap", math.nan, math.nan, why)]
    rng = np.random.default_rng(assume.seed)
    rates = {ranking.SUPPORTED: (0.0, ""), ranking.CONTRADICTED: (0.0, "")}
    for shape, (means, sds, wrong) in _ranking_nulls(n_datasets, k).items():
        progress(f"(iii) null: {shape}")
        words = _ranking_words(
            *(_ranking_draws(rng, means, sds, counts, assume.null_draws) for _ in range(2))
        )
        rates[wrong] = max(rates[wrong], (_rate(words, wrong), shape))
    worst = max(rates.values())[1]
    ones = np.ones((n_datasets, k))
    base = np.random.default_rng(assume.seed + 1)
    dci_noise = _ranking_draws(base, np.zeros((n_datasets, k)), ones, counts, assume.draws)
    ces = _ranking_draws(base, np.zeros((n_datasets, k)), ones, counts, assume.draws)
    rows = []
    for effect, word, leaders in (
        ("gap (seed SDs), a different leader on alternate datasets", ranking.SUPPORTED, 2),
        ("gap (seed SDs), one leader on every dataset", ranking.CONTRADICTED, 1),
    ):
        lead = np.zeros((n_datasets, k))
        lead[np.arange(n_datasets), np.arange(n_datasets) % leaders] = 1.0

        def power_at(gap: float, lead=lead, word=word) -> float:
            progress(f"(iii) power at {gap:.2f} seed SDs ({word})")
            return _rate(_ranking_words(dci_noise + gap * lead[..., None], ces), word)

        smallest, power = _smallest(power_at, 0.0, 40.0)
        rows.append(
            FindingPower(
                name + f" ({word})",
                rates[ranking.SUPPORTED][0],
                rates[ranking.CONTRADICTED][0],
                worst,
                effect,
                smallest,
                power,
                f"{k} architectures, {n_datasets} datasets, {int(counts.min())}-"
                f"{int(counts.max())} runs per cell",
            )
        )
    return rows


# ----- (i) trade-off ------------------------------------------------------------------------


def _tradeoff_words(
    x: np.ndarray, y: np.ndarray, arrangements: np.ndarray, exact: bool
) -> np.ndarray:
    """The table's verdict of each draw, in chunks of draws small enough that every draw's
    arranged correlations (draws x arrangements x models) stay within about 100 MB."""
    chunk = max(1, 2_000_000 // arrangements.size)
    words = []
    for start in range(0, len(x), chunk):
        part = slice(start, start + chunk)
        estimate, p, floor = permutation_test(
            x[part], y[part], "spearman", arrangements, exact, "less"
        )
        _, p_opposite, _ = permutation_test(
            x[part], y[part], "spearman", arrangements, exact, "greater"
        )
        words.append(tradeoff.verdict_words(estimate, p, p_opposite, floor))
    return np.concatenate(words)


def _model_means(
    rng: np.random.Generator,
    rho: float,
    counts: np.ndarray,
    noise: float,
    draws: int,
    shared: bool,
    heavy: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """DCI and CES model means (draws, datasets, models): effects with correlation ``rho``
    (shared by every dataset or drawn per dataset; normal or t with 3 df), plus the noise of
    averaging each model's planned seeds; NaN where a model has no run on a dataset."""
    shape = (draws, 1 if shared else counts.shape[0], counts.shape[1])

    def effects() -> np.ndarray:
        return rng.standard_t(3, shape) / np.sqrt(3) if heavy else rng.standard_normal(shape)

    dci = effects()
    ces = rho * dci + np.sqrt(1 - rho**2) * effects()
    spread = noise / np.sqrt(np.maximum(counts, 1))
    full = (draws, *counts.shape)
    dci = dci + spread * rng.standard_normal(full)
    ces = ces + spread * rng.standard_normal(full)
    absent = counts == 0
    return np.where(absent, np.nan, dci), np.where(absent, np.nan, ces)


def tradeoff_power(plan: Layout, assume: Assumptions, progress: Progress) -> list[FindingPower]:
    """(i): false rates with no link (effects per dataset or shared, normal or heavy-tailed) and
    the smallest negative rho across models found 'supported' in 80% of draws, with the models'
    effects shared by every dataset: each dataset then repeats one order of the models (an
    architecture disentangled on one dataset is so on the others), the case in which more
    datasets add the least, so the power is not flattered by datasets that vary independently."""
    counts = np.array([[plan.runs(d, m) for m in plan.population] for d in plan.datasets])
    keep = counts.sum(axis=0) > 0
    counts = counts[:, keep]
    name = "(i) CES–DCI trade-off"
    note = f"{counts.shape[1]} continuous models on {counts.shape[0]} dataset(s)"
    if counts.shape[1] < 3:
        why = note + ": fewer than 3 models, no correlation to test"
        return [FindingPower(name, math.nan, math.nan, "", "rho", math.nan, math.nan, why)]
    rng = np.random.default_rng(assume.seed)
    arrangements, exact = label_permutations(counts > 0, 2000, rng)
    rates = {"supported": (0.0, ""), "contradicted": (0.0, "")}
    for shared in (False, True):
        for heavy in (False, True):
            shape = (
                f"effects {'shared by' if shared else 'drawn per'} dataset"
                f"{', heavy-tailed (t, 3 df)' if heavy else ''}"
            )
            progress(f"(i) null: {shape}")
            means = _model_means(
                rng, 0.0, counts, assume.model_noise, assume.null_draws, shared, heavy
            )
            words = _tradeoff_words(*means, arrangements, exact)
            for word in rates:
                rates[word] = max(rates[word], (_rate(words, word), shape))
    base_seed = assume.seed + 1

    def power_at(strength: float) -> float:
        progress(f"(i) power at rho = {-strength:.2f}")
        rng = np.random.default_rng(base_seed)
        means = _model_means(rng, -strength, counts, assume.model_noise, assume.draws, True, False)
        return _rate(_tradeoff_words(*means, arrangements, exact), "supported")

    smallest, power = _smallest(power_at, 0.0, 0.99)
    return [
        FindingPower(
            name,
            rates["supported"][0],
            rates["contradicted"][0],
            max(rates.values())[1],
            "rho across models (negative, as declared)",
            -smallest,
            power,
            note + f", {'all' if exact else len(arrangements)} arrangements",
        )
    ]


# ----- (ii) capacity bottleneck -------------------------------------------------------------


# The simulated sweeps' DCI: a median of 0.3 and a seed SD of log DCI of 0.1 (a 10% coefficient
# of variation), far enough above capacity.LOG_FLOOR that the floor never binds in a search.
SWEEP_MEDIAN, SWEEP_LOG_SD = 0.3, 0.1


def _slope_words(
    rng: np.random.Generator,
    levels: tuple[tuple[float, int, int], ...],
    slope: float,
    sds: tuple[np.ndarray, np.ndarray],
    draws: int,
) -> np.ndarray:
    """Verdicts of ``draws`` sweeps: DCI seeds of each family at each level, lognormal around
    SWEEP_MEDIAN with a seed SD of log DCI of SWEEP_LOG_SD times ``sds`` (treated, baseline),
    beta-VAE's log ratio falling by ``slope`` seed SDs per unit of the ratio."""
    ratios = np.array([level[0] for level in levels])
    cells = []
    for family, column, shift in ((capacity.TREATED, 2, slope), (capacity.BASELINE, 1, 0.0)):
        sd = sds[0] if family == capacity.TREATED else sds[1]
        logs = [
            math.log(SWEEP_MEDIAN)
            + SWEEP_LOG_SD * (shift * ratio + s * rng.standard_normal((draws, level[column])))
            for ratio, s, level in zip(ratios, sd, levels, strict=True)
        ]
        dci = [np.exp(values) for values in logs]
        logged = [capacity.log_dci(values) for values in dci]
        cells.append(
            (
                np.stack([v.mean(axis=-1) for v in logged], axis=-1),
                np.stack([v.var(axis=-1, ddof=1) for v in logged], axis=-1),
                np.array([level[column] for level in levels], dtype=float),
            )
        )
    weights = capacity.trend_weights(ratios, np.zeros(len(ratios)))
    test = capacity.gap_slope(weights, cells[0], cells[1])
    return capacity.trend_verdicts(test.ci_low, test.ci_high)


def capacity_power(plan: Layout, assume: Assumptions, progress: Progress) -> list[FindingPower]:
    """(ii): per swept dataset, false rates with no trend (equal seed SDs, or one cell at the
    highest ratio 10x as noisy: the skewed, noisy cell of raw DCI) and the smallest falling slope
    of log(beta-VAE / VAE DCI), in seed SDs of log DCI per unit of factors/latent."""
    name = "(ii) β-VAE capacity bottleneck"
    if not plan.sweeps:
        why = (
            "no dataset has VAE and beta-VAE at 3 or more latent sizes with 2+ runs each: "
            "without a sweep the finding is always inconclusive"
        )
        return [FindingPower(name, math.nan, math.nan, "", "slope", math.nan, math.nan, why)]
    rows = []
    for dataset, levels in plan.sweeps.items():
        rng = np.random.default_rng(assume.seed)
        n = len(levels)
        shapes = {"equal seed SDs": (np.ones(n), np.ones(n))}
        for family in ("VAE", "β-VAE"):
            noisy = np.r_[np.ones(n - 1), 10.0]
            pair = (np.ones(n), noisy) if family == "VAE" else (noisy, np.ones(n))
            shapes[f"{family} 10x as noisy at the highest ratio"] = pair
        rates = {"supported": (0.0, ""), "contradicted": (0.0, "")}
        for shape, sds in shapes.items():
            progress(f"(ii) {dataset} null: {shape}")
            words = _slope_words(rng, levels, 0.0, sds, assume.null_draws)
            for word in rates:
                rates[word] = max(rates[word], (_rate(words, word), shape))

        def power_at(strength: float, levels=levels, n=n, dataset=dataset) -> float:
            progress(f"(ii) {dataset} power at slope {-strength:.2f}")
            rng = np.random.default_rng(assume.seed + 1)
            ones = (np.ones(n), np.ones(n))
            return _rate(_slope_words(rng, levels, -strength, ones, assume.draws), "supported")

        smallest, power = _smallest(power_at, 0.0, 20.0)
        ratios = ", ".join(f"{level[0]:.2g}" for level in levels)
        rows.append(
            FindingPower(
                f"{name}, {dataset}",
                rates["supported"][0],
                rates["contradicted"][0],
                max(rates.values())[1],
                "slope of log DCI ratio per unit factors/latent (seed SDs of log DCI)",
                -smallest,
                power,
                f"factors/latent {ratios}; runs per cell "
                f"{min(min(lv[1:]) for lv in levels)}-{max(max(lv[1:]) for lv in levels)}",
            )
        )
    return rows


# ----- (iv) discrete limitation -------------------------------------------------------------


def _discrete_words(
    rng: np.random.Generator,
    plan: Layout,
    log_ratio: float,
    assume: Assumptions,
    vq_sd: float,
    draws: int,
) -> np.ndarray:
    """Verdicts of ``draws`` studies with log(VQ-VAE CES / the others') = ``log_ratio`` on every
    dataset."""
    p_below, p_above = [], []
    continuous = [a for a in plan.reference if a not in plan.discrete]
    for dataset in plan.datasets:
        vq = max((plan.runs(dataset, a) for a in plan.discrete), default=0)
        k = sum(plan.runs(dataset, a) > 0 for a in continuous)
        if vq < 2 or k < 2:
            continue
        others = assume.others_log_sd * rng.standard_normal((draws, k))
        vq_logs = log_ratio + vq_sd * rng.standard_normal((draws, vq))
        below, above = discrete.margin_p_values(vq_logs, others)
        p_below.append(below)
        p_above.append(above)
    if not p_below:
        return np.full(draws, "inconclusive")
    return discrete.decide(np.stack(p_below, axis=-1), np.stack(p_above, axis=-1))


def discrete_power(plan: Layout, assume: Assumptions, progress: Progress) -> list[FindingPower]:
    """(iv): false rates with the ratio at the margin (VQ-VAE seed SD as assumed, or 3x), and the
    largest ratio below the margin found 'supported' / smallest above it found 'contradicted'."""
    name = "(iv) discrete limitation"
    if not plan.discrete:
        why = "no VQ-VAE in the study"
        return [FindingPower(name, math.nan, math.nan, "", "ratio", math.nan, math.nan, why)]
    margin = math.log(discrete.MARGIN)
    rng = np.random.default_rng(assume.seed)
    rates = {"supported": (0.0, ""), "contradicted": (0.0, "")}
    for factor in (1.0, 3.0):
        shape = f"ratio at the margin, VQ-VAE seed SD {factor * assume.vq_log_sd:g}"
        progress(f"(iv) null: {shape}")
        sd = factor * assume.vq_log_sd
        words = _discrete_words(rng, plan, margin, assume, sd, assume.null_draws)
        for word in rates:
            rates[word] = max(rates[word], (_rate(words, word), shape))
    rows = []
    for word, sign in (("supported", -1.0), ("contradicted", 1.0)):

        def power_at(distance: float, word=word, sign=sign) -> float:
            ratio = discrete.MARGIN * math.exp(sign * distance)
            progress(f"(iv) power at ratio {ratio:.3g} ({word})")
            rng = np.random.default_rng(assume.seed + 1)
            log_ratio = margin + sign * distance
            words = _discrete_words(rng, plan, log_ratio, assume, assume.vq_log_sd, assume.draws)
            return _rate(words, word)

        distance, power = _smallest(power_at, 0.0, 6.0)
        rows.append(
            FindingPower(
                f"{name} ({word})",
                rates["supported"][0],
                rates["contradicted"][0],
                max(rates.values())[1],
                f"ratio {'below' if sign < 0 else 'above'} the {discrete.MARGIN:g} margin",
                discrete.MARGIN * math.exp(sign * distance),
                power,
                f"VQ-VAE log-CES seed SD {assume.vq_log_sd:g}, other architectures' "
                f"{assume.others_log_sd:g}",
            )
        )
    return rows


CALCULATORS = (tradeoff_power, capacity_power, ranking_power, discrete_power)
SEARCH_STEPS = 9  # power at the top of the range, then 8 bisection steps


def expected_steps(plan: Layout) -> int:
    """How many progress messages ``design_table`` sends at most (for a progress bar)."""
    k = len(plan.reference)
    ranking_steps = (14 + 2 * SEARCH_STEPS) if len(plan.datasets) >= 2 and k >= 2 else 0
    tradeoff_steps = 4 + SEARCH_STEPS
    capacity_steps = len(plan.sweeps) * (3 + SEARCH_STEPS)
    discrete_steps = (2 + 2 * SEARCH_STEPS) if plan.discrete else 0
    return ranking_steps + tradeoff_steps + capacity_steps + discrete_steps


def design_table(
    plan: Layout, assume: Assumptions = Assumptions(), progress: Progress = lambda _: None
) -> list[FindingPower]:
    """Every finding's calculator rows for ``plan``."""
    return [row for calculator in CALCULATORS for row in calculator(plan, assume, progress)]
