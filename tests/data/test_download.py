"""Verified downloads against a local HTTP server: nothing unverified ever gets the final name."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vaecausal.config import AcceptedCopies, FileSpec
from vaecausal.data.download import DownloadError, fetch, mirror_transfer

PAYLOAD = bytes(range(256)) * 40
QUOTA_PAGE = b"<!DOCTYPE html><html>Quota exceeded</html>"


def _spec(base: str, name: str = "data.bin", **overrides) -> FileSpec:
    fields = {
        "name": name,
        "urls": (f"{base}/{name}",),
        "md5": hashlib.md5(PAYLOAD).hexdigest(),
        "bytes": len(PAYLOAD),
        **overrides,
    }
    return FileSpec(**fields)


def _quiet(_: str) -> None:
    pass


def test_good_file_is_verified_and_not_fetched_again(http_root, tmp_path):
    root, base, requests = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    destination = tmp_path / "out" / "data.bin"
    fetch(_spec(base), destination, log=_quiet)
    assert destination.read_bytes() == PAYLOAD
    fetch(_spec(base), destination, log=_quiet)
    assert requests == [("/data.bin", None)]


def test_falls_back_to_the_next_mirror(http_root, tmp_path):
    root, base, _ = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    spec = _spec(base, urls=(f"{base}/missing.bin", f"{base}/data.bin"))
    fetch(spec, tmp_path / "data.bin", log=_quiet)
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD


@pytest.mark.parametrize(
    ("served", "overrides", "message"),
    [
        (PAYLOAD[:-1] + b"x", {}, "md5"),
        (PAYLOAD[:1000], {}, "bytes"),
        (b"<!DOCTYPE html><html>quota exceeded</html>", {"bytes": None}, "HTML"),
        (PAYLOAD, {"sha256": "0" * 64}, "sha256"),
    ],
    ids=["corrupted", "truncated", "html-page", "wrong-checksum"],
)
def test_bad_transfers_leave_no_file(http_root, tmp_path, served, overrides, message):
    root, base, _ = http_root
    (root / "data.bin").write_bytes(served)
    destination = tmp_path / "out" / "data.bin"
    with pytest.raises(DownloadError, match=message) as caught:
        fetch(_spec(base, **overrides), destination, log=_quiet)
    assert str(destination.resolve()) in str(caught.value)  # says where to put a manual copy
    assert list(destination.parent.iterdir()) == []


def test_unreachable_server_names_file_urls_and_destination(tmp_path):
    spec = FileSpec(name="x.bin", urls=("http://127.0.0.1:9/x.bin",), md5="0" * 32)
    with pytest.raises(DownloadError) as caught:
        fetch(spec, tmp_path / "x.bin", timeout=2, log=_quiet)
    text = str(caught.value)
    assert "x.bin" in text and "http://127.0.0.1:9/x.bin" in text and str(tmp_path) in text


def test_an_invalid_existing_file_is_reported_not_overwritten(http_root, tmp_path):
    root, base, requests = http_root
    destination = tmp_path / "data.bin"
    destination.write_bytes(b"stale")
    with pytest.raises(DownloadError, match="exists but"):
        fetch(_spec(base), destination, log=_quiet)
    assert destination.read_bytes() == b"stale" and requests == []


def test_a_cut_mirror_transfer_resumes_where_it_stopped(http_root, http_server, tmp_path):
    root, base, requests = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    http_server.cuts["/data.bin"] = 4000  # the connection drops after 4000 bytes
    destination = tmp_path / "data.bin"
    with pytest.raises(DownloadError, match="IncompleteRead"):
        fetch(_spec(base), destination, log=_quiet)
    assert mirror_transfer(destination, f"{base}/data.bin").read_bytes() == PAYLOAD[:4000]
    fetch(_spec(base), destination, log=_quiet)
    assert destination.read_bytes() == PAYLOAD
    assert requests == [("/data.bin", None), ("/data.bin", "bytes=4000-")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "served"]


def test_a_complete_partial_file_is_verified_without_refetching(http_root, tmp_path):
    root, base, requests = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    destination = tmp_path / "data.bin"
    mirror_transfer(destination, f"{base}/data.bin").write_bytes(PAYLOAD)
    fetch(_spec(base), destination, log=_quiet)
    assert destination.read_bytes() == PAYLOAD and requests == [
        ("/data.bin", f"bytes={len(PAYLOAD)}-")
    ]


def test_each_mirror_resumes_only_its_own_transfer(http_root, http_server, tmp_path):
    """A re-hosted copy need not hold the same bytes: a second mirror starts afresh instead of
    appending its bytes to the first one's cut transfer."""
    root, base, requests = http_root
    (root / "a.bin").write_bytes(PAYLOAD)
    (root / "b.bin").write_bytes(PAYLOAD)
    http_server.cuts["/a.bin"] = 4000
    spec = _spec(base, urls=(f"{base}/a.bin", f"{base}/b.bin"))
    fetch(spec, tmp_path / "data.bin", log=_quiet)
    assert requests == [("/a.bin", None), ("/b.bin", None)]
    assert (tmp_path / "data.bin").read_bytes() == PAYLOAD
    assert not mirror_transfer(tmp_path / "data.bin", f"{base}/a.bin").exists()  # cleaned up


