"""Finding (iii), no single winner: which architecture tops each dataset, by DCI and by CES.

Architectures are ranked per dataset by their mean over seeds (1 = highest). A top place is only
called clear when its margin over the runner-up exceeds both of their seed standard deviations;
with three seeds a closer margin is within run-to-run noise. Architectures with equal means share
a top place (``tied_top``): none of them tops that dataset alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaecausal.analysis.findings.text import number, verdict

RANK_METRICS = {"dci_disentanglement": "DCI disentanglement", "ces": "CES"}
RANK_COLUMNS = [
    "metric",
    "dataset",
    "dataset_label",
    "architecture",
    "mean",
    "std",
    "n_runs",
    "rank",
]
TOP_COLUMNS = [
    "metric",
    "dataset",
    "dataset_label",
    "n_architectures",
    "top",
    "top_mean",
    "top_std",
    "runner_up",
    "runner_up_mean",
    "runner_up_std",
    "margin",
    "clear",
    "tied_top",
    "n_distinct_tops",
    "top_differs_across_datasets",
]


def architecture_ranks(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean, std, run count and rank (1 = highest mean; ties share the best rank) per dataset."""
    frames = []
    for metric in RANK_METRICS:
        if metric not in runs:
            continue
        scored = runs.dropna(subset=[metric])
        grouped = scored.groupby(["dataset", "architecture"])[metric]
        table = grouped.agg(["mean", "std", "size"]).rename(columns={"size": "n_runs"})
        table = table.reset_index()
        table["rank"] = table.groupby("dataset")["mean"].rank(ascending=False, method="min")
        labels = scored.drop_duplicates("dataset").set_index("dataset")["dataset_label"]
        frames.append(table.assign(metric=metric, dataset_label=table["dataset"].map(labels)))
    if not frames:
        return pd.DataFrame(columns=RANK_COLUMNS)
    ranks = pd.concat(frames, ignore_index=True)[RANK_COLUMNS]
    ranks["rank"] = ranks["rank"].astype(int)
    return ranks.sort_values(["metric", "dataset", "rank", "architecture"]).reset_index(drop=True)


def top_architectures(ranks: pd.DataFrame) -> pd.DataFrame:
    """Per metric and dataset: the top architecture, the runner-up and whether the gap is clear."""
    rows = []
    for (metric, dataset), table in ranks.groupby(["metric", "dataset"], sort=True):
        ordered = table.sort_values(["rank", "architecture"])
        top = ordered.iloc[0]
        second = ordered.iloc[1] if len(ordered) > 1 else None
        row = {
            "metric": metric,
            "dataset": dataset,
            "dataset_label": top["dataset_label"],
            "n_architectures": len(ordered),
            "top": top["architecture"],
            "top_mean": top["mean"],
            "top_std": top["std"],
            "clear": False,
            "tied_top": None,
        }
        sharing = ordered.loc[ordered["rank"] == 1, "architecture"].tolist()
        if len(sharing) > 1:
            row["tied_top"] = ", ".join(sharing)
        if second is not None:
            margin = top["mean"] - second["mean"]
            row |= {
                "runner_up": second["architecture"],
                "runner_up_mean": second["mean"],
                "runner_up_std": second["std"],
                "margin": margin,
                # NaN (a single seed) propagates and makes the comparison False: not clear.
                "clear": bool(margin > np.maximum(top["std"], second["std"])),
            }
        rows.append(row)
    top = pd.DataFrame(rows, columns=TOP_COLUMNS)
    # Per metric: how many architectures take or share a top place, and whether no architecture
    # is on top of every dataset (left empty with a single dataset, where the question has no
    # answer).
    top["n_distinct_tops"] = 0
    top["top_differs_across_datasets"] = pd.Series(None, index=top.index, dtype=object)
    for _, table in top.groupby("metric"):
        tops = [_top_set(row) for _, row in table.iterrows()]
        top.loc[table.index, "n_distinct_tops"] = len(set().union(*tops))
        if len(tops) > 1:
            top.loc[table.index, "top_differs_across_datasets"] = not set.intersection(*tops)
    return top


def _top_set(row: pd.Series) -> set[str]:
    """The architectures on top of one dataset: the top one, or all that share the place."""
    return {row["top"]} if pd.isna(row["tied_top"]) else set(row["tied_top"].split(", "))


def _top_sets(top: pd.DataFrame) -> dict[str, list[set[str]]]:
    """Per metric, each dataset's set of top architectures, in dataset order."""
    return {
        metric: [_top_set(row) for _, row in table.iterrows()]
        for metric, table in top.groupby("metric")
    }


def winners_by_metric(top: pd.DataFrame) -> dict[str, list[str]]:
    """The distinct architectures that take or share a top place, per metric, in dataset
    order."""
    return {
        metric: list(dict.fromkeys(a for tops in sets for a in sorted(tops)))
        for metric, sets in _top_sets(top).items()
    }


