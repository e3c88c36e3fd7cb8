"""Running a model on from one hook point whose activation is replaced: the step that activation
patching and mediation repeat for every unit.

Two paths give the same outcome:
- the fast path, for this project's networks (``LatentModel``): their encoder and decoder are
  strictly feed-forward chains, so ``HookChain.forward_from`` runs only the layers after the hook
  point;
- the generic path, for any module graph (skip connections, residual blocks, branches): the whole
  model runs on the base inputs with the hook point's output replaced. Everything that finishes
  before the hook point starts does not depend on it, so such submodules return their outputs
  from a recording pass on the base inputs instead of recomputing them for every patched copy;
  the hook point itself returns the given activation. What reads the hook point's output, along
  any path, is recomputed. Without the replay the generic path costs about four times the fast
  path on the project's network (every unit's copy would rerun the layers before the hook point).

A resume maps an activation of the hook point for k copies of the n base inputs, (k * n, ...),
copy-major, to the outcome for each (latents as slots, or images in [0, 1]).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from vaecausal.adapters.protocol import VAEAdapter, as_probabilities, decode_images
from vaecausal.interventions.input_manipulation import as_slots
from vaecausal.models.network import LatentModel

Resume = Callable[[torch.Tensor], torch.Tensor]


def encoder_resume(model: VAEAdapter, name: str, images: torch.Tensor) -> Resume:
    """Encoder hook point ``name``'s activation -> the latents as slots (B, d, e), with
    ``images`` the base inputs."""
    if isinstance(model, LatentModel):
        layer = name.split(".", 1)[1]
        return lambda a: as_slots(model.latents_from_features(model.encoder.forward_from(layer, a)))
    return replaying(model, name, images, lambda x: as_slots(model.encode_latents(x)))


def decoder_resume(model: VAEAdapter, name: str, inputs: torch.Tensor) -> Resume:
    """Decoder hook point ``name``'s activation -> images in [0, 1], with ``inputs`` the base
    decoder inputs."""
    if isinstance(model, LatentModel):
        layer = name.split(".", 1)[1]
        return lambda a: as_probabilities(model, model.decoder.forward_from(layer, a))
    return replaying(model, name, inputs, lambda x: decode_images(model, x))


@dataclass
class _Call:
    """One submodule's call in a recording pass: its place in the order of calls starting and
    ending, and its output (cloned: a later in-place op must not change the recording)."""

    start: int
    end: int = -1
    output: torch.Tensor | None = None
    calls: int = 0


def _record(
    model: VAEAdapter, run: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor
) -> dict[nn.Module, _Call]:
    """Every submodule's call during ``run(inputs)``."""
    calls: dict[nn.Module, _Call] = {}
    clock = iter(range(1 << 62))

    def before(module: nn.Module, _inputs: object) -> None:
        call = calls.setdefault(module, _Call(next(clock)))
        call.calls += 1

    def after(module: nn.Module, _inputs: object, output: object) -> None:
        call = calls[module]
        call.end = next(clock)
        call.output = output.detach().clone() if isinstance(output, torch.Tensor) else None

    modules = list(model.modules())  # type: ignore[attr-defined]
    handles = [m.register_forward_pre_hook(before) for m in modules]
    handles += [m.register_forward_hook(after) for m in modules]
    try:
        run(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return calls


def _finished_before(calls: dict[nn.Module, _Call], target: nn.Module) -> list[nn.Module]:
    """The outermost submodules called once, with a tensor output, that end before ``target``
    starts: their outputs cannot depend on it."""
    start = calls[target].start
    done = sorted(
        (m for m, c in calls.items() if c.calls == 1 and c.output is not None and c.end < start),
        key=lambda m: calls[m].start,
    )
    outermost, last_end = [], -1
    for module in done:
        if calls[module].start > last_end:
            outermost.append(module)
            last_end = calls[module].end
    return outermost


@contextmanager
def _returning(outputs: dict[nn.Module, Callable[[], torch.Tensor]]) -> Iterator[None]:
    """Inside the block, each module's forward returns its given output without computing."""
    for module, output in outputs.items():
        module.forward = lambda *_args, _output=output, **_kwargs: _output()  # type: ignore[method-assign]
    try:
        yield
    finally:
        for module in outputs:
            del module.forward


def replaying(
    model: VAEAdapter,
    name: str,
    inputs: torch.Tensor,
    run: Callable[[torch.Tensor], torch.Tensor],
) -> Resume:
    """The generic resume: ``run`` on ``inputs`` with hook point ``name``'s output replaced."""
    target = model.hook_module(name)
    calls = _record(model, run, inputs)
    if calls.get(target) is None or calls[target].calls != 1:
        raise ValueError(
            f"hook point '{name}' must run exactly once per forward pass to be patched; it ran "
            f"{0 if target not in calls else calls[target].calls} times"
        )
    before = _finished_before(calls, target)

    def resume(activation: torch.Tensor) -> torch.Tensor:
        copies = activation.shape[0] // inputs.shape[0]

        def repeated(tensor: torch.Tensor) -> Callable[[], torch.Tensor]:
            return lambda: tensor.repeat(copies, *([1] * (tensor.dim() - 1)))

        outputs = {m: repeated(calls[m].output) for m in before}  # type: ignore[arg-type]
        outputs[target] = lambda: activation
        with _returning(outputs):
            return run(inputs.repeat(copies, *([1] * (inputs.dim() - 1))))

    return resume
