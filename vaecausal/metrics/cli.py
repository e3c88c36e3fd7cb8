"""``vaecausal-metrics``: the standard disentanglement metrics of saved codes, as JSON.

    vaecausal-metrics --codes codes.npy --factors factors.npy [--metric dci mig ...]
        [--seed S] [--jobs J] [--dci-booster reference|fast] [--n-train N] [--n-test N] ...

Reads codes (N, d) and integer factor indices (N, K) from .npy files, computes the chosen
metrics (default: all) with ``suite.standard_metrics`` and prints one JSON object with the
values, the settings (sample counts), the seed and the factors dropped as constant, so a number
on its own can always be traced back to how it was measured. One option per field of
``MetricSettings``, generated from it, keeps the command line and the settings in step.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vaecausal.metrics.common import check_inputs, constant_factors
from vaecausal.metrics.dci import BOOSTERS
from vaecausal.metrics.suite import METRICS, MetricSettings, standard_metrics


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaecausal-metrics",
        description="Standard disentanglement metrics of saved codes, printed as JSON.",
    )
    parser.add_argument("--codes", type=Path, required=True, help="codes, .npy of shape (N, d)")
    parser.add_argument(
        "--factors", type=Path, required=True, help="factor indices, .npy of shape (N, K)"
    )
    parser.add_argument(
        "--metric", nargs="+", choices=list(METRICS), default=list(METRICS), help="default: all"
    )
    parser.add_argument("--seed", type=int, default=0, help="default: %(default)s")
    parser.add_argument("--jobs", type=int, default=1, help="parallel per-factor fits (default: 1)")
    default = "default: %(default)s"
    for field in dataclasses.fields(MetricSettings):
        flag = "--" + field.name.replace("_", "-")
        if field.name == "dci_booster":
            parser.add_argument(flag, choices=BOOSTERS, default=field.default, help=default)
        else:
            parser.add_argument(flag, type=type(field.default), default=field.default, help=default)
    return parser


def _load(parser: argparse.ArgumentParser, flag: str, path: Path) -> np.ndarray:
    if not path.is_file():
        parser.error(f"{flag} {path}: no such file")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        parser.error(f"{flag} {path}: not a readable .npy array ({error})")


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = MetricSettings(
        **{f.name: getattr(args, f.name) for f in dataclasses.fields(MetricSettings)}
    )
    codes = _load(parser, "--codes", args.codes)
    factors = _load(parser, "--factors", args.factors)
    try:
        codes, factors = check_inputs(codes, factors)
    except ValueError as error:
        parser.error(f"--codes {args.codes} / --factors {args.factors}: {error}")
    try:
        values = standard_metrics(codes, factors, settings, args.seed, args.jobs, args.metric)
    except ValueError as error:
        parser.error(str(error))
    report = {
        "metrics": values,
        "seed": args.seed,
        "n_codes": int(codes.shape[0]),
        "settings": dataclasses.asdict(settings),
        "constant_factors": constant_factors(factors),
    }
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
