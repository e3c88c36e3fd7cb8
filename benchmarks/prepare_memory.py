"""Peak memory of preparing an MPI3D-sized file: the converter must never hold the 12.7 GB.

Writes a synthetic file in the exact layout of the real ``mpi3d_*.npz`` (an uncompressed zip
holding ``images.npy`` of shape (1036800, 64, 64, 3) uint8, as ``np.savez`` writes it), runs the
project's converter on it in a child process, and samples the child's memory from /proc every
20 ms. Reported: peak private (anonymous) memory, which is what the conversion itself needs and
what must stay under 2 GB, beside peak file-backed resident pages (memory-mapped data the kernel
can drop at any time) and the kernel's high-water mark of both together (VmHWM).

    python benchmarks/prepare_memory.py [--images N] [--workdir DIR]

The default is the real size: about 25 GB of disk for the source and the prepared copy.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

REAL_IMAGES = 1036800
REAL_SIZES = {
    "object_color": 6,
    "object_shape": 6,
    "object_size": 2,
    "camera_height": 3,
    "background_color": 3,
    "horizontal_axis": 40,
    "vertical_axis": 40,
}
_WRITE_CHUNK = 16384

CHILD = """
import sys
from pathlib import Path
from vaecausal.data import mpi3d_npz
from vaecausal.data.store import StorePaths
sizes = dict(zip(sys.argv[3].split(","), map(int, sys.argv[4].split(","))))
entry = {"name": "mpi3d", "label": "MPI3D (synthetic)", "factors": sizes}
mpi3d_npz.prepare(entry, [Path(sys.argv[1])], StorePaths(Path(sys.argv[2])))
"""


def factor_sizes(n_images: int) -> dict[str, int]:
    """The real grid, or a smaller grid with the same layout (first factor shrunk) for trials."""
    if n_images == REAL_IMAGES:
        return REAL_SIZES
    rest = REAL_IMAGES // REAL_SIZES["object_color"]
    if n_images % rest:
        raise SystemExit(f"--images must be a multiple of {rest} (one object colour)")
    return {**REAL_SIZES, "object_color": n_images // rest}


def write_synthetic_npz(path: Path, n_images: int) -> None:
    """An uncompressed npz with one member ``images.npy``, streamed in chunks like np.savez."""
    shape = (n_images, 64, 64, 3)
    header = {"descr": "|u1", "fortran_order": False, "shape": shape}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open("images.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_2_0(member, header)
            pattern = (np.arange(_WRITE_CHUNK * 64 * 64 * 3) % 251).astype(np.uint8)
            for start in range(0, n_images, _WRITE_CHUNK):
                count = min(_WRITE_CHUNK, n_images - start)
                member.write(pattern[: count * 64 * 64 * 3].tobytes())


def _status_kb(pid: int) -> dict[str, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields


def run_child(source: Path, out_dir: Path, sizes: dict[str, int]) -> tuple[float, dict[str, int]]:
    """Run the converter in a child process; return its wall time and peak memory fields (kB)."""
    command = [
        sys.executable,
        "-c",
        CHILD,
        str(source),
        str(out_dir),
        ",".join(sizes),
        ",".join(map(str, sizes.values())),
    ]
    peaks = {"RssAnon": 0, "RssFile": 0, "VmHWM": 0}
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[1])
    while child.poll() is None:
        try:
            for key, value in _status_kb(child.pid).items():
                peaks[key] = max(peaks[key], value)
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.02)
    if child.wait() != 0:
        raise SystemExit("the converter failed")
    return time.perf_counter() - start, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=REAL_IMAGES)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    sizes = factor_sizes(args.images)
    with tempfile.TemporaryDirectory(dir=args.workdir) as folder:
        source, out_dir = Path(folder) / "mpi3d_toy.npz", Path(folder) / "prepared"
        clock = time.perf_counter()
        write_synthetic_npz(source, args.images)
        gigabytes = source.stat().st_size / 1e9
        print(
            f"wrote {source.name}: {args.images:,} images, {gigabytes:.2f} GB "
            f"in {time.perf_counter() - clock:.0f}s"
        )
        seconds, peaks = run_child(source, out_dir, sizes)
        print(f"prepared in {seconds:.0f}s ({gigabytes / seconds:.2f} GB/s)")
        print(f"peak file-backed resident pages: {peaks['RssFile'] / 1e6:.2f} GB (reclaimable)")
        print(f"peak resident set (VmHWM, both kinds): {peaks['VmHWM'] / 1e6:.2f} GB")
        print(f"peak private memory: {peaks['RssAnon'] / 1e6:.2f} GB (target < 2 GB)")


if __name__ == "__main__":
    main()
