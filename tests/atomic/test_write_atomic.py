"""Atomic writes: old or new content, never half; permissions like a plain open()."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from auditor.atomic import private_dir, write_atomic


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


def test_files_are_private_and_so_are_the_folders_it_makes(tmp_path: Path) -> None:
    """Reports and results name every customer's weaknesses: 0600 files, 0700 new folders;
    a folder that already exists keeps the mode its owner gave it."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    made = private_dir(shared / "reports" / "2026")
    target = made / "index.html"
    write_atomic(target, "x")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(made).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(made.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o755
    write_atomic(target, "y", mode=0o644)  # on purpose only (nothing in the auditor does)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
