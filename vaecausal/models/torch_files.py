"""Writing torch objects (models, checkpoints) as every output is written: under a temporary
name, renamed when complete, a failed write naming the file (``outputs.replacing``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from vaecausal.outputs import replacing


def save_torch(obj: Any, path: Path) -> None:
    """``torch.save(obj)`` to ``path``; torch reports a failed write as a RuntimeError, which is
    named as an ``OutputWriteError`` too."""
    with replacing(path, (OSError, RuntimeError)) as partial:
        torch.save(obj, partial)
