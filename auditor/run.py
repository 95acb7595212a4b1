"""One audit run from start to files: inventory + profile -> engine -> results -> reports.

This is the only place that wires the stages together; each stage stays
ignorant of the others. The exit code is derived from the results alone, so
monitoring can trust it (table in the README).
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from dataclasses import dataclass
from pathlib import Path

from auditor import __version__
from auditor.engine import Engine, EngineEvents, now_iso
from auditor.errors import InventoryError
from auditor.inventory import load_inventory
from auditor.model import (
    HostResult,
    RunResult,
    Stage,
)
from auditor.profile import Profile
from auditor.report.write import write_reports
from auditor.results.io import write_results
from auditor.transports.registry import Transports, TransportSettings


class ExitCode(enum.IntEnum):
    """What ``auditor run`` exits with; the worst applicable code wins."""

    COMPLIANT = 0  # every host audited and compliant
    NOT_COMPLIANT = 1  # every host audited, at least one fails a requirement
    INCOMPLETE = 2  # at least one host could not be audited (or an inventory entry is unusable)
    SECURITY = 3  # at least one host presented a changed host key
    USAGE = 4  # bad command line, profile or inventory: nothing audited
    INTERNAL = 5  # a bug in the auditor


@dataclass(frozen=True, slots=True)
class RunOptions:
    inventories: tuple[str, ...]
    out_dir: Path
    limit: str | None = None
    vault_password_file: str | None = None
    forks: int = 50
    lang: str = "de"
    timezone: str | None = None  # IANA zone for report times; None = this machine's zone


def exit_code_for(run: RunResult) -> ExitCode:
    if any(h.security_finding for h in run.hosts):
        return ExitCode.SECURITY
    if run.problems or any(h.stage is not Stage.JUDGED for h in run.hosts):
        return ExitCode.INCOMPLETE
    if all(h.compliant for h in run.hosts):
        return ExitCode.COMPLIANT
    return ExitCode.NOT_COMPLIANT


def execute(
    options: RunOptions,
    profile: Profile,
    transports: TransportSettings,
    events: EngineEvents | None = None,
) -> tuple[RunResult, Path]:
    """Run the audit; returns the run and the directory holding its results and reports."""
    started = now_iso()
    load = load_inventory(
        options.inventories, vault_password_file=options.vault_password_file, limit=options.limit
    )
    if not load.targets:
        reasons = "; ".join(p.one_line() for p in load.problems) or "no hosts matched"
        raise InventoryError(f"nothing to audit: {reasons}")
    with Transports(transports, forks=options.forks) as make:
        engine = Engine(profile, make, forks=options.forks, events=events)
        hosts: tuple[HostResult, ...] = asyncio.run(engine.run(load.targets, load.problems))
    hosts = tuple(sorted(hosts, key=lambda h: (h.customer, h.name)))
    run = RunResult(
        run_id=str(uuid.uuid4()),
        started_at=started,
        finished_at=now_iso(),
        auditor_version=__version__,
        profile_name=profile.name,
        profile_version=str(profile.version),
        checks=profile.check_infos,
        expected_networks=tuple(str(net) for net in profile.expected_networks),
        reflector=str(profile.reflector) if profile.reflector else None,
        inventory_sources=tuple(options.inventories),
        hosts=hosts,
        problems=tuple(p for p in load.problems if not p.host),
    )
    options.out_dir.mkdir(parents=True, exist_ok=True)
    write_results(run, options.out_dir)
    write_reports(run, options.out_dir, lang=options.lang, timezone=options.timezone)
    return run, options.out_dir
