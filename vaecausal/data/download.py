"""Verified downloads: every file is checked (size, checksum, not an HTML error page) under a
temporary name and renamed to its final name only once it is known good.

Sources are tried in turn: Google Drive (through ``gdown``) when the file has a Drive id, then each
mirror URL. Each source keeps its own transfer file next to the destination, so that a transfer cut
off by the network is resumed by the same source on the next attempt and never by another one
(re-hosted copies need not be byte-identical, and gdown takes any existing output for a finished
download): a mirror's is ``<name>.<url hash>.part``, resumed with an HTTP range request; Drive's is
``<name>.gdrive``, which gdown resumes from its own ``<name>.gdrive*.part``. A file that fails
verification is deleted. A file already present and valid is never fetched again, so a user may
also place a manually downloaded copy where the error message says.

A copy whose size or digest differs from the configured one is refused, and the error gives what
was found and expected and the config key (``accepted_digests``) through which a user who has
checked that copy accepts it; an accepted copy is used and logged as not the configured one.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vaecausal.config import AcceptedCopies, FileSpec

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


@dataclass(frozen=True)
class Copy:
    """What a file on disk is, as far as verification is concerned."""

    size: int
    digests: dict[str, str]  # per configured algorithm (the spec's digest_algorithm at least)
    html: bool  # starts like an HTML page (an error or quota page served instead of the data)


def examine(path: Path, spec: FileSpec) -> Copy:
    with open(path, "rb") as handle:
        head = handle.read(512).lstrip().lower()
    algorithms = {spec.digest_algorithm} | {a for a in ("sha256", "md5") if getattr(spec, a)}
    return Copy(
        size=path.stat().st_size,
        digests={a: file_digest(path, a) for a in sorted(algorithms)},
        html=head.startswith(_HTML_MARKERS),
    )


def describe(size: int | None, algorithm: str, digest: str | None) -> str:
    """'<size> bytes and <algorithm> <digest>', saying so where the config records neither."""
    digest_text = f"{algorithm} {digest}" if digest is not None else f"no {algorithm} recorded"
    if size is None:
        return f"{digest_text} (no size recorded in the config)"
    return f"{size} bytes and {digest_text}"


@dataclass(frozen=True)
class Verdict:
    """Whether a copy may be used, and if not why: ``mismatch`` marks a refusal that
    ``accepted_digests`` could lift (a complete file of another size or digest)."""

    usable: bool
    reason: str
    mismatch: bool = False
    accepted: bool = False  # usable only because the user's accepted_digests lists it


def judge(copy: Copy, spec: FileSpec, accepted: AcceptedCopies) -> Verdict:
    """Whether ``copy`` may be used as ``spec``'s file: the configured copy or one the user has
    accepted. An HTML page is refused outright: no real data file starts like one."""
    if copy.html:
        return Verdict(False, "is an HTML page (an error or quota page), not the data file")
    algorithm = spec.digest_algorithm
    found = describe(copy.size, algorithm, copy.digests[algorithm])
    expected = describe(spec.bytes, algorithm, getattr(spec, algorithm))
    canonical = (spec.bytes is None or copy.size == spec.bytes) and all(
        getattr(spec, a) in (None, digest) for a, digest in copy.digests.items()
    )
    if canonical:
        return Verdict(True, f"has {found}")
    reason = f"has {found}; expected {expected}"
    if copy.digests[algorithm] in accepted.digests:
        return Verdict(
            True, f"{reason}; its {algorithm} is listed in {accepted.key}", accepted=True
        )
    return Verdict(False, reason, mismatch=True)


def acceptance_hint(spec: FileSpec, accepted: AcceptedCopies, found: list[str]) -> str:
    """How a user who has checked a refused copy (digests ``found``) accepts it deliberately;
    nothing when no copy was refused for its size or digest (a network failure, an HTML page)."""
    if not found:
        return ""
    algorithm = spec.digest_algorithm
    return (
        f"A copy whose size or {algorithm} differs from the configured one is refused. If you "
        "have checked such a copy (e.g. the source re-uploaded the same data) and want it used, "
        f"list its {algorithm} under the config key {accepted.key} in your own config file, "
        "passed with --configfile:\n"
        f"  accepted_digests:\n    {accepted.dataset}:\n      {accepted.file}: "
        f"[{', '.join(found)}]\n"
        "The dataset's converter still checks the accepted copy's image count, shape, dtype and "
        "factor grid."
    )


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
    """Fetch ``url`` into ``partial``, resuming from its current size when the server allows.

    A connection closed before the announced length raises, so that the partial file is kept for
    the next attempt (``http.client`` itself returns a short body without complaint).
    """
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
    if total is not None and done < total:
        raise http.client.IncompleteRead(b"", total - done)


def _gdrive_get(file_id: str, output: Path, timeout: float, progress: Progress) -> None:
    """Fetch a Google Drive file with gdown, which handles Drive's confirmation pages and resume.

    gdown (6.5.1) returns at once when ``output`` exists, and otherwise continues its own partial
    file ``<output>XXXXXXXX.part``; ``output`` must therefore be a name no other source writes.
    """
    import gdown

    try:
        gdown.download(
            id=file_id,
            output=str(output),
            quiet=True,
            resume=True,
            timeout=timeout,
            progress=progress,
        )
    except Exception as error:  # gdown raises its own types for quota, permission and network
        raise OSError(f"Google Drive: {error}") from error


Fetcher = Callable[[Path, float, Progress], None]


@dataclass(frozen=True)
class Source:
    """One place a file can come from, and the file its transfer is kept in until verified."""

    description: str
    transfer: Path
    get: Fetcher


def mirror_transfer(destination: Path, url: str) -> Path:
    """The partial file of ``destination`` fetched from ``url``: one per URL, since mirrors of a
    re-hosted file may hold different bytes and must not resume each other's transfers."""
    tag = hashlib.sha1(url.encode()).hexdigest()[:8]
    return destination.with_name(f"{destination.name}.{tag}.part")


