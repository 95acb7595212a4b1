"""One audit run from start to files: inventory + profile -> engine -> results -> reports.

This is the only place that wires the stages together; each stage stays
ignorant of the others. The exit code is derived from the results alone, so
monitoring can trust it (table in the README).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import resource
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from auditor import __version__
from auditor.atomic import private_dir
from auditor.engine import Engine, EngineEvents, Fanout, NoEvents, now_iso
from auditor.errors import InventoryError, Terminated
from auditor.history.changes import RunChanges
from auditor.inventory import InventoryLoad, load_inventory
from auditor.model import INTERRUPTED_SOURCE, HostResult, InventoryProblem, RunResult, Stage, Target
from auditor.profile import Profile
from auditor.report.survey import SurveyNote
from auditor.report.write import write_reports
from auditor.results.io import write_results
from auditor.teamviewer.api import ApiAccess, msp_devices
from auditor.transports.registry import Transports, TransportSettings

if TYPE_CHECKING:
    from auditor.history.recorder import Recorder
    from auditor.history.store import HistoryStore


class ExitCode(enum.IntEnum):
    """What ``auditor run`` exits with; the worst applicable code wins."""

    COMPLIANT = 0  # every host audited and compliant
    NOT_COMPLIANT = 1  # every host audited, at least one fails a requirement
    INCOMPLETE = 2  # at least one host could not be audited (or an inventory entry is unusable)
    SECURITY = 3  # at least one host presented a changed host key
    USAGE = 4  # bad command line, profile or inventory: nothing audited
    INTERNAL = 5  # a bug in the auditor
    BUSY = 6  # another run holds the history store: nothing audited
    MAIL = 7  # the run completed, but some customer's report could not be mailed


@dataclass(frozen=True, slots=True)
class RunOptions:
    inventories: tuple[str, ...]
    out_dir: Path
    limit: str | None = None
    vault_password_file: str | None = None
    forks: int = 50
    lang: str = "de"
    timezone: str | None = None  # IANA zone for report times; None = this machine's zone
    db: str | None = None  # history store URL; None = the default (history/store.py)
    history: bool = True  # --no-history: nothing read or written
    metrics: Path | None = None  # Prometheus textfile
    teamviewer_api: ApiAccess | None = None  # cross-check the MSP's managed TeamViewer devices


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """A finished run: the result, where its files are, what changed, what went wrong aside."""

    run: RunResult
    out_dir: Path
    changes: RunChanges | None = None
    store: str | None = None  # the history store, password hidden
    warnings: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()  # what the inventory said (recipients for --mail)


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
) -> RunOutcome:
    """Run the audit; history (when on) is locked for the whole run and written as it goes."""
    load = load_inventory(
        options.inventories, vault_password_file=options.vault_password_file, limit=options.limit
    )
    if not load.targets:
        reasons = "; ".join(p.one_line() for p in load.problems) or "no hosts matched"
        raise InventoryError(f"nothing to audit: {reasons}")
    return execute_loaded(options, profile, transports, load, events)


def execute_loaded(
    options: RunOptions,
    profile: Profile,
    transports: TransportSettings,
    load: InventoryLoad,
    events: EngineEvents | None = None,
    survey: SurveyNote | None = None,
) -> RunOutcome:
    """Audit targets already loaded (a survey's draft inventory, ``check-here``'s machine).

    ``survey`` marks the reports as a survey before the contract and lists what
    was found but could not be audited.
    """
    raise_open_files()
    store = _store(options)
    with store.run_lock() if store else contextlib.nullcontext():
        outcome = _audit(options, profile, transports, events, load, store, survey)
    if store is not None:
        store.close()
    return outcome


def raise_open_files() -> int:
    """Raise the soft open-file limit to the hard one; the limit now in force.

    Each host in flight holds a few descriptors (its connection, pipes, a
    jump host's channel); a distribution's default soft limit of 1024 would
    cap a large ``--forks`` long before memory or CPU do.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _store(options: RunOptions) -> HistoryStore | None:
    if not options.history:
        return None
    from auditor.history.store import HistoryStore

    return HistoryStore.open(options.db)


def _audit(
    options: RunOptions,
    profile: Profile,
    transports: TransportSettings,
    events: EngineEvents | None,
    load: InventoryLoad,
    store: HistoryStore | None,
    survey: SurveyNote | None = None,
) -> RunOutcome:
    clock = time.monotonic()
    msp = msp_devices(options.teamviewer_api)  # once per run, before any host is judged
    run = dataclasses.replace(new_run(profile, tuple(options.inventories), load),
                              teamviewer_api=msp.record())  # fmt: skip
    recorder = None
    if store is not None:
        store.interrupt_stale()
        store.begin_run(run)
        recorder = _recorder(store, run)
    finished = _Finished()
    try:
        with Transports(transports, forks=options.forks) as make:
            engine = Engine(profile, make, forks=options.forks,
                            events=Fanout(events, recorder, finished), msp=msp)  # fmt: skip
            hosts = asyncio.run(engine.run(load.targets, load.problems))
        if recorder is not None:
            recorder.record_rest(hosts)
    except BaseException as stop:  # Ctrl-C, SIGTERM, a bug: the hosts written so far stay
        if store is not None:
            store.mark_interrupted(run.run_id)
        if isinstance(stop, KeyboardInterrupt | Terminated):
            _publish_interrupted(run, options, load, finished.hosts, survey)
        raise
    run = dataclasses.replace(
        run, finished_at=now_iso(), hosts=tuple(sorted(hosts, key=lambda h: (h.customer, h.name)))
    )
    warning = msp.warning()
    warnings: tuple[str, ...] = (warning,) if warning else ()
    changes = None
    if store is not None and recorder is not None:
        warnings += tuple(f"history: host not recorded: {f}" for f in recorder.failures)
        store.finish_run(run, status="interrupted" if recorder.failures else "complete")
        changes = store.changes(run.run_id)
    publish(run, options, changes, time.monotonic() - clock, survey)
    return RunOutcome(run, options.out_dir, changes, store.shown if store else None, warnings,
                      tuple(load.targets))  # fmt: skip


class _Finished(NoEvents):
    """The hosts finished so far: what an interrupted run can still report."""

    def __init__(self) -> None:
        self.hosts: list[HostResult] = []

    def host_finished(self, result: HostResult) -> None:
        self.hosts.append(result)


def _publish_interrupted(
    run: RunResult,
    options: RunOptions,
    load: InventoryLoad,
    finished: list[HostResult],
    survey: SurveyNote | None,
) -> None:
    """Reports and results for the hosts that finished before the stop; the others are
    named per customer as not audited. A failure here never hides the interruption."""
    done = {(h.customer, h.name) for h in finished}
    missing: dict[str, list[str]] = {}
    for target in load.targets:
        if (target.customer, target.name) not in done:
            missing.setdefault(target.customer, []).append(target.name)
    gaps = tuple(
        InventoryProblem(INTERRUPTED_SOURCE, f"{customer}: {len(names)} hosts not audited (the "
                         f"run was stopped before they finished): {', '.join(names)}", customer=customer)
        for customer, names in sorted(missing.items())
    )  # fmt: skip
    partial = dataclasses.replace(
        run, finished_at=now_iso(), problems=(*run.problems, *gaps),
        hosts=tuple(sorted(finished, key=lambda h: (h.customer, h.name))),
    )  # fmt: skip
    try:
        publish(partial, dataclasses.replace(options, metrics=None), None, 0.0, survey)
    except Exception as exc:  # said, then the interruption goes on as it was
        print(f"auditor: the reports of the finished hosts could not be written: {exc}",
              file=sys.stderr)  # fmt: skip


def publish(
    run: RunResult,
    options: RunOptions,
    changes: RunChanges | None,
    duration_s: float,
    survey: SurveyNote | None = None,
) -> None:
    """A finished run's files: results.json, the reports and (if asked) the metrics.

    The same for a run audited here and one gathered from workers (``auditor schedule``).
    """
    private_dir(options.out_dir)
    write_results(run, options.out_dir)
    write_reports(run, options.out_dir, lang=options.lang, timezone=options.timezone,
                  changes=changes, survey=survey)  # fmt: skip
    if options.metrics is not None:
        from auditor.metrics import write_metrics

        write_metrics(run, options.metrics, exit_code=exit_code_for(run), duration_s=duration_s)


def new_run(profile: Profile, inventories: tuple[str, ...], load: InventoryLoad) -> RunResult:
    """A run about to start: no hosts yet; the inventory's host-less problems."""
    started = now_iso()
    return RunResult(
        run_id=str(uuid.uuid4()),
        started_at=started,
        finished_at=started,
        auditor_version=__version__,
        profile_name=profile.name,
        profile_version=str(profile.version),
        checks=profile.check_infos,
        expected_networks=tuple(str(net) for net in profile.expected_networks),
        reflector=str(profile.reflector) if profile.reflector else None,
        inventory_sources=inventories,
        hosts=(),
        problems=tuple(p for p in load.problems if not p.host),
    )


def _recorder(store: HistoryStore, run: RunResult) -> Recorder:
    from auditor.history.recorder import Recorder

    return Recorder(store, run.run_id, run.started_at)