class FakeDrive:
    """``gdown.download`` as gdown 6.5.1 behaves with ``resume=True``: an existing ``output`` is
    returned untouched (taken for a finished download); otherwise the transfer continues gdown's
    own partial file ``<output>XXXXXXXX.part`` and is moved to ``output`` when complete. Serves
    ``payload``, cut off once after ``cut`` bytes when given."""

    def __init__(self, payload: bytes, cut: int | None = None) -> None:
        self.payload, self.cut = payload, cut
        self.calls: list[tuple[str, int | None]] = []  # (id, offset resumed from; None: skipped)

    def __call__(self, id, output, resume, **kwargs):  # noqa: A002 (gdown's argument name)
        output = Path(output)
        if resume and output.is_file():
            self.calls.append((id, None))
            return str(output)
        partials = [
            p
            for p in output.parent.iterdir()
            if p.name.startswith(output.name)
            and p.name.endswith(".part")
            and len(p.name) == len(output.name) + 13
        ]
        partial = partials[0] if partials else output.with_name(output.name + "k3j5x9q2.part")
        offset = partial.stat().st_size if partial.exists() else 0
        self.calls.append((id, offset))
        end = len(self.payload) if self.cut is None else self.cut
        self.cut = None
        with open(partial, "ab") as handle:
            handle.write(self.payload[offset:end])
        if end < len(self.payload):
            raise ConnectionError("connection reset by peer")
        partial.rename(output)
        return str(output)


def test_google_drive_failure_falls_back_to_the_mirror(http_root, tmp_path, monkeypatch):
    import gdown

    root, base, _ = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    drive = FakeDrive(QUOTA_PAGE)
    monkeypatch.setattr(gdown, "download", drive)
    messages = []
    fetch(_spec(base, gdrive_id="abc"), tmp_path / "data.bin", log=messages.append)
    assert drive.calls == [("abc", 0)] and (tmp_path / "data.bin").read_bytes() == PAYLOAD
    assert any("Google Drive id abc" in m for m in messages)


def test_a_cut_drive_transfer_resumes_its_own_partial(
    http_root, http_server, tmp_path, monkeypatch
):
    """Drive and the mirror are both cut off; on the next run Drive continues its own bytes and
    the mirror's partial file neither misleads it nor survives the verified file."""
    import gdown

    root, base, requests = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    http_server.cuts["/data.bin"] = 4000
    drive = FakeDrive(PAYLOAD, cut=3000)
    monkeypatch.setattr(gdown, "download", drive)
    destination = tmp_path / "data.bin"
    with pytest.raises(DownloadError, match="connection reset"):
        fetch(_spec(base, gdrive_id="abc"), destination, log=_quiet)
    assert mirror_transfer(destination, f"{base}/data.bin").stat().st_size == 4000
    fetch(_spec(base, gdrive_id="abc"), destination, log=_quiet)
    assert drive.calls == [("abc", 0), ("abc", 3000)] and requests == [("/data.bin", None)]
    assert destination.read_bytes() == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "served"]


def test_a_cut_mirror_transfer_resumes_while_drive_fails(
    http_root, http_server, tmp_path, monkeypatch
):
    """The case gdown's resume broke: Drive (over quota) is tried first on every run, and must
    not take the mirror's cut transfer for its own finished download."""
    import gdown

    root, base, requests = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    http_server.cuts["/data.bin"] = 4000
    drive = FakeDrive(QUOTA_PAGE)
    monkeypatch.setattr(gdown, "download", drive)
    destination = tmp_path / "data.bin"
    with pytest.raises(DownloadError, match="HTML page"):
        fetch(_spec(base, gdrive_id="abc"), destination, log=_quiet)
    fetch(_spec(base, gdrive_id="abc"), destination, log=_quiet)
    assert drive.calls == [("abc", 0), ("abc", 0)]
    assert requests == [("/data.bin", None), ("/data.bin", "bytes=4000-")]
    assert destination.read_bytes() == PAYLOAD