def _top_name(row: pd.Series) -> str:
    """The top architecture, or the ones sharing the top place."""
    return row["top"] if pd.isna(row["tied_top"]) else f"a tie of {row['tied_top']}"


def _top_text(row: pd.Series) -> str:
    if not pd.isna(row["tied_top"]):
        return f"{row['dataset_label']}: {_top_name(row)} ({number(row['top_mean'])})"
    if pd.isna(row["runner_up"]):
        return f"{row['dataset_label']}: {row['top']} (the only architecture)"
    if pd.isna(row["top_std"]) or pd.isna(row["runner_up_std"]):
        closeness = "seed spread unknown (a single run)"
    else:
        closeness = "clear" if row["clear"] else "within seed noise"
    return (
        f"{row['dataset_label']}: {row['top']} ({number(row['top_mean'])}), ahead of "
        f"{row['runner_up']} by {number(row['margin'])}, {closeness}"
    )


def _cross_dataset_verdict(
    top: pd.DataFrame, winners: dict[str, list[str]], n_datasets: int
) -> str:
    """The verdict when at least two datasets are ranked."""
    clear = f"{int(top['clear'].sum())} of {len(top)} top places are clear of seed noise."
    if top["tied_top"].notna().all():
        return verdict(
            "insufficient data",
            f"every top place is shared by architectures with equal means; {clear}",
        )
    sets = _top_sets(top)
    common = {m: set.intersection(*tops) for m, tops in sets.items()}
    tied = [RANK_METRICS[m] for m, tops in sets.items() if any(len(t) > 1 for t in tops)]
    single = {m: w[0] for m, w in winners.items() if len(w) == 1}
    if len(single) == len(winners) and len(set(single.values())) == 1:
        (architecture,) = set(single.values())
        scope = " and ".join(RANK_METRICS[m] for m in winners)
        if len(winners) < len(RANK_METRICS):
            return verdict(
                "not supported",
                f"{architecture} is on top on all {n_datasets} datasets by {scope}, the only "
                f"ranked metric; {clear}",
            )
        return verdict(
            "contradicted",
            f"{architecture} is on top on all {n_datasets} datasets by {scope}; {clear}",
        )
    changes = [RANK_METRICS[m] for m, c in common.items() if not c]
    if changes:
        how = (
            f"the top place changes across the {n_datasets} datasets by {' and by '.join(changes)}"
        )
        if tied:
            how += f" (some top places are shared, equal means, by {' and by '.join(tied)})"
        return verdict("supported", f"no architecture is on top everywhere: {how}; {clear}")
    if tied:
        return verdict(
            "insufficient data",
            f"by {' and by '.join(tied)} an architecture is on top of every dataset or shares "
            f"the top place; exact ties (equal means) leave open whether one architecture wins "
            f"everywhere; {clear}",
        )
    return verdict(
        "supported",
        "no architecture is on top everywhere: each metric has one winner on every dataset, but "
        "not the same one ("
        + ", ".join(f"{RANK_METRICS[m]}: {a}" for m, a in single.items())
        + f"); {clear}",
    )


def describe(top: pd.DataFrame) -> list[str]:
    """Plain-words verdict: contradicted only if one architecture alone tops every dataset by DCI
    and by CES; supported when no architecture is on top of every dataset, or when each metric
    has another sole winner; insufficient data when only exact ties stand between an
    architecture and the top of every dataset. With how many top places are clear of noise."""
    if top.empty:
        return [verdict("insufficient data", "no run reports DCI disentanglement or CES.")]
    winners = winners_by_metric(top)
    n_datasets = top["dataset"].nunique()
    lines = []
    if n_datasets < 2:
        tops = " and ".join(
            f"{_top_name(row)} by {RANK_METRICS[row['metric']]}" for _, row in top.iterrows()
        )
        same = len(set(top["top"])) == 1 and len(top) > 1 and top["tied_top"].isna().all()
        lines.append(
            verdict(
                "insufficient data",
                "one dataset, so whether the top architecture changes across datasets is "
                f"untested. On it the top architecture is {tops}"
                + (" (the same by both)." if same else "."),
            )
        )
    else:
        lines.append(_cross_dataset_verdict(top, winners, n_datasets))
    for metric, label in RANK_METRICS.items():
        rows = top[top["metric"] == metric]
        if rows.empty:
            lines.append(f"- {label}: no run reports it.")
            continue
        distinct = winners[metric]
        lines.append(
            f"- {label}: {len(distinct)} distinct top architecture(s) over {len(rows)} dataset(s)."
        )
        lines.extend(f"  - {_top_text(row)}" for _, row in rows.iterrows())
    return lines
