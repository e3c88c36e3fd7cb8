"""Shared fixtures: a tiny prepared dataset and a local HTTP server for download tests."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from vaecausal.data import procedural_dsprites
from vaecausal.data.store import StorePaths

# 3 x 2 x 4 x 4 x 4 = 384 images: big enough to learn from, small enough for a second.
TINY_SUBSAMPLE = {"scale": 3, "orientation": 10, "posX": 8, "posY": 8}


@pytest.fixture(scope="session")
def tiny_dsprites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared procedural dSprites on a tiny grid, in the common store format."""
    root = tmp_path_factory.mktemp("tiny_dsprites")
    spec = {"name": "tiny", "label": "tiny (procedural)", "subsample": TINY_SUBSAMPLE}
    procedural_dsprites.prepare(spec, [], StorePaths(root))
    return root


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        super().do_GET()


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str, list[str]]]:
    """(folder served, base URL on 127.0.0.1, list of requested paths)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_CountingHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
