"""Stage ``download``: one verified file of a real dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vaecausal.config import FileSpec
from vaecausal.data.download import fetch
from vaecausal.stages.logs import Log


def run(file: dict[str, Any], destination: Path, log: Log) -> None:
    spec = FileSpec(**{**file, "urls": tuple(file["urls"])})
    fetch(spec, Path(destination), log=log)