def sources(spec: FileSpec, destination: Path) -> list[Source]:
    """Each place ``spec``'s file can come from, in order of preference."""
    found = []
    if spec.gdrive_id:
        gdrive_id = spec.gdrive_id
        found.append(
            Source(
                f"Google Drive id {gdrive_id}",
                destination.with_name(f"{destination.name}.gdrive"),
                lambda p, t, g: _gdrive_get(gdrive_id, p, t, g),
            )
        )
    for url in spec.urls:
        found.append(
            Source(
                url, mirror_transfer(destination, url), lambda p, t, g, u=url: _http_get(u, p, t, g)
            )
        )
    return found


def _remove_leftovers(destination: Path) -> None:
    """Delete every source's unfinished transfer of ``destination`` once it is verified."""
    prefix = destination.name + "."
    for path in destination.parent.iterdir():
        if path.name.startswith(prefix) and path.name.endswith((".part", ".gdrive")):
            path.unlink(missing_ok=True)


def _use(path: Path, verdict: Verdict, log: Log) -> None:
    if verdict.accepted:
        log(f"WARNING: {path} is not the configured copy: it {verdict.reason}; used as accepted")
    else:
        log(f"{path}: verified ({verdict.reason})")


def fetch(
    spec: FileSpec,
    destination: Path,
    timeout: float = 60.0,
    log: Log = print,
    accepted: AcceptedCopies | None = None,
) -> Path:
    """Make ``destination`` a verified copy of ``spec``, trying each source in turn.

    ``accepted`` lists the other copies the user accepts; without it (outside the workflow) none
    is, and messages name the key with a ``<dataset>`` placeholder.
    """
    destination = Path(destination)
    if accepted is None:
        accepted = AcceptedCopies("<dataset>", spec.name)
    if spec.bytes is None:
        log(f"{spec.name}: no size recorded in the config; it is checked by its digest alone")
    if destination.exists():
        copy = examine(destination, spec)
        verdict = judge(copy, spec, accepted)
        if verdict.usable:
            _use(destination, verdict, log)
            return destination
        found = [copy.digests[spec.digest_algorithm]] if verdict.mismatch else []
        raise DownloadError(
            f"{destination} exists but {verdict.reason}; remove it (or replace it with a good "
            f"copy) and run again.\n{acceptance_hint(spec, accepted, found)}"
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures, mismatched = [], []
    for source in sources(spec, destination):
        log(f"fetching {spec.name} from {source.description} into {source.transfer.name}")
        try:
            source.get(source.transfer, timeout, Progress(spec.name, spec.bytes, log))
        except (OSError, http.client.HTTPException) as error:
            # A cut-off transfer keeps its file: this source resumes it on the next run.
            failures.append(f"{source.description}: {error}")
            continue
        copy = examine(source.transfer, spec)
        verdict = judge(copy, spec, accepted)
        if verdict.usable:
            os.replace(source.transfer, destination)
            _remove_leftovers(destination)
            _use(destination, verdict, log)
            return destination
        failures.append(f"{source.description}: downloaded file {verdict.reason}")
        if verdict.mismatch:
            mismatched.append(copy.digests[spec.digest_algorithm])
        source.transfer.unlink(missing_ok=True)
    tried = "\n  ".join(failures) or "no source configured (no URL, no Google Drive id)"
    raise DownloadError(
        f"could not obtain {spec.name}.\n  {tried}\n"
        f"Download it by hand and place it at {destination.resolve()}; it is then verified "
        f"and used.\n{acceptance_hint(spec, accepted, sorted(set(mismatched)))}"
    )
