"""Stage logging: timestamped lines to a rule's log file, any failure's traceback kept there."""

from __future__ import annotations

import contextlib
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from vaecausal.outputs import naming

Log = Callable[[str], None]


@contextlib.contextmanager
def stage_log(path: str | Path) -> Iterator[Log]:
    """Yield ``log(message)`` writing to ``path``; a failure's traceback is logged, then raised."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", buffering=1) as handle:

        def log(message: str) -> None:
            with naming(path):
                handle.write(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {message}\n")

        try:
            yield log
        except BaseException:
            # The log may sit on the disk that filled up: the error itself must still surface.
            with contextlib.suppress(OSError):
                handle.write(traceback.format_exc())
            print(f"failed; see {path}", file=sys.stderr)
            raise
