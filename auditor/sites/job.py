"""One attempt of one job at a worker: claim it, audit its hosts, record each one.

The hosts come from the *worker's* inventory (with the site's vault
password): the job names hosts, the site knows how to reach them. A host the
job names but the site's inventory does not hold is not guessed at: the run
says so, as a problem naming the site.

Every recorded host carries where it was audited from (``access.vantage``:
site, worker, auditor version), so a report can say which vantage point a
verdict stands for.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.engine import Engine, NoEvents
from auditor.history.jobs import Claim, ScheduledRuns, site_problem
from auditor.inventory import load_inventory
from auditor.model import HostResult
from auditor.profile.load import profile_from_text
from auditor.teamviewer.api import PerRun
from auditor.transports.registry import Transports, settings_for
from auditor.transports.ssh import HostKeyPolicy


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """What a worker brings from its site: inventory, vault password file, SSH settings."""

    site: str
    inventories: tuple[str, ...]
    vault_password_file: str | None = None
    host_key_policy: HostKeyPolicy = HostKeyPolicy.STRICT
    known_hosts: Path | None = None  # the auditor's own known_hosts at this site
    ssh_config: str | None = None
    forks: int = 50  # hosts of one job audited at once
    name: str = ""  # site/host:pid, set by the worker
    # The MSP's managed TeamViewer devices, fetched once per run (--teamviewer-api-token-file)
    teamviewer: PerRun = field(default_factory=lambda: PerRun(None))

    def vantage(self) -> dict[str, Any]:
        return {"site": self.site, "worker": self.name, "auditor_version": __version__}


class _Stamped(NoEvents):
    """Records each host as it finishes, stamped with the worker's vantage point."""

    def __init__(self, runs: ScheduledRuns, claim: Claim, vantage: dict[str, Any]) -> None:
        self._runs, self._claim, self._vantage = runs, claim, vantage
        self.seen: set[str] = set()
        self.refused: list[str] = []  # the claim was lost (the run closed, or a retry took over)

    def host_finished(self, result: HostResult) -> None:
        self.seen.add(result.name)
        stamped = dataclasses.replace(result, access={**result.access, "vantage": self._vantage})
        if not self._runs.record_host(self._claim, stamped):
            self.refused.append(result.name)


async def run_attempt(
    runs: ScheduledRuns, settings: WorkerSettings, job_id: int, attempt: int, *, final: bool
) -> str:
    """Audit what job ``job_id`` still lacks; ``done``, ``skipped`` (nothing to do) or
    ``lost`` (another attempt or the deadline took over). Raises on failure (the queue
    retries); a ``final`` attempt first marks the job failed for good."""
    claim = runs.claim(job_id, settings.name, attempt)
    if claim is None:
        return "skipped"
    try:
        return await _audit(runs, settings, claim)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if final:
            runs.finish(claim, failed=f"{type(exc).__name__}: {_one_line(exc)}")
        raise


async def _audit(runs: ScheduledRuns, settings: WorkerSettings, claim: Claim) -> str:
    if claim.site != settings.site:  # the queue routes by site; a mismatch is a bug
        raise RuntimeError(f"job {claim.job_id} is for site {claim.site!r}, not {settings.site!r}")
    plan = claim.plan
    profile = profile_from_text(plan["profile_text"], plan["profile_source"],
                                reflector=plan.get("reflector"),
                                expected_networks=plan.get("expected_networks", ()))  # fmt: skip
    load = await asyncio.to_thread(load_inventory, settings.inventories,
                                   vault_password_file=settings.vault_password_file)  # fmt: skip
    wanted = set(claim.hosts)
    mine = {t.name: t for t in load.targets if t.name in wanted and t.customer == claim.customer}
    targets = [mine[name] for name in claim.hosts if name in mine]
    problems = [p for p in load.problems if p.host in mine]
    stamped = _Stamped(runs, claim, settings.vantage())
    if targets:
        transports = settings_for(profile.timeouts, settings.host_key_policy,
                                  settings.ssh_config, settings.known_hosts)  # fmt: skip
        msp = await asyncio.to_thread(settings.teamviewer.get, claim.run_id)
        if warning := msp.warning():
            say(warning)
        with Transports(transports, forks=settings.forks) as make:
            engine = Engine(profile, make, forks=settings.forks, events=stamped, msp=msp)
            results = await engine.run(targets, problems)
        for result in results:  # unusable inventory entries: reported, never contacted
            if result.name not in stamped.seen:
                stamped.host_finished(result)
    if stamped.refused:
        return "lost"
    absent = [name for name in claim.hosts if name not in mine]
    inventories = ", ".join(settings.inventories)
    own = [site_problem(claim.site, claim.customer, f"not in this site's inventory "
                        f"({inventories}): {', '.join(absent)}")] if absent else []  # fmt: skip
    own += [site_problem(claim.site, claim.customer, p.one_line())
            for p in load.problems if not p.host]  # fmt: skip
    runs.finish(claim, problems=own)
    return "done"


def say(line: str) -> None:
    """One line of the worker's log (stderr: the journal under systemd)."""
    print(f"auditor: {line}", file=sys.stderr, flush=True)


def worker_name(site: str) -> str:
    return f"{site}/{socket.gethostname()}:{os.getpid()}"


def _one_line(exc: BaseException, limit: int = 200) -> str:
    return " ".join(str(exc).split())[:limit]
