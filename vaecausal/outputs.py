"""Writing outputs so that a failed write says which file, and leaves nothing under its name.

A full disk, a quota or a folder without write permission surfaces deep inside numpy, torch or
the csv module, often without a file name: "[Errno 28] No space left on device", or from torch
"unexpected pos 576 vs 534". The prepare and train stages write through these helpers, so that
the job's error names the output, and a file is renamed to its final name only when complete: a
rerun after space was freed never mistakes a truncated file for a finished one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


class OutputWriteError(OSError):
    """Writing an output failed (disk full, quota, permissions); the message names the file."""


@contextlib.contextmanager
def naming(path: Path, errors: tuple[type[Exception], ...] = (OSError,)) -> Iterator[None]:
    """Re-raise ``errors`` raised in the block as an :class:`OutputWriteError` naming ``path``.

    Only writes to ``path`` belong in the block: any of ``errors`` is taken to be theirs.
    """
    try:
        yield
    except OutputWriteError:
        raise
    except errors as error:
        raise OutputWriteError(f"could not write {path}: {error}") from error


@contextlib.contextmanager
def replacing(path: Path, errors: tuple[type[Exception], ...] = (OSError,)) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write; renamed to ``path`` when the block
    succeeds, removed when it fails, with ``errors`` reported as in :func:`naming`.

    Pass ``(OSError, RuntimeError)`` around ``torch.save``, which reports failed writes as
    RuntimeError.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".tmp")
    try:
        with naming(path, errors):
            yield partial
            os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise
