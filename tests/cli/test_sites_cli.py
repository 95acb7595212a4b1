"""``auditor schedule|worker|status`` as a user meets them before anything runs: one-line
errors, exit code 4, and ``auditor_site`` as the inventory shows it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from auditor.cli_sites import duration
from tests.cli.test_cli import auditor

INVENTORY = """\
[nord]
n1 ansible_host=198.51.100.10 auditor_site=nord
n2 ansible_host=198.51.100.11 auditor_site="bad site"

[zentrale]
z1 ansible_host=198.51.100.12
"""


def _inventory(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.ini"
    path.write_text(INVENTORY, encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [["schedule", "-i", "hosts.ini"], ["worker", "-i", "hosts.ini"],
                                     ["status"]])  # fmt: skip
def test_sqlite_is_refused_in_one_line(tmp_path: Path, command: list[str]) -> None:
    _inventory(tmp_path)
    done = auditor(*command, "--db", f"sqlite:///{tmp_path}/h.sqlite", cwd=tmp_path)
    assert done.returncode == 4
    [line] = done.stderr.strip().splitlines()
    assert "scheduled audits need PostgreSQL" in line and "the task queue lives there" in line
    assert not (tmp_path / "h.sqlite").exists()  # nothing created on the way


def test_a_bad_site_name_and_a_bad_deadline_are_usage_errors(tmp_path: Path) -> None:
    db = "postgresql+psycopg://auditor@127.0.0.1:1/none"
    inventory = str(_inventory(tmp_path))
    done = auditor("worker", "-i", inventory, "--site", "bad site", "--db", db)
    assert done.returncode == 4
    assert done.stderr.strip() == ("auditor: --site 'bad site': use letters, digits, '.', '_' "
                                   "or '-' (at most 63)")  # fmt: skip
    done = auditor("schedule", "-i", inventory, "--deadline", "soon", "--db", db)
    assert done.returncode == 4 and "'soon' is not a duration like 90s, 45m or 6h" in done.stderr
    done = auditor("schedule", "-i", inventory, "--mail", "--db", db, "--mail-config", "/dev/null")
    assert done.returncode == 4 and "--mail and --metrics need --wait" in done.stderr


def test_durations() -> None:
    assert [duration(t) for t in ("90", "90s", "45m", "6h", "1d", "1.5h")] == [
        90,
        90,
        2700,
        21600,
        86400,
        5400,
    ]
    for bad in ("", "0", "-5m", "6 hours", "h"):
        with pytest.raises(argparse.ArgumentTypeError):
            duration(bad)


def test_the_inventory_shows_each_hosts_site_and_refuses_a_bad_one(tmp_path: Path) -> None:
    done = auditor("inventory", "-i", str(_inventory(tmp_path)), "--json")
    shown = json.loads(done.stdout)
    sites = {t["name"]: t["site"] for t in shown["targets"]}
    assert sites == {"n1": "nord", "n2": "default", "z1": "default"}
    [problem] = shown["problems"]
    assert problem["host"] == "n2" and "auditor_site 'bad site'" in problem["message"]
    tree = auditor("inventory", "-i", str(tmp_path / "hosts.ini")).stdout
    assert "site=nord" in next(line for line in tree.splitlines() if " n1 " in line)


def test_a_worker_whose_inventory_is_unusable_stops_at_once(tmp_path: Path) -> None:
    db = "postgresql+psycopg://auditor@127.0.0.1:1/none"  # never contacted: the check comes first
    broken = tmp_path / "broken.yml"
    broken.write_text("all:\n  hosts: [unclosed\n", encoding="utf-8")
    done = auditor("worker", "-i", str(broken), "--site", "nord", "--db", db)
    assert done.returncode == 4
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("auditor: worker for site nord: nothing to audit: ")
    assert "broken.yml" in line


@pytest.mark.parametrize("command", [
    ["inventory"], ["run", "--no-history"], ["mail", "--dry-run", "--out", "outbox"],
    ["schedule", "--db", "postgresql+psycopg://a@127.0.0.1:1/x"],
    ["worker", "--db", "postgresql+psycopg://a@127.0.0.1:1/x"],
])  # fmt: skip
def test_a_missing_inventory_source_is_a_usage_error_in_every_command(
    tmp_path: Path, command: list[str]
) -> None:
    good = _inventory(tmp_path)
    done = auditor(*command, "-i", str(good), "-i", "no/such/file", cwd=tmp_path)
    assert done.returncode == 4
    assert done.stderr == "auditor: no/such/file: inventory source not found\n"
    assert done.stdout == "" and not (tmp_path / "outbox").exists()
