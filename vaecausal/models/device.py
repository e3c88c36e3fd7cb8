"""Where networks run: the GPU when one is present, else the CPU."""

from __future__ import annotations

import torch


def choose_device() -> torch.device:
    """The GPU when one is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
