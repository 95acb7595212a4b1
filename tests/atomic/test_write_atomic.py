"""Atomic writes: old or new content, never half; permissions like a plain open()."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from auditor import atomic
from auditor.atomic import write_atomic


def test_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "index.html"
    target.write_text("old", encoding="utf-8")
    write_atomic(target, "neu ✔")
    assert target.read_text(encoding="utf-8") == "neu ✔"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "lone \udcc3 surrogate")  # strict: cannot be encoded
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_permissions_follow_the_umask_not_mkstemp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report served by a web server or mailed by another user must be readable as usual."""
    for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        monkeypatch.setattr(atomic, "_UMASK", umask)
        target = tmp_path / f"r{umask:o}.html"
        write_atomic(target, "x")
        assert stat.S_IMODE(os.stat(target).st_mode) == mode, oct(umask)
