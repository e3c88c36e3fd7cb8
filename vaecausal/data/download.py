"""Verified downloads: every file is checked (size, checksum, not an HTML error page) under a
temporary name and renamed to its final name only once it is known good.

A file already present and valid is never fetched again, so a user may also place a manually
downloaded copy where the error message says.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
from collections.abc import Callable
from pathlib import Path

from vaecausal.config import FileSpec

_CHUNK = 1 << 20
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head")


class DownloadError(RuntimeError):
    """A file could not be fetched or failed verification; the message says what to do."""


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verification_problem(path: Path, spec: FileSpec) -> str | None:
    """Why ``path`` is not a good copy of ``spec``, or None when it is."""
    size = path.stat().st_size
    if spec.bytes is not None and size != spec.bytes:
        return f"has {size} bytes, expected {spec.bytes}"
    with open(path, "rb") as handle:
        head = handle.read(512).lstrip().lower()
    if head.startswith(_HTML_MARKERS):
        return "is an HTML page (an error or quota page), not the data file"
    for algorithm in ("sha256", "md5"):
        expected = getattr(spec, algorithm)
        if expected is not None:
            actual = file_digest(path, algorithm)
            if actual != expected:
                return f"has {algorithm} {actual}, expected {expected}"
    return None


def _http_get(url: str, destination: Path, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "vaecausal"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        with open(destination, "wb") as out:
            shutil.copyfileobj(response, out, _CHUNK)


def fetch(
    spec: FileSpec,
    destination: Path,
    timeout: float = 60.0,
    log: Callable[[str], None] = print,
) -> Path:
    """Make ``destination`` a verified copy of ``spec``, trying each URL in turn."""
    destination = Path(destination)
    if destination.exists():
        problem = verification_problem(destination, spec)
        if problem is None:
            log(f"{destination}: present and verified, not fetched again")
            return destination
        raise DownloadError(
            f"{destination} exists but {problem}; remove it (or replace it with a good copy) "
            "and run again"
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    failures = []
    for url in spec.urls:
        log(f"fetching {url}")
        try:
            _http_get(url, partial, timeout)
        except OSError as error:
            failures.append(f"{url}: {error}")
            partial.unlink(missing_ok=True)
            continue
        problem = verification_problem(partial, spec)
        if problem is None:
            os.replace(partial, destination)
            log(f"{destination}: verified")
            return destination
        failures.append(f"{url}: downloaded file {problem}")
        partial.unlink(missing_ok=True)
    tried = "\n  ".join(failures) or "no URL configured"
    raise DownloadError(
        f"could not obtain {spec.name}.\n  {tried}\n"
        f"Download it by hand and place it at {destination.resolve()}; it is then verified "
        "and used."
    )
