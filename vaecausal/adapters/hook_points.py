"""Choosing a foreign model's hook points by name or pattern, and checking them on a probe pass.

A hook point must be a submodule that runs exactly once per encoding (or decoding) and outputs a
tensor: patching replaces that one output. Patterns are shell-style over the dotted submodule
names, one level at a time: ``*`` matches within one name (``encoder.*`` is ``encoder.conv1``, not
``encoder.conv1.norm``), ``**`` any number of levels (``encoder.**``), ``?`` one character,
``[...]`` a character class. The hook points are returned in the order they run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import torch
from torch import nn


def leaf_layers(module: nn.Module) -> list[str]:
    """The default hook points: every submodule that holds parameters of its own (convolutions,
    linear layers, norms), the layers whose units the study's analyses are about."""
    return [
        name
        for name, sub in module.named_modules()
        if name and any(True for _ in sub.parameters(recurse=False))
    ]


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of a hook point pattern (see the module's docstring): ``**`` any
    run of characters, ``*`` and ``?`` never a dot, ``[...]`` kept as a class."""
    parts, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif pattern[i] == "*":
            parts.append("[^.]*")
            i += 1
        elif pattern[i] == "?":
            parts.append("[^.]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            parts.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            parts.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(parts))


def match_hook_points(root: nn.Module, patterns: Sequence[str], side: str) -> list[str]:
    """Names of ``root``'s submodules matching any of ``patterns``; a pattern that matches
    nothing is refused, naming the submodules there are."""
    names = [name for name, _ in root.named_modules() if name]
    chosen: list[str] = []
    for pattern in patterns:
        regex = pattern_regex(pattern)
        matched = [name for name in names if regex.fullmatch(name)]
        if not matched:
            shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
            raise ValueError(
                f"{side} hook point '{pattern}' matches no submodule of "
                f"{type(root).__name__}; its submodules are: {shown}"
            )
        chosen += [name for name in matched if name not in chosen]
    return chosen


def recorded_calls(
    root: nn.Module, names: Sequence[str], run: Callable[[], object]
) -> tuple[list[str], dict[str, list[object]]]:
    """During ``run()``, the named submodules in the order they start (a name per start) and
    each one's outputs."""
    started: list[str] = []
    outputs: dict[str, list[object]] = {name: [] for name in names}
    handles = []
    for name in names:
        module = root.get_submodule(name)
        handles.append(module.register_forward_pre_hook(lambda *_a, n=name: started.append(n)))
        handles.append(
            module.register_forward_hook(lambda _m, _i, out, n=name: outputs[n].append(out))
        )
    try:
        run()
    finally:
        for handle in handles:
            handle.remove()
    return started, outputs


def order_of_calls(
    root: nn.Module, names: Sequence[str], run: Callable[[], object], side: str
) -> tuple[str, ...]:
    """``names`` in the order their submodules start running during ``run()``; refuses a hook
    point that does not run, runs more than once or outputs something other than a tensor."""
    started, outputs = recorded_calls(root, names, run)
    for name, seen in outputs.items():
        if len(seen) != 1:
            raise ValueError(
                f"{side} hook point '{name}' runs {len(seen)} times per {side} pass; a hook point "
                "must run exactly once (choose a layer, not a module shared by several)"
            )
        if not isinstance(seen[0], torch.Tensor):
            raise ValueError(
                f"{side} hook point '{name}' outputs {type(seen[0]).__name__}, not a tensor"
            )
    return tuple(sorted(names, key=started.index))


def output_units(output: torch.Tensor) -> int:
    """Units of a hook point's output (B, ...): channels of a map, features of a vector."""
    return int(output.shape[1]) if output.dim() > 1 else 1


def candidate_hook_points(
    root: nn.Module, run: Callable[[], object]
) -> list[tuple[str, tuple[int, ...], int]]:
    """Every submodule that runs exactly once during ``run()`` and outputs a tensor, in the
    order it runs: (name, output shape per input, units). The hook points a user can choose."""
    names = [name for name, _ in root.named_modules() if name]
    started, outputs = recorded_calls(root, names, run)
    found = []
    for name in dict.fromkeys(started):
        seen = outputs[name]
        if len(seen) == 1 and isinstance(seen[0], torch.Tensor):
            found.append((name, tuple(seen[0].shape[1:]), output_units(seen[0])))
    return found
