"""``auditor status``: each site's queue, the workers seen, runs in progress, each customer's
last run. Read-only, except that runs past their deadline are closed first (so the page
never shows a run as waiting that can no longer finish)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.history.jobs import CustomerRun, JobState, ScheduledRuns
from auditor.history.store import HistoryStore
from auditor.history.tables import WorkerRow
from auditor.sites import queue
from auditor.sites.worker import close_overdue

WORKERS_SINCE = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    site: str
    waiting: int
    running: int
    failed: int
    done: int


@dataclass(frozen=True, slots=True)
class Status:
    store: str
    now: datetime
    queues: tuple[QueueCounts, ...]
    workers: tuple[WorkerRow, ...]
    open_runs: tuple[tuple[str, datetime, datetime | None, tuple[JobState, ...]], ...]
    customers: tuple[CustomerRun, ...]


def gather(db: str) -> Status:
    queue.conninfo(db)  # PostgreSQL only: a usage error otherwise
    store = HistoryStore.open(db)
    try:
        runs = ScheduledRuns(store)
        counts = asyncio.run(_queues(db, runs))
        now = datetime.now(UTC)
        return Status(
            store=store.shown, now=now, queues=tuple(counts),
            workers=tuple(runs.workers(now - WORKERS_SINCE)),
            open_runs=tuple((r, s, d, tuple(j)) for r, s, d, j in runs.open_runs()),
            customers=tuple(runs.last_per_customer()),
        )  # fmt: skip
    finally:
        store.close()


async def _queues(db: str, runs: ScheduledRuns) -> list[QueueCounts]:
    app = queue.make_app(db)
    async with app.open_async():
        await queue.ensure_schema(app)
        await close_overdue(app, runs)
        found: list[dict[str, Any]] = list(await app.job_manager.list_queues_async())
    counts = []
    for row in found:
        site = queue.site_of(row["name"])
        if site is None:
            continue
        counts.append(QueueCounts(site, row["todo"], row["doing"], row["failed"],
                                  row["succeeded"]))  # fmt: skip
    return sorted(counts, key=lambda c: c.site)


def format_status(status: Status, *, alive_s: float = 20.0) -> str:
    """The terminal page; times in this machine's zone. A worker reports itself every few
    seconds (its sweep): silent for ``alive_s`` means it is probably gone."""
    lines = [f"history store {status.store}", "", "queues"]
    if status.queues:
        lines.append(f"  {'site':<20} {'waiting':>8} {'running':>8} {'failed':>8} {'done':>8}")
        lines += [f"  {_shown(q.site):<20} {q.waiting:>8} {q.running:>8} {q.failed:>8} {q.done:>8}"
                  for q in status.queues]  # fmt: skip
    else:
        lines.append("  (no job was ever queued)")
    lines += ["", f"workers seen since {_when(status.now - WORKERS_SINCE)}"]
    for worker in status.workers:
        if worker.stopped_at is not None:
            state = f"stopped {_when(worker.stopped_at)}"
        elif (ago := (status.now - _aware(worker.last_seen)).total_seconds()) <= alive_s:
            state = f"alive (seen {ago:.0f} s ago)"
        else:
            state = f"silent since {_when(worker.last_seen)} (dead? its jobs go to another worker)"
        lines.append(f"  {_shown(worker.name):<40} auditor {worker.auditor_version:<10} "
                     f"{state}, {worker.jobs_done} jobs")  # fmt: skip
    if not status.workers:
        lines.append("  (none)")
    lines += ["", "runs in progress"]
    for run_id, started, deadline, jobs in status.open_runs:
        finished = sum(1 for j in jobs if j.status == "done")
        until = f", deadline {_when(deadline)}" if deadline else ""
        lines.append(f"  {run_id[:8]} started {_when(started)}{until}: "
                     f"{finished}/{len(jobs)} jobs done")  # fmt: skip
        for job in jobs:
            if job.status != "done":
                who = f" by {_shown(job.worker)}" if job.worker and job.status == "running" else ""
                lines.append(f"    {job.status:<8} site {_shown(job.site)}: "
                             f"{_shown(job.customer)}, {job.hosts} hosts{who}")  # fmt: skip
    if not status.open_runs:
        lines.append("  (none)")
    lines += ["", "last run per customer"]
    for c in status.customers:
        lines.append(f"  {_shown(c.customer):<30} {_when(c.started_at)}  {c.run_id[:8]}  "
                     f"{c.status:<11} {c.compliant}/{c.recorded} hosts compliant")  # fmt: skip
    if not status.customers:
        lines.append("  (none)")
    return "\n".join(lines)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _when(moment: datetime) -> str:
    return _aware(moment).astimezone().strftime("%Y-%m-%d %H:%M")


def _shown(text: str) -> str:
    """Untrusted names (inventory, worker hosts) made safe for a terminal."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
