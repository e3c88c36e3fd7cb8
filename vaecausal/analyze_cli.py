"""``vaecausal-analyze``: the four manipulations and every metric of a model built outside the
project, written as the pipeline writes a run.

    vaecausal-analyze --factory my_models:build [--weights model.pt]
        (--images images.npy --factors factors.npy | --dataset prepared_dir) --out DIR
        [--categorical shape ...] [--factor-names ...] [--config overrides.yaml] [--name NAME]
        [--max-minutes M] [--latents all|active|top_kl] [--top-k K] [--max-units U]

The factory (``module:function``, importable from the current directory) returns a
``VAEAdapter`` or a module with ``encode`` / ``decode`` methods; the weights are its module's
``state_dict``. A prepared dataset folder brings its factor names, and its name and grid (a
benchmark's look-alike values then count for the oracle). Bad input (a factory that cannot be
imported, hook names that match nothing, a decoder whose images are not the data's, codes of
the wrong width, images and factors of different lengths) stops the command before any work,
with the problem named. Before any manipulation the plan of the work is printed (hook points and
units, latents, image passes, estimated time); a plan estimated over ``--max-minutes`` is refused
(exit status 3) with the settings that shrink it, before the oracle is trained.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from vaecausal.adapters.checks import check_data, check_model_on_data
from vaecausal.adapters.factory import build_model, hook_point_listing
from vaecausal.adapters.protocol import INPUT_SCALES, OUTPUT_RANGES
from vaecausal.config import deep_merge
from vaecausal.data.store import IMAGE_SIZE, StorePaths, read_meta


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text}")
    return value


def _positive_number(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaecausal-analyze",
        description="Causal interventions and metrics of your own VAE, as the pipeline runs them.",
    )
    parser.add_argument("--factory", required=True, help="module:function building the model")
    parser.add_argument("--weights", type=Path, help="state_dict of the factory's module")
    parser.add_argument(
        "--output",
        choices=list(OUTPUT_RANGES),
        default="logits",
        help="what the decoder returns (tanh: images in [-1, 1]; clamped: images on the [-1, 1] "
        "scale that nothing bounds, as diffusers' AutoencoderKL); checked on a probe batch",
    )
    parser.add_argument(
        "--inputs",
        choices=list(INPUT_SCALES),
        default="unit",
        help="what the encoder takes: images in [0, 1] (unit) or scaled to [-1, 1] (signed, as "
        "diffusers' VAEs)",
    )
    parser.add_argument("--images", type=Path, help="images, .npy (N, 64, 64, C) uint8")
    parser.add_argument("--factors", type=Path, help="factor indices, .npy (N, K)")
    parser.add_argument("--dataset", type=Path, help="a prepared dataset folder instead")
    parser.add_argument("--out", type=Path, help="output folder (required unless --list-hooks)")
    parser.add_argument(
        "--list-hooks",
        action="store_true",
        help="list the model's candidate hook points with their units, and stop",
    )
    parser.add_argument("--channels", type=int, default=1, help="image channels for --list-hooks")
    parser.add_argument("--categorical", nargs="*", default=[], help="unordered factors")
    parser.add_argument("--factor-names", nargs="*", help="default: the dataset's or factor<k>")
    parser.add_argument("--config", type=Path, help="YAML of settings over the default study's")
    parser.add_argument("--name", default="model", help="the model's name in tables and figures")
    parser.add_argument(
        "--max-minutes",
        type=_positive_number,
        help="refuse, before the oracle and the manipulations, a plan estimated over this",
    )
    parser.add_argument(
        "--latents",
        choices=["all", "active", "top_kl"],
        help="latents to perturb and patch (interventions.latents.mode; default all)",
    )
    parser.add_argument("--top-k", type=_positive, help="latents kept by --latents top_kl")
    parser.add_argument(
        "--max-units", type=_positive, help="units patched per hook point, a seeded random subset"
    )
    parser.add_argument("--threads", type=int, default=1)
    return parser


def _data(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    if args.dataset is not None:
        if args.images is not None or args.factors is not None:
            parser.error("give --dataset or --images and --factors, not both")
        paths = StorePaths(args.dataset)
        if not paths.meta.is_file():
            parser.error(f"--dataset {args.dataset}: no meta.json (not a prepared dataset)")
        names = args.factor_names or read_meta(args.dataset).factor_names
        return np.load(paths.images, mmap_mode="r"), np.load(paths.factors), names
    if args.images is None or args.factors is None:
        parser.error("give --images and --factors, or --dataset")
    arrays = []
    for flag, path in (("--images", args.images), ("--factors", args.factors)):
        if not path.is_file():
            parser.error(f"{flag} {path}: no such file")
        arrays.append(np.load(path, mmap_mode="r", allow_pickle=False))
    return arrays[0], np.asarray(arrays[1]), args.factor_names


def _scope_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings ``--latents``, ``--top-k`` and ``--max-units`` stand for."""
    latents = {
        key: value
        for key, value in (("mode", args.latents), ("top_k", args.top_k))
        if value is not None
    }
    interventions: dict[str, Any] = {"latents": latents} if latents else {}
    if args.max_units is not None:
        interventions["patching"] = {"max_units": args.max_units}
    return {"interventions": interventions} if interventions else {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())  # factories in the user's working directory
    # torch and the stages, once the arguments are sound
    from vaecausal.api import analyze
    from vaecausal.interventions.plan import OverBudget

    if args.list_hooks:
        shape = (args.channels, IMAGE_SIZE, IMAGE_SIZE)
        try:
            model = build_model(args.factory, args.weights, shape, args.output, args.inputs)
        except ValueError as error:
            parser.error(str(error))
        print("\n".join(hook_point_listing(model, shape)))
        return 0
    if args.out is None:
        parser.error("--out is required (unless --list-hooks)")
    images, factors, names = _data(parser, args)
    if args.top_k is not None and args.latents != "top_kl":
        parser.error("--top-k counts the latents of --latents top_kl; give that too")
    overrides = deep_merge(
        (yaml.safe_load(args.config.read_text()) or {}) if args.config else {},
        _scope_overrides(args),
    )
    images = np.asarray(images)
    try:  # every check before any work; errors later are the analysis's own, with tracebacks
        check_data(images, factors)
        shape = (images.shape[-1], IMAGE_SIZE, IMAGE_SIZE)
        model = build_model(args.factory, args.weights, shape, args.output, args.inputs)
        check_model_on_data(model, images)
    except ValueError as error:
        parser.error(str(error))
    try:
        metrics = analyze(
            model,
            images,
            factors,
            args.out,
            factor_names=names,
            categorical=args.categorical,
            overrides=overrides,
            name=args.name,
            threads=args.threads,
            log=lambda message: print(message, file=sys.stderr),
            max_minutes=args.max_minutes,
            prepared_from=args.dataset,
            inputs=args.inputs,
        )
    except OverBudget as refusal:
        print(f"vaecausal-analyze: {refusal}", file=sys.stderr)
        return 3
    print(f"CES {metrics['ces']}; DCI {metrics['dci_disentanglement']:.3f}; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
