"""Verified downloads against a local HTTP server: nothing unverified ever gets the final name."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from vaecausal.config import FileSpec
from vaecausal.data.download import DownloadError, fetch

PAYLOAD = bytes(range(256)) * 40


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


def test_an_interrupted_transfer_resumes_where_it_stopped(http_root, tmp_path):
    root, base, requests = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    destination = tmp_path / "data.bin"
    destination.with_name("data.bin.part").write_bytes(PAYLOAD[:4000])  # left by a cut transfer
    fetch(_spec(base), destination, log=_quiet)
    assert destination.read_bytes() == PAYLOAD
    assert requests == [("/data.bin", "bytes=4000-")]
    assert not destination.with_name("data.bin.part").exists()


def test_a_complete_partial_file_is_verified_without_refetching(http_root, tmp_path):
    root, base, requests = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    destination = tmp_path / "data.bin"
    destination.with_name("data.bin.part").write_bytes(PAYLOAD)
    fetch(_spec(base), destination, log=_quiet)
    assert destination.read_bytes() == PAYLOAD and requests == [
        ("/data.bin", f"bytes={len(PAYLOAD)}-")
    ]


def test_google_drive_failure_falls_back_to_the_mirror(http_root, tmp_path, monkeypatch):
    import gdown

    root, base, _ = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    drive_calls = []

    def quota_page(id, output, **kwargs):  # noqa: A002 (gdown's argument name)
        drive_calls.append(id)
        Path(output).write_bytes(b"<!DOCTYPE html><html>Quota exceeded</html>")
        return output

    monkeypatch.setattr(gdown, "download", quota_page)
    messages = []
    fetch(_spec(base, gdrive_id="abc"), tmp_path / "data.bin", log=messages.append)
    assert drive_calls == ["abc"] and (tmp_path / "data.bin").read_bytes() == PAYLOAD
    assert any("Google Drive id abc" in m for m in messages)


def test_progress_is_logged(http_root, tmp_path, monkeypatch):
    from vaecausal.data import download

    root, base, _ = http_root
    (root / "data.bin").write_bytes(PAYLOAD)
    monkeypatch.setattr(download, "_PROGRESS_SECONDS", 0.0)
    messages = []
    fetch(_spec(base), tmp_path / "data.bin", log=messages.append)
    assert any("100% of 0.0 MB" in m for m in messages)
