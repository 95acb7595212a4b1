"""contrib/: the systemd service and timer, and the cron line, as a machine would read them."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.cli import build_parser

CONTRIB = Path(__file__).resolve().parents[2] / "contrib"
INSTALLED = "/usr/local/bin/auditor"


def units(tmp_path: Path) -> tuple[Path, Path]:
    """Both units, the service pointing at this checkout's auditor (verify wants it to exist)."""
    here = str(Path(sys.executable).with_name("auditor"))
    service = tmp_path / "auditor.service"
    service.write_text(
        (CONTRIB / "systemd" / "auditor.service").read_text().replace(INSTALLED, here)
    )
    timer = tmp_path / "auditor.timer"
    shutil.copyfile(CONTRIB / "systemd" / "auditor.timer", timer)
    return service, timer


def test_systemd_verifies_both_units_without_a_word(tmp_path: Path) -> None:
    service, timer = units(tmp_path)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(service), str(timer)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "auditor." in line] == []


def test_the_service_is_hardened(tmp_path: Path) -> None:
    service, _ = units(tmp_path)
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(service)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False)  # fmt: skip
    exposure = re.search(r"Overall exposure level for auditor\.service: ([\d.]+)", done.stdout)
    assert exposure is not None, done.stdout + done.stderr
    assert float(exposure.group(1)) <= 2.0  # systemd's scale: 0 safe ... 10 exposed


def command_of(text: str) -> list[str]:
    """The ExecStart command line (continuation lines joined), split as systemd splits it."""
    joined = re.sub(r"\\\n\s*", " ", text)
    line = next(row for row in joined.splitlines() if row.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_the_service_and_cron_call_options_auditor_has() -> None:
    service = command_of((CONTRIB / "systemd" / "auditor.service").read_text())
    assert service[0] == INSTALLED
    args = build_parser().parse_args(service[1:])
    assert (args.command, args.quiet, args.known_hosts) == (
        "run",
        True,
        Path("/var/lib/auditor/known_hosts"),
    )
    lines = (CONTRIB / "cron" / "auditor").read_text().splitlines()
    (entry,) = [row for row in lines if row and row[0] != "#"]
    fields = entry.split(maxsplit=6)
    assert (fields[0], fields[1], fields[5]) == ("5", "2", "auditor")  # 02:05, as user auditor
    command = fields[6]
    first = shlex.split(command.split(";")[0])
    assert first[0] == INSTALLED and build_parser().parse_args(first[1:]).quiet


def site_units(tmp_path: Path) -> list[Path]:
    """The site units, an instance of the worker for site ``nord``, pointing at this checkout."""
    here = str(Path(sys.executable).with_name("auditor"))
    made = []
    for name, as_name in (("auditor-worker@.service", "auditor-worker@nord.service"),
                          ("auditor-schedule.service", "auditor-schedule.service"),
                          ("auditor-schedule.timer", "auditor-schedule.timer")):  # fmt: skip
        path = tmp_path / as_name
        path.write_text((CONTRIB / "systemd" / name).read_text().replace(INSTALLED, here))
        made.append(path)
    return made


def test_systemd_verifies_the_site_units_without_a_word(tmp_path: Path) -> None:
    units_ = site_units(tmp_path)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *map(str, units_)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stderr.splitlines() if "auditor" in line] == []


@pytest.mark.parametrize("unit", ["auditor-worker@nord.service", "auditor-schedule.service"])
def test_the_site_units_are_hardened(tmp_path: Path, unit: str) -> None:
    site_units(tmp_path)
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False)  # fmt: skip
    exposure = re.search(rf"Overall exposure level for {re.escape(unit)}: ([\d.]+)", done.stdout)
    assert exposure is not None, done.stdout + done.stderr
    assert float(exposure.group(1)) <= 2.0


def test_the_site_units_call_options_auditor_has() -> None:
    worker = command_of((CONTRIB / "systemd" / "auditor-worker@.service").read_text())
    assert worker[0] == INSTALLED
    args = build_parser().parse_args([a.replace("%i", "nord") for a in worker[1:]])
    assert (args.command, args.site, args.vault_password_file) == (
        "worker", "nord", "/etc/auditor/vault-password",
    )  # fmt: skip
    schedule = command_of((CONTRIB / "systemd" / "auditor-schedule.service").read_text())
    args = build_parser().parse_args(schedule[1:])
    assert (args.command, args.wait, args.quiet, args.deadline) == (
        "schedule",
        True,
        True,
        5 * 3600,
    )
    assert args.vault_password_file is None  # the central machine needs no credentials
