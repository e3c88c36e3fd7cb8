"""Shared fixtures: a tiny prepared dataset, the tiny study run once through Snakemake, and a
local HTTP server for download tests."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import yaml

from tests.tiny_study import TINY, copy_workflow, snakemake
from vaecausal.data import procedural_dsprites
from vaecausal.data.store import StorePaths


@pytest.fixture(autouse=True)
def torch_generator_reset() -> None:
    """Every test starts from one state of torch's global generator, as pytest-randomly resets
    random's and numpy's: no test's result depends on which tests ran before it."""
    torch.manual_seed(0)


# 3 x 2 x 4 x 4 x 4 = 384 images: big enough to learn from, small enough for a second.
TINY_SUBSAMPLE = {"scale": 3, "orientation": 10, "posX": 8, "posY": 8}


@pytest.fixture(scope="session")
def tiny_dsprites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared procedural dSprites on a tiny grid, in the common store format."""
    root = tmp_path_factory.mktemp("tiny_dsprites")
    spec = {"name": "tiny", "label": "tiny (procedural)", "subsample": TINY_SUBSAMPLE}
    procedural_dsprites.prepare(spec, [], StorePaths(root))
    return root


@pytest.fixture(scope="session")
def tiny_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(workflow copy, working directory, config file) of one undisturbed run of the tiny study.

    Session-wide: the end-to-end tests inspect it and the kill test compares its results with it.
    """
    root = tmp_path_factory.mktemp("e2e")
    workflow = copy_workflow(root / "workflow")
    config = root / "tiny.yaml"
    config.write_text(yaml.safe_dump(TINY))
    work = root / "work"
    result = snakemake(workflow, work, "--cores", "2", "--configfile", str(config))
    assert result.returncode == 0, result.stderr[-5000:]
    return workflow, work, config


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files like a real mirror: records requests and honours 'Range: bytes=N-'.

    A path in the server's ``cuts`` ({path: n}) is cut off once, as by a dropped connection: the
    full length is announced, n bytes are sent, and the connection is closed.
    """

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        pass

    def do_GET(self) -> None:
        requested = self.headers.get("Range")
        self.server.requests.append((self.path, requested))  # type: ignore[attr-defined]
        cut = self.server.cuts.pop(self.path, None)  # type: ignore[attr-defined]
        path = Path(self.translate_path(self.path))
        if (requested is None and cut is None) or not path.is_file():
            return super().do_GET()
        start = int(requested.removeprefix("bytes=").rstrip("-")) if requested else 0
        data = path.read_bytes()
        if start >= len(data):
            self.send_error(416)
            return
        self.send_response(206 if requested else 200)
        if requested:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:] if cut is None else data[start : start + cut])
        self.close_connection = True


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[http.server.ThreadingHTTPServer]:
    """A mirror on 127.0.0.1 serving ``tmp_path / "served"``; its ``requests`` list records (path,
    Range header) and its ``cuts`` dict cuts transfers off (see ``_RangeHandler``)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_RangeHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []  # type: ignore[attr-defined]
    server.cuts = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_root(
    tmp_path: Path, http_server: http.server.ThreadingHTTPServer
) -> tuple[Path, str, list[tuple[str, str | None]]]:
    """(folder served, base URL on 127.0.0.1, list of (path, Range header) requested)."""
    base = f"http://127.0.0.1:{http_server.server_address[1]}"
    return tmp_path / "served", base, http_server.requests  # type: ignore[attr-defined]
