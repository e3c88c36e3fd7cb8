"""The cost of the manipulations, known before they run: what is analysed (hook points and their
units, latents), how many image passes each manipulation makes through the encoder, the decoder,
the factor oracle and, resumed from each hook point, the rest of the network, and the time that
comes to from each kind of pass timed on a probe batch. ``check_budget`` refuses a plan over a
user's budget and names the settings that shrink it.

Passes per manipulation, with n evaluation codes, m analysed latents (a of them active), V grid
values, K input families, T treatments, I input pairs, P patching pairs, M mediation pairs, U_h
patched units of hook point h, S code swaps:

- latent perturbation: n (G + m V) decoder and oracle passes, G the groups of latents whose
  changes of one code fit a decoder call (1 unless m V + 1 exceeds ``decode_batch``);
- input manipulation: 2 K I encoder passes;
- activation patching: 2 K P encoder and P (1 + a) decoder passes, and K P U_h passes resumed
  from each encoder hook point h, a P U_h from each decoder hook point;
- causal mediation: at most 2 T I encoder passes (the outcome is chosen on the pairs that share
  no image with a measuring one) and T M (2 U_h + 2) resumed from each encoder hook point;
- code swaps (a discrete model): n (1 + d S) decoder and oracle passes.

A resumed pass runs only the layers after its hook point on this project's networks, and on any
other model replays what ran before it; its time is measured per hook point, not assumed. Latent
perturbation does much beside its passes (every decoder unit's change, per bootstrap replicate):
it is timed as it runs on one and on three evaluation codes (a fixed cost and one per code), and
its passes are shown, not timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import torch

from vaecausal.adapters.protocol import VAEAdapter, decode_images, model_device
from vaecausal.interventions.hooks import captured
from vaecausal.interventions.manipulations import MANIPULATIONS
from vaecausal.interventions.oracle import FactorOracle
from vaecausal.interventions.resume import decoder_resume, encoder_resume
from vaecausal.interventions.workload import Design, Workload, split_units

TIMINGS = 3  # timed calls per kind of pass


@dataclass(frozen=True)
class PassSeconds:
    """Seconds per image of one pass through each network and from each hook point, timed on a
    probe batch; and the manipulations timed as they run, per evaluation code."""

    encoder: float
    decoder: float
    oracle: float
    resumed: Mapping[str, float]  # hook point -> a pass resumed from it
    # manipulation -> (fixed seconds, seconds per evaluation code), timed on the manipulation
    per_code: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def of(self, work: Workload) -> float:
        if work.name in self.per_code:
            fixed, per_code = self.per_code[work.name]
            return fixed + work.codes * per_code
        whole = work.encoder * self.encoder + work.decoder * self.decoder
        resumed = sum(count * self.resumed[hook] for hook, count in work.resumed.items())
        return whole + work.oracle * self.oracle + resumed


def workloads(design: Design, settings: Mapping[str, Any]) -> list[Workload]:
    """Image passes of each manipulation of the registry that runs on the ``design``'s model
    (the module's docstring), under ``interventions`` settings: as each entry declares."""
    # the cache stage stores a discrete model's code indices
    return [
        replace(m.workload(design, settings), name=m.name)
        for m in MANIPULATIONS
        if m.workload is not None and m.runs_on(design.discrete, has_codes=design.discrete)
    ]


def _per_image(run: Callable[[], object], images: int, device: torch.device) -> float:
    """Seconds per image of ``run`` (on ``images`` images): the fastest of ``TIMINGS`` calls
    after a warm-up call (the fastest, as other work on the machine only ever slows a call)."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    run()
    sync()
    fastest = float("inf")
    for _ in range(TIMINGS):
        started = time.perf_counter()
        run()
        sync()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest / images


@torch.no_grad()
def time_passes(model: VAEAdapter, probe: torch.Tensor, oracle: FactorOracle) -> PassSeconds:
    """Seconds per image through the encoder, the decoder, ``oracle`` and the rest of the network
    from each hook point, on ``probe`` (a batch of images on the model's device). One hook
    point's resume at a time: a resume that replays a foreign model keeps what it recorded."""
    device = model_device(model)
    inputs = model.decoder_input(model.encode_latents(probe))
    images = decode_images(model, inputs)
    resumed = {}
    for hooks, make, base, run in (
        (model.encoder_hooks, encoder_resume, probe, lambda: model.encode_latents(probe)),
        (model.decoder_hooks, decoder_resume, inputs, lambda: decode_images(model, inputs)),
    ):
        for hook in hooks:
            with captured(model, [hook]) as activations:
                run()
            resumed[hook] = _per_image(
                partial(make(model, hook, base), activations.pop(hook)), len(probe), device
            )  # the resume and what it recorded are dropped before the next hook point's
    return PassSeconds(
        encoder=_per_image(lambda: model.encode_latents(probe), len(probe), device),
        decoder=_per_image(lambda: decode_images(model, inputs), len(probe), device),
        oracle=_per_image(lambda: oracle.probabilities(images), len(probe), device),
        resumed=resumed,
    )


def seconds_per_code(run: Callable[[int], object], codes: int) -> tuple[float, float]:
    """(fixed seconds, seconds per evaluation code) of a manipulation, ``run(k)`` doing it on k
    codes, with what it does beside the passes (effect sums, bootstrap replicates, whose
    read-out is a fixed cost): timed on ``codes`` codes (a decoder call's worth, so that a GPU's
    calls are timed full) and on twice as many, after a warm-up."""
    run(codes)
    seconds = []
    for k in (codes, 2 * codes):
        started = time.perf_counter()
        run(k)
        seconds.append(time.perf_counter() - started)
    per_code = max(0.0, (seconds[1] - seconds[0]) / codes)
    return max(0.0, seconds[0] - codes * per_code), per_code


@dataclass(frozen=True)
class CostPlan:
    """The plan of one model's manipulations, with its time estimate; ``oracle_seconds`` is the
    factor oracle's training at its full step budget where it is still to be trained."""

    design: Design
    work: list[Workload]
    seconds: PassSeconds
    oracle_seconds: float = 0.0

    @property
    def total_seconds(self) -> float:
        return self.oracle_seconds + sum(self.seconds.of(w) for w in self.work)

    def lines(self) -> list[str]:
        """The plan as a user reads it before the work starts."""
        d = self.design
        encoder, decoder = split_units(d)

        def hooks(names: list[str]) -> str:
            return ", ".join(
                f"{h} ({d.patched_units[h]}"
                + (f" of {d.hook_units[h]}" if d.patched_units[h] < d.hook_units[h] else "")
                + " units)"
                for h in names
            )

        lines = [
            "plan of the manipulations (image passes; time from passes timed on a probe batch; "
            "resumed: patched passes from a hook point on):",
            f"  latents analysed: {d.latent_selection}; {d.n_eval} evaluation codes",
            f"  encoder hook points: {hooks(encoder) or 'none'}",
            f"  decoder hook points: {hooks(decoder) or 'none'}",
        ]
        if self.oracle_seconds:
            lines.append(f"  oracle training (full step budget): ~{_duration(self.oracle_seconds)}")
        for w in self.work:
            counts = (
                ("encoder", w.encoder),
                ("decoder", w.decoder),
                ("oracle", w.oracle),
                ("resumed", sum(w.resumed.values())),
            )
            passes = ", ".join(f"{count:,} {net}" for net, count in counts if count)
            timed = " (timed on the manipulation)" if w.name in self.seconds.per_code else ""
            lines.append(f"  {w.name}: {passes} passes, ~{_duration(self.seconds.of(w))}{timed}")
        lines.append(f"  estimated total: ~{_duration(self.total_seconds)}")
        return lines


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


class OverBudget(ValueError):
    """A plan whose estimate exceeds the user's budget."""


def check_budget(plan: CostPlan, max_minutes: float | None) -> None:
    """Refuse ``plan`` when its estimate exceeds ``max_minutes``, naming the costliest
    manipulations and the settings that shrink them."""
    if max_minutes is None or plan.total_seconds <= 60 * max_minutes:
        return
    costly = sorted(plan.work, key=plan.seconds.of, reverse=True)[:2]
    # what shrinks each manipulation, as its entry in the registry declares
    shrinks = {manipulation.name: manipulation.shrinks for manipulation in MANIPULATIONS}
    advice = "; ".join(
        f"{w.name} (~{_duration(plan.seconds.of(w))}): {shrinks[w.name]}" for w in costly
    )
    oracle = " (with the oracle's training at its full step budget)" if plan.oracle_seconds else ""
    raise OverBudget(
        f"the manipulations are estimated at ~{_duration(plan.total_seconds)}{oracle}, over the "
        f"budget of {max_minutes:g} min; the costliest: {advice}"
    )
