"""Verified downloads: every file is checked (size, checksum, not an HTML error page) under a
temporary name and renamed to its final name only once it is known good.

Sources are tried in turn: Google Drive (through ``gdown``) when the file has a Drive id, then each
mirror URL. A transfer cut off by the network leaves its partial file ``<name>.part``, and the next
attempt resumes it with an HTTP range request (Drive transfers resume through gdown); a file that
fails verification is deleted. A file already present and valid is never fetched again, so a user
may also place a manually downloaded copy where the error message says.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from vaecausal.config import FileSpec

_CHUNK = 1 << 20
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head")
_PROGRESS_SECONDS = 10.0

Log = Callable[[str], None]


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


class Progress:
    """Logs a transfer's progress at most every ``_PROGRESS_SECONDS`` (and when it completes)."""

    def __init__(self, name: str, total: int | None, log: Log) -> None:
        self.name, self.total, self.log = name, total, log
        self.start = self.last = time.monotonic()
        self.start_bytes: int | None = None

    def __call__(self, done: int, total: int | None = None) -> None:
        total = total or self.total
        if self.start_bytes is None:
            self.start_bytes = done
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - self.last < _PROGRESS_SECONDS and not finished:
            return
        self.last = now
        rate = (done - self.start_bytes) / max(now - self.start, 1e-9) / 1e6
        share = f"{100 * done / total:.0f}% of {total / 1e6:.1f} MB" if total else "? of ? MB"
        self.log(f"{self.name}: {done / 1e6:.1f} MB ({share}) at {rate:.1f} MB/s")


def _http_get(url: str, partial: Path, timeout: float, progress: Progress) -> None:
    """Fetch ``url`` into ``partial``, resuming from its current size when the server allows."""
    offset = partial.stat().st_size if partial.exists() else 0
    headers = {"User-Agent": "vaecausal"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416:  # the partial file already holds everything: verify it as it is
            return
        raise
    with response:
        resumed = offset > 0 and response.status == 206
        done = offset if resumed else 0
        length = response.headers.get("Content-Length")
        total = done + int(length) if length is not None else None
        with open(partial, "ab" if resumed else "wb") as out:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                done += len(chunk)
                progress(done, total)


def _gdrive_get(file_id: str, partial: Path, timeout: float, progress: Progress) -> None:
    """Fetch a Google Drive file with gdown, which handles Drive's confirmation pages and resume."""
    import gdown

    try:
        gdown.download(
            id=file_id,
            output=str(partial),
            quiet=True,
            resume=True,
            timeout=timeout,
            progress=progress,
        )
    except Exception as error:  # gdown raises its own types for quota, permission and network
        raise OSError(f"Google Drive: {error}") from error


def _sources(spec: FileSpec) -> list[tuple[str, Callable[[Path, float, Progress], None]]]:
    """(description, fetcher) for each place the file can come from, in order of preference."""
    sources: list[tuple[str, Callable[[Path, float, Progress], None]]] = []
    if spec.gdrive_id:
        gdrive_id = spec.gdrive_id
        sources.append(
            (f"Google Drive id {gdrive_id}", lambda p, t, g: _gdrive_get(gdrive_id, p, t, g))
        )
    for url in spec.urls:
        sources.append((url, lambda p, t, g, url=url: _http_get(url, p, t, g)))
    return sources


def fetch(spec: FileSpec, destination: Path, timeout: float = 60.0, log: Log = print) -> Path:
    """Make ``destination`` a verified copy of ``spec``, trying each source in turn."""
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
    for description, get in _sources(spec):
        log(f"fetching {spec.name} from {description}")
        try:
            get(partial, timeout, Progress(spec.name, spec.bytes, log))
        except (OSError, http.client.HTTPException) as error:
            # A cut-off transfer keeps its partial file: the next source or run resumes it.
            failures.append(f"{description}: {error}")
            continue
        problem = verification_problem(partial, spec)
        if problem is None:
            os.replace(partial, destination)
            log(f"{destination}: verified")
            return destination
        failures.append(f"{description}: downloaded file {problem}")
        partial.unlink(missing_ok=True)
    tried = "\n  ".join(failures) or "no source configured (no URL, no Google Drive id)"
    raise DownloadError(
        f"could not obtain {spec.name}.\n  {tried}\n"
        f"Download it by hand and place it at {destination.resolve()}; it is then verified "
        "and used."
    )
