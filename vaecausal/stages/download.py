"""Stage ``download``: one verified file of a real dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vaecausal.config import AcceptedCopies, FileSpec
from vaecausal.data.download import fetch
from vaecausal.stages.logs import Log


def run(file: dict[str, Any], destination: Path, log: Log, accepted: AcceptedCopies) -> None:
    """Fetch ``file`` (its config entry) to ``destination``; ``accepted`` holds the other copies
    of it the user accepts (their ``accepted_digests``)."""
    spec = FileSpec(**{**file, "urls": tuple(file["urls"])})
    fetch(spec, Path(destination), log=log, accepted=accepted)
