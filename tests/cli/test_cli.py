"""The command line as a user meets it: one-line errors and exit codes, no lab needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from auditor import __version__


def auditor(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditor", *argv],
        capture_output=True, text=True, timeout=60, check=False, cwd=cwd,
    )  # fmt: skip


def test_version() -> None:
    done = auditor("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"auditor {__version__}"


def test_missing_inventory_is_one_line_naming_the_file_and_exit_4(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ini"
    done = auditor("run", "-i", str(missing), "--out", str(tmp_path / "out"))
    assert done.returncode == 4
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(missing) in lines[0]
    assert not (tmp_path / "out").exists()


def test_bad_profile_is_one_line_with_file_and_line_and_exit_4(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text("[acme]\nsrv1 ansible_host=198.51.100.10\n")
    profile = tmp_path / "profile.yaml"
    profile.write_text("schema_version: 1\ncontract:\n  name: x\n  version: '5'\n  colour: red\n")
    done = auditor("run", "-i", str(inventory), "--profile", str(profile))
    assert done.returncode == 4
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{profile}:5:" in lines[0]


def test_bad_option_value_exits_4_not_1() -> None:
    done = auditor("run", "-i", "x", "--host-key-policy", "trust-me")
    assert done.returncode == 4
    assert "invalid choice" in done.stderr


def test_inventory_never_prints_a_secret(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        "[acme]\nsrv1 ansible_host=198.51.100.10 ansible_password=Planted-Secret-42 "
        "ansible_become_password=Planted-Become-43\n"
    )
    for extra in ((), ("--json",)):
        done = auditor("inventory", "-i", str(inventory), *extra)
        assert done.returncode == 0, done.stderr
        assert "srv1" in done.stdout
        assert "Planted-Secret-42" not in done.stdout + done.stderr
        assert "Planted-Become-43" not in done.stdout + done.stderr
