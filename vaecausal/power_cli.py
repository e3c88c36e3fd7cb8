"""``vaecausal-power``: size a study before spending GPU-hours on it.

    vaecausal-power --study findings [--config config.yaml] [--draws 1000] [--out power.csv]
        [--at-rho -0.6] [--at-slope -2] [--at-gap 3 5]

For each finding, simulates data at the study's planned layout (its datasets, architectures,
seeds, strength and size variants) through the same verdict functions the tables stage runs, and
prints the worst false-verdict rates over several null shapes and the smallest effect found with
80% power, in the finding's own units (``vaecausal.analysis.power``). An unknown study, or one
that plans no run, stops the command with a non-zero exit and the study's name.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import yaml

from vaecausal.analysis.power import (
    TARGET_POWER,
    Assumptions,
    FindingPower,
    Layout,
    design_table,
    expected_steps,
    gap_power,
    layout,
    rho_power,
    slope_power,
)
from vaecausal.config import ConfigError, load_study


def _parser() -> argparse.ArgumentParser:
    defaults = Assumptions()
    parser = argparse.ArgumentParser(
        prog="vaecausal-power",
        description="False-verdict rates and detectable effects of a study's findings, by "
        "simulation at its planned layout.",
    )
    parser.add_argument("--study", required=True, help="a study of the configuration")
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    parser.add_argument("--draws", type=int, default=defaults.draws, help="per simulated rate")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--model-noise",
        type=float,
        default=defaults.model_noise,
        help="(i) a model's seed SD over the spread of the models' true values",
    )
    parser.add_argument(
        "--vq-log-sd", type=float, default=defaults.vq_log_sd, help="(iv) VQ-VAE log-CES seed SD"
    )
    parser.add_argument(
        "--others-log-sd",
        type=float,
        default=defaults.others_log_sd,
        help="(iv) SD of the other architectures' mean log CES",
    )
    parser.add_argument("--out", type=Path, help="also write the table as CSV")
    at = parser.add_argument_group("power at given effects (e.g. those a previous run measured)")
    at.add_argument("--at-rho", type=float, nargs="*", default=[], help="(i) rho across models")
    at.add_argument(
        "--at-slope",
        type=float,
        nargs="*",
        default=[],
        help="(ii) slope of log DCI ratio per unit factors/latent, in seed SDs of log DCI",
    )
    at.add_argument("--at-gap", type=float, nargs="*", default=[], help="(iii) gap in seed SDs")
    return parser


def power_at_given(plan: Layout, assume: Assumptions, args: argparse.Namespace) -> list[str]:
    """One line per effect asked for with --at-*: the power of the finding's verdict there."""
    lines = []
    for rho in args.at_rho:
        shared = rho_power(plan, assume, rho, shared=True)
        apart = rho_power(plan, assume, rho, shared=False)
        lines.append(
            f"- (i) rho = {rho:g} across models: 'supported' in {shared:.0%} of draws with the "
            f"models' effects shared by the datasets, {apart:.0%} with effects drawn per dataset"
        )
    for slope in args.at_slope:
        for dataset in plan.sweeps:
            found = slope_power(plan, assume, dataset, slope)
            lines.append(
                f"- (ii) slope {slope:g} seed SDs on {dataset}: 'supported' in {found:.0%}"
            )
        if not plan.sweeps:
            lines.append(f"- (ii) slope {slope:g}: no sweep in the study, never decided")
    for gap in args.at_gap:
        if len(plan.datasets) < 2:
            lines.append(f"- (iii) gap {gap:g}: one dataset, never decided")
            continue
        supported = gap_power(plan, assume, gap, "supported")
        contradicted = gap_power(plan, assume, gap, "contradicted")
        lines.append(
            f"- (iii) gap {gap:g} seed SDs: 'supported' in {supported:.0%} (two leaders), "
            f"'contradicted' in {contradicted:.0%} (one leader)"
        )
    return lines


class Bar:
    """A one-line progress bar on stderr: share done, elapsed time, the current step."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.start = max(total, 1), 0, time.monotonic()

    def __call__(self, message: str) -> None:
        self.done = min(self.done + 1, self.total)
        filled = round(30 * self.done / self.total)
        elapsed = time.monotonic() - self.start
        line = f"[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} {elapsed:5.0f}s "
        sys.stderr.write("\r" + (line + message)[:110].ljust(110))
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write(f"\rdone in {time.monotonic() - self.start:.0f}s".ljust(111) + "\n")


def _number(value: float, digits: int = 2) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "beyond the search range"
    return f"{value:.{digits}g}"


def table(rows: list[FindingPower], draws: int) -> pd.DataFrame:
    """The calculator's rows as a table for Markdown and CSV."""
    return pd.DataFrame(
        {
            "finding": [r.finding for r in rows],
            "false supported": [_number(r.null_supported) for r in rows],
            "false contradicted": [_number(r.null_contradicted) for r in rows],
            "worst null": [r.worst_null for r in rows],
            f"smallest effect with {TARGET_POWER:.0%} power": [
                f"{_number(r.smallest_effect)} ({r.effect})" for r in rows
            ],
            "power there": [_number(r.power) for r in rows],
            "layout": [r.note for r in rows],
            "draws": draws,
        }
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = yaml.safe_load(args.config.read_text())
        plan = layout(load_study(config, args.study))
    except FileNotFoundError:
        sys.exit(f"vaecausal-power: study '{args.study}': no configuration at {args.config}")
    except (ConfigError, ValueError) as error:
        sys.exit(f"vaecausal-power: study '{args.study}': {error}")
    assume = Assumptions(
        args.model_noise, args.vq_log_sd, args.others_log_sd, args.draws, args.seed
    )
    bar = Bar(expected_steps(plan))
    rows = design_table(plan, assume, bar)
    bar.close()
    result = table(rows, args.draws)
    print(f"# Study '{args.study}': false-verdict rates and power ({args.draws} draws each)\n")
    print(result.drop(columns="draws").to_markdown(index=False))
    given = power_at_given(plan, assume, args)
    if given:
        print("\nPower at the effects given:\n\n" + "\n".join(given))
    if args.out:
        result.to_csv(args.out, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
