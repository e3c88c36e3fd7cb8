"""Whole-batch gathering from a prepared dataset, without per-item Python.

On a GPU the whole dataset is copied once to device memory as uint8 (64 x 64 x C bytes an image)
and batches are gathered there; on the CPU batches are gathered from the in-memory array by one
fancy-indexing call. Pixels become float in [0, 1] only for the batch in use.
"""

from __future__ import annotations

import numpy as np
import torch


class BatchGatherer:
    """Gathers image batches by index, as float (B, C, 64, 64) tensors on ``device``."""

    def __init__(self, images: np.ndarray, device: torch.device) -> None:
        self.device = device
        # (N, 64, 64, C) -> (N, C, 64, 64) once, copied out of the (read-only) memory map, so
        # each batch is a contiguous gather.
        array = np.moveaxis(images, -1, 1).copy()
        self._images = torch.from_numpy(array).to(device)

    def __len__(self) -> int:
        return self._images.shape[0]

    def gather(self, indices: torch.Tensor | np.ndarray) -> torch.Tensor:
        index = torch.as_tensor(indices, dtype=torch.long, device=self.device)
        # Cast, then scale in place: faster on the CPU than a type-promoting divide.
        return self._images.index_select(0, index).to(torch.float32).mul_(1.0 / 255.0)
