"""Outputs are renamed into place only when complete, and a failed write names its file."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from vaecausal.outputs import OutputWriteError, replacing


def test_a_complete_write_replaces_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")
    with replacing(out) as partial:
        partial.write_text("new")
    assert out.read_text() == "new" and list(tmp_path.iterdir()) == [out]


def test_a_failed_write_names_the_output_and_leaves_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")
    with pytest.raises(OutputWriteError, match=f"could not write {out}: .*No space left"):
        with replacing(out) as partial:
            partial.write_text("half")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert out.read_text() == "old" and list(tmp_path.iterdir()) == [out]


def test_other_errors_pass_unchanged(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a write"):
        with replacing(tmp_path / "out.json") as partial:
            partial.write_text("half")
            raise ValueError("not a write")
    assert list(tmp_path.iterdir()) == []
