"""Nights on a lab of their own: a fault moves between two runs, and a run is killed mid-way.

Night 1: ``beta`` blocks TCP 5938. Between the nights the block moves to
``alpha`` (nftables, in each host's namespace). Night 2 must name exactly
alpha's 5938 as newly failing and beta's as fixed, in the history, the
report and ``auditor history``. Night 3 (with ``gamma``, whose sshd hangs
after login) is killed with SIGKILL once alpha and beta are recorded; night 4
finds it, marks it ``interrupted`` and keeps its two hosts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from auditor.history.store import HistoryStore
from auditor.lab import Fault, HostSpec, Lab, LabSpec, unique_prefix
from auditor.lab.firewall import TABLE, fault_rule
from auditor.lab.inventory import write_inventory
from auditor.lab.netns import exec_argv
from tests.cli.test_cli import auditor
from tests.engine.conftest import Audit, audit_argv, audit_lab

CUSTOMER = "Praxis Nord"
SPEC = LabSpec(
    name="nightly",
    hosts=(
        HostSpec("alpha", CUSTOMER),
        HostSpec("beta", CUSTOMER, faults=(Fault("tcp", 5938),)),
        HostSpec("gamma", CUSTOMER, hang_after_auth=True),
    ),
)

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, str, list[Audit]]]:
    """The lab, its history store, and nights 1 and 2 with the block moved between them."""
    lab = Lab(SPEC, tmp_path_factory.mktemp("nightly-lab"), prefix=unique_prefix("n")).up()
    try:
        db = f"sqlite:///{tmp_path_factory.mktemp('nightly-state') / 'history.sqlite'}"
        audits = [_night(lab, tmp_path_factory.mktemp("night1"), db)]
        block(lab, "alpha")
        unblock(lab, "beta")
        audits.append(_night(lab, tmp_path_factory.mktemp("night2"), db, "--lang", "de"))
        yield lab, db, audits
    finally:
        lab.down()


def _night(
    lab: Lab, work: Path, db: str, *extra: str, hosts: tuple[str, ...] = ("alpha", "beta")
) -> Audit:
    return audit_lab(lab, work, "--db", db, *extra, inventory=inventory(lab, work, hosts))


def inventory(lab: Lab, work: Path, hosts: tuple[str, ...]) -> Path:
    path = write_inventory(lab, work / "inventory.yml")
    doc = yaml.safe_load(path.read_text())
    group = next(iter(doc["all"]["children"].values()))
    group["hosts"] = {n: v for n, v in group["hosts"].items() if n in hosts}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return path


def block(lab: Lab, host: str) -> None:
    """The host's own firewall drops outbound TCP 5938 from now on."""
    script = (f"table inet {TABLE} {{\n chain output {{\n  type filter hook output priority 0;\n"
              f"  {fault_rule(Fault('tcp', 5938))}\n }}\n}}\n")  # fmt: skip
    done = lab.run_in_host(host, ["nft", "-f", "-"], input=script)
    assert done.returncode == 0, done.stderr


def unblock(lab: Lab, host: str) -> None:
    done = lab.run_in_host(host, ["nft", "delete", "table", "inet", TABLE])
    assert done.returncode == 0, done.stderr


def test_the_second_night_names_exactly_what_broke_and_what_was_fixed(
    nights: tuple[Lab, str, list[Audit]],
) -> None:
    _, db, (first, second) = nights
    verdict = {(h["name"]): {c["id"]: c["verdict"] for c in h["checks"]}
               for h in second.document["hosts"]}  # fmt: skip
    assert (verdict["alpha"]["tcp_5938"], verdict["beta"]["tcp_5938"]) == ("fail", "pass")
    store = HistoryStore.open(db)
    changes = store.changes(second.document["run"]["id"])
    moved = {(h.name, c.check_id, c.kind) for h in changes.hosts.values() for c in h.checks}
    assert ("alpha", "tcp_5938", "new") in moved and ("beta", "tcp_5938", "fixed") in moved
    assert {kind for _, _, kind in moved} <= {"new", "fixed", "open"}
    unchanged_open = {(n, c) for n, c, k in moved if k == "open"}
    first_open = {(h["name"], c["id"]) for h in first.document["hosts"] for c in h["checks"]
                  if c["verdict"] in ("fail", "error", "inconclusive")} - {("beta", "tcp_5938")}  # fmt: skip
    assert unchanged_open == first_open  # everything else that was open is still open, no more


def test_the_report_says_it_in_words(nights: tuple[Lab, str, list[Audit]]) -> None:
    _, _, (_, second) = nights
    page = (second.out_dir / "praxis-nord.html").read_text(encoding="utf-8")
    assert "Seit dem letzten Lauf" in page and "Verglichen mit dem Lauf vom" in page
    assert 'data-kind="new" data-host="alpha" data-check="tcp_5938"' in page
    assert 'data-kind="fixed" data-host="beta" data-check="tcp_5938"' in page
    index = (second.out_dir / "index.html").read_text(encoding="utf-8")
    assert "1 neu · 1 behoben" in index


def test_auditor_history_shows_the_change(nights: tuple[Lab, str, list[Audit]]) -> None:
    _, db, _ = nights
    done = auditor("history", "alpha", "--check", "tcp_5938", "--db", db)
    lines = done.stdout.splitlines()
    assert lines[0] == f"alpha ({CUSTOMER}), 2 runs"
    assert lines[1].split()[-2:] == ["✔", "pass"]
    assert lines[2].split()[-4:] == ["fail", "tcp.filtered", "<-", "changed"]


def test_a_run_killed_mid_way_is_marked_by_the_next_and_keeps_its_hosts(
    nights: tuple[Lab, str, list[Audit]], tmp_path: Path
) -> None:
    lab, db, _ = nights
    work = tmp_path / "night3"
    work.mkdir()
    argv = audit_argv(lab, work, "--db", db,
                      inventory=inventory(lab, work, ("alpha", "beta", "gamma")))  # fmt: skip
    killed = subprocess.Popen(exec_argv(lab.msp_ns, argv), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    store = HistoryStore.open(db)
    for _ in range(300):  # bounded: alpha and beta take a few seconds, gamma hangs 14 s
        running = [r for r in store.runs() if r.status == "running"]
        if running and running[0].hosts >= 2:
            break
        time.sleep(0.05)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=10)
    (stuck,) = [r for r in store.runs() if r.status == "running"]
    assert stuck.hosts == 2
    later = tmp_path / "night4"
    later.mkdir()
    _night(lab, later, db)
    marked = next(r for r in store.runs() if r.id == stuck.id)
    assert (marked.status, marked.hosts) == ("interrupted", 2)
    shown = auditor("history", "alpha", "--db", db).stdout
    assert "[interrupted]" in shown
