"""What a per-run figure shows when a model has more latents or hook points than a page holds.

A figure with a row per latent draws at most ``MAX_LATENT_ROWS`` of them: every latent while
that many or fewer were analysed (in index order, as always), else the top ones by a ranking the
figure names (largest first), the others summarised by a heatmap in one row of their mean. A
latent whose ranking score is NaN was not analysed (its effect rows are NaN): it is never ranked
nor summarised, and the figure says how many there are instead of drawing them. ``latent_rows``
makes that choice for every such figure; ``top_in_order`` makes the one for hook points.

No figure is drawn larger than ``MAX_INCHES`` on a side, and ``style.save_figure`` caps the PNG
at ``MAX_PIXELS`` on a side whatever the labels add.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

MAX_LATENT_ROWS = 20
MAX_HOOK_POINTS = 8
MAX_PIXELS = 4000
# at the style's 150 dpi 3,600 px: room under MAX_PIXELS for titles and labels outside the axes
MAX_INCHES = 24.0
# latents named one by one when some were not analysed; more are counted
_NAMED = 8


@dataclass(frozen=True)
class LatentRows:
    """The latents a figure draws one per row (``shown``, in the order drawn), the analysed ones
    it leaves out (``rest``, ascending) and those not analysed, of ``n_latents``; ``ranking``
    names the score the top ones were chosen by."""

    n_latents: int
    shown: np.ndarray
    rest: np.ndarray
    not_analysed: np.ndarray
    ranking: str

    @property
    def summarised(self) -> bool:
        """Whether some analysed latents are left out (the shown ones are then a top-k)."""
        return len(self.rest) > 0

    @property
    def summary_label(self) -> str:
        return f"other {len(self.rest)}: mean"

    def labels(self) -> list[str]:
        """A heatmap's row labels: the shown latents, then the summary row's, if any."""
        return [f"z{i}" for i in self.shown] + ([self.summary_label] if self.summarised else [])

    def rows(self, matrix: np.ndarray) -> np.ndarray:
        """``matrix`` (d, ...) as a heatmap draws it: the shown latents' rows, then the mean of
        the rest's (NaN entries ignored) when some are left out."""
        matrix = np.asarray(matrix, dtype=float)
        shown = matrix[self.shown]
        if not self.summarised:
            return shown
        with warnings.catch_warnings():  # a column NaN in every other latent stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            summary = np.nanmean(matrix[self.rest], axis=0)
        return np.concatenate([shown, summary[None]])

    def axis_label(self) -> str:
        """The latent axis' label: "latent", with the choice when the shown are a top-k."""
        if not self.summarised:
            return "latent"
        return f"latent (top {len(self.shown)} of {self.n_latents} by {self.ranking})"

    def description(self, rest: str = "mean row") -> str:
        """What the figure leaves out, for its title ("" when it draws every latent); ``rest``
        says what became of the analysed latents not drawn."""
        parts = []
        if self.summarised:
            parts.append(
                f"top {len(self.shown)} of {self.n_latents} latents by {self.ranking} "
                f"(largest first); other {len(self.rest)}: {rest}"
            )
        missing = len(self.not_analysed)
        if missing:
            names = (
                f" ({', '.join(f'z{i}' for i in self.not_analysed)})" if missing <= _NAMED else ""
            )
            parts.append(f"{missing} of {self.n_latents} latents not analysed{names}")
        return "; ".join(parts)


def latent_rows(scores: np.ndarray, ranking: str, max_rows: int = MAX_LATENT_ROWS) -> LatentRows:
    """The rows of a figure of the latents scored ``scores`` (d,) by ``ranking`` (NaN: not
    analysed): all analysed latents in index order when at most ``max_rows``, else the
    ``max_rows`` highest scored, highest first (ties by index)."""
    scores = np.asarray(scores, dtype=float)
    missing = np.isnan(scores)
    order = np.flatnonzero(~missing)
    if len(order) > max_rows:
        order = order[np.argsort(-scores[order], kind="stable")]
    empty = np.array([], dtype=int)
    return LatentRows(
        n_latents=len(scores),
        shown=order[:max_rows],
        rest=np.sort(order[max_rows:]) if len(order) > max_rows else empty,
        not_analysed=np.flatnonzero(missing),
        ranking=ranking,
    )


def top_in_order(scores: list[float] | np.ndarray, k: int = MAX_HOOK_POINTS) -> list[int]:
    """Indices of the ``k`` highest ``scores`` (NaN lowest), in their own order: the hook points a
    figure draws, still in the order they run."""
    scores = np.asarray(scores, dtype=float)
    if len(scores) <= k:
        return list(range(len(scores)))
    order = np.argsort(-np.nan_to_num(scores, nan=-np.inf), kind="stable")
    return sorted(int(i) for i in order[:k])


def fit_inches(width: float, height: float) -> tuple[float, float]:
    """A figure size (inches) with neither side above ``MAX_INCHES``."""
    return min(width, MAX_INCHES), min(height, MAX_INCHES)
