"""Batches per second of whole-batch gathering versus a per-item PyTorch DataLoader.

The training stage reads images with ``vaecausal.data.loader.BatchGatherer``: the prepared uint8
array is held once in memory (or device memory) and each batch is one ``index_select`` followed by
one conversion to float. The usual alternative is a map-style ``Dataset`` whose ``__getitem__``
converts one image at a time, collated by a ``DataLoader``, which adds Python work per image.
This script measures both on the same synthetic array, written as a memory-mappable ``.npy``
exactly like the common store's ``images.npy``, and checks that both give identical float
(B, C, 64, 64) batches in [0, 1], so the comparison is between two ways of producing the same
tensor.

(a) ``BatchGatherer.gather`` with a random index batch drawn for each call.
(b) ``DataLoader(dataset, batch_size=B, shuffle=True, num_workers=0)`` over a minimal ``Dataset``
    reading the memory map (the page cache holds it, so no disk reads are timed).

Both are warmed up, then timed in alternating repeats of K batches; the table gives the median. With
a GPU, the same two paths are also timed ending in device memory. The last line is the CPU ratio;
the project's target is at least 10x. Torch runs on ``--threads`` CPU threads (default: every
core; the cast to float is what parallelises). On a loaded machine use fewer: with more threads
than idle cores, torch's parallel regions wait for descheduled threads.

    python benchmarks/loader_throughput.py [--images N] [--batch B] [--batches K]
        [--repeats R] [--channels C] [--threads T]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from vaecausal.data.loader import BatchGatherer
from vaecausal.data.store import staged_images

_TARGET_RATIO = 10.0
_WARMUP_BATCHES = 20
_WRITE_CHUNK = 8192  # images generated and written at a time, to bound memory


class ItemDataset(Dataset[torch.Tensor]):
    """The per-item baseline: one image at a time, as (C, 64, 64) float in [0, 1]."""

    def __init__(self, images: np.ndarray) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> torch.Tensor:
        item = torch.from_numpy(np.array(self.images[index]))  # copy out of the read-only map
        return item.permute(2, 0, 1).float().div_(255.0)


def write_synthetic(path: Path, n_images: int, channels: int, seed: int = 0) -> np.ndarray:
    """Random uint8 images (N, 64, 64, C) saved as ``.npy``, reopened as a read-only memory map."""
    rng = np.random.default_rng(seed)
    with staged_images(path, n_images, channels) as images:
        for start in range(0, n_images, _WRITE_CHUNK):
            stop = min(start + _WRITE_CHUNK, n_images)
            images[start:stop] = rng.integers(0, 256, size=(stop - start, *images.shape[1:]))
    return np.load(path, mmap_mode="r")


def _forever(loader: DataLoader[torch.Tensor]) -> Iterator[torch.Tensor]:
    """Batches across epoch ends, so a timed run never stops on an exhausted loader."""
    while True:
        yield from loader


def _rate(step: Callable[[], torch.Tensor], batches: int) -> float:
    """Batches per second of ``step`` over one timed run of ``batches`` calls."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()  # earlier work (a warm-up) is not timed
    start = time.perf_counter()
    for _ in range(batches):
        step()
    if torch.cuda.is_available():
        torch.cuda.synchronize()  # CUDA work is asynchronous: wait for it before stopping
    return batches / (time.perf_counter() - start)


def _check_identical(gatherer: BatchGatherer, dataset: ItemDataset, batch: int) -> None:
    """Both paths give the same float batch (to rounding) for the same indices."""
    indices = np.random.default_rng(1).integers(0, len(dataset), size=batch)
    gathered = gatherer.gather(indices).cpu()
    collated = torch.stack([dataset[int(i)] for i in indices])
    torch.testing.assert_close(gathered, collated, rtol=0, atol=1e-6)


def _paths(
    images: np.ndarray, batch: int, device: torch.device
) -> dict[str, Callable[[], torch.Tensor]]:
    """The two timed paths, each returning one float (B, C, 64, 64) batch on ``device``."""
    gatherer = BatchGatherer(images, device)
    dataset = ItemDataset(images)
    _check_identical(gatherer, dataset, batch)
    loader = DataLoader(dataset, batch_size=batch, shuffle=True, num_workers=0, drop_last=True)
    batches = _forever(loader)
    n = len(gatherer)
    return {
        "gather": lambda: gatherer.gather(torch.randint(n, (batch,), device=device)),
        "DataLoader": lambda: next(batches).to(device),
    }


def _measure(
    images: np.ndarray, batch: int, batches: int, repeats: int, device: torch.device
) -> dict[str, float]:
    """Median batches per second of each path on ``device``.

    Repeats alternate between the paths, so a change in machine load affects both alike.
    """
    paths = _paths(images, batch, device)
    for step in paths.values():
        for _ in range(_WARMUP_BATCHES):
            step()
    rates: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name, step in paths.items():
            rates[name].append(_rate(step, batches))
    return {name: statistics.median(values) for name, values in rates.items()}


def _print_table(results: dict[tuple[str, str], float], batch: int) -> None:
    print(f"{'path':<12} {'device':<8} {'batches/s':>11} {'images/s':>12} {'ms/batch':>9}")
    for (path, device), rate in results.items():
        print(f"{path:<12} {device:<8} {rate:>11.1f} {rate * batch:>12.0f} {1e3 / rate:>9.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=50_000, help="N images (default 50,000)")
    parser.add_argument("--batch", type=int, default=64, help="batch size B (default 64)")
    parser.add_argument("--batches", type=int, default=200, help="K batches per timed repeat")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (median reported)")
    parser.add_argument("--channels", type=int, default=1, choices=(1, 3), help="C (default 1)")
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="torch CPU threads (default: all cores)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    print(
        f"{args.images} images of 64x64x{args.channels} uint8, batch {args.batch}, "
        f"{args.batches} batches x {args.repeats} repeats, torch {torch.__version__}, "
        f"CPU threads: {torch.get_num_threads()}"
    )
    results: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory() as folder:
        images = write_synthetic(Path(folder) / "images.npy", args.images, args.channels)
        for device in devices:
            rates = _measure(images, args.batch, args.batches, args.repeats, device)
            results.update({(path, device.type): rate for path, rate in rates.items()})
        del images  # release the memory map before the folder is removed
    _print_table(results, args.batch)
    if torch.cuda.is_available():
        cuda = results[("gather", "cuda")] / results[("DataLoader", "cuda")]
        print(f"ratio gather/DataLoader on {torch.cuda.get_device_name()}: {cuda:.1f}x")
    ratio = results[("gather", "cpu")] / results[("DataLoader", "cpu")]
    print(f"ratio gather/DataLoader: {ratio:.1f}x (target >= {_TARGET_RATIO:.0f}x)")


if __name__ == "__main__":
    main()