def test_progress_is_logged(http_root, tmp_path, monkeypatch):
    from vaecausal.data import download

    root, base, _ = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    monkeypatch.setattr(download, "_PROGRESS_SECONDS", 0.0)
    messages = []
    fetch(_spec(base), tmp_path / "data.bin", log=messages.append)
    assert any("100% of 0.0 MB" in m for m in messages)


REHOSTED = PAYLOAD[:-1] + b"x"  # a re-upload: another digest at the same size
ACCEPTED = AcceptedCopies("toy", "data.bin", (hashlib.md5(REHOSTED).hexdigest(),))


@pytest.mark.parametrize("served", [REHOSTED, REHOSTED + b"more"], ids=["same-size", "other-size"])
def test_another_copy_is_refused_with_what_was_found_and_the_key_that_accepts_it(
    http_root, tmp_path, served
):
    root, base, _ = http_root
    (root / "data.bin").write_bytes(served)
    with pytest.raises(DownloadError) as caught:
        fetch(
            _spec(base),
            tmp_path / "data.bin",
            log=_quiet,
            accepted=AcceptedCopies("toy", "data.bin"),
        )
    text = str(caught.value)
    found_md5, expected_md5 = hashlib.md5(served).hexdigest(), hashlib.md5(PAYLOAD).hexdigest()
    assert f"has {len(served)} bytes and md5 {found_md5}" in text
    assert f"expected {len(PAYLOAD)} bytes and md5 {expected_md5}" in text
    assert "accepted_digests.toy.data.bin" in text and "--configfile" in text
    assert f"data.bin: [{found_md5}]" in text  # the lines to paste into one's config file
    assert not (tmp_path / "data.bin").exists()


def test_an_accepted_copy_is_used_and_logged(http_root, tmp_path):
    root, base, _ = http_root
    (root / "data.bin").write_bytes(REHOSTED)
    messages = []
    fetch(_spec(base), tmp_path / "data.bin", log=messages.append, accepted=ACCEPTED)
    assert (tmp_path / "data.bin").read_bytes() == REHOSTED
    warning = [m for m in messages if m.startswith("WARNING")]
    assert len(warning) == 1 and "not the configured copy" in warning[0]
    assert "listed in accepted_digests.toy.data.bin" in warning[0]
    messages.clear()  # present on the next run: used again, and said again
    fetch(_spec(base), tmp_path / "data.bin", log=messages.append, accepted=ACCEPTED)
    assert any(m.startswith("WARNING") for m in messages)


def test_an_existing_copy_of_another_digest_names_the_accepting_key(tmp_path):
    destination = tmp_path / "data.bin"
    destination.write_bytes(REHOSTED)
    with pytest.raises(DownloadError, match="accepted_digests.toy.data.bin") as caught:
        fetch(
            _spec("http://127.0.0.1:9"),
            destination,
            log=_quiet,
            accepted=AcceptedCopies("toy", "data.bin"),
        )
    assert hashlib.md5(REHOSTED).hexdigest() in str(caught.value)
    fetch(_spec("http://127.0.0.1:9"), destination, log=_quiet, accepted=ACCEPTED)  # now used


def test_an_html_page_is_refused_even_when_its_digest_is_listed(http_root, tmp_path):
    root, base, _ = http_root
    (root / "data.bin").write_bytes(QUOTA_PAGE)
    listed = AcceptedCopies("toy", "data.bin", (hashlib.md5(QUOTA_PAGE).hexdigest(),))
    with pytest.raises(DownloadError, match="HTML page") as caught:
        fetch(_spec(base), tmp_path / "data.bin", log=_quiet, accepted=listed)
    assert "accepted_digests" not in str(caught.value)  # nothing to accept


def test_a_file_without_a_recorded_size_says_so(http_root, tmp_path):
    root, base, _ = http_root
    (root / "data.bin").write_bytes(REHOSTED)
    messages = []
    with pytest.raises(DownloadError, match=r"\(no size recorded in the config\)"):
        fetch(_spec(base, bytes=None), tmp_path / "data.bin", log=messages.append)
    assert any("no size recorded" in m for m in messages)
