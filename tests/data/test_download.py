"""Verified downloads against a local HTTP server: nothing unverified ever gets the final name."""

from __future__ import annotations

import hashlib

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
    assert requests == ["/data.bin"]


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
