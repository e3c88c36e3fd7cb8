"""Whole-batch gathering from a prepared dataset, without per-item Python.

Training draws random batches from the whole dataset for hours, so there the dataset is made
*resident*: copied once, as uint8 (64 x 64 x C bytes an image), into the memory of the device
(the GPU's, or the process's on a CPU), and each batch is one gather there. The copy is made in
chunks, so a GPU run never holds the dataset in host memory as well. Stages that read a few
thousand images (activation caching, interventions, figures) gather each batch straight from the
memory-mapped file instead, so their memory stays small whatever the dataset's size. Pixels become
float in [0, 1] only for the batch in use.
"""

from __future__ import annotations

import numpy as np
import torch

UPLOAD_CHUNK = 8192  # images per copy into resident memory (~100 MB for 3 channels)


def resident_copy(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """(N, 64, 64, C) images as a (N, C, 64, 64) uint8 tensor on ``device``, copied chunk by
    chunk."""
    n, height, width, channels = images.shape
    out = torch.empty((n, channels, height, width), dtype=torch.uint8, device=device)
    for start in range(0, n, UPLOAD_CHUNK):
        part = torch.from_numpy(np.array(images[start : start + UPLOAD_CHUNK]))
        out[start : start + len(part)] = part.to(device).permute(0, 3, 1, 2)
    return out


class BatchGatherer:
    """Gathers image batches by index, as float (B, C, 64, 64) tensors on ``device``, from a
    resident copy of ``images`` or, with ``resident=False``, from ``images`` itself."""

    def __init__(self, images: np.ndarray, device: torch.device, resident: bool = True) -> None:
        self.device = device
        self._file = images
        self._resident = resident_copy(images, device) if resident else None

    def __len__(self) -> int:
        return self._file.shape[0]

    def gather(self, indices: torch.Tensor | np.ndarray) -> torch.Tensor:
        if self._resident is None:
            rows = torch.as_tensor(indices, dtype=torch.long).cpu().numpy()
            batch = torch.from_numpy(self._file[rows]).to(self.device).permute(0, 3, 1, 2)
        else:
            index = torch.as_tensor(indices, dtype=torch.long, device=self.device)
            batch = self._resident.index_select(0, index)
        # Cast, then scale in place: faster on the CPU than a type-promoting divide.
        return batch.to(torch.float32).mul_(1.0 / 255.0)
