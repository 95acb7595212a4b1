"""``auditor schedule``: a run's jobs onto each site's queue, and (``--wait``) its reports.

The scheduler reads the inventory only for names, customers and sites; the
credentials are read where they are used, by each site's worker. The run row
carries what every worker must audit by (the profile's text, reflector,
expected networks), so all sites judge one run by one profile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.errors import InventoryError
from auditor.history.jobs import JobPlan, ScheduledRuns
from auditor.history.store import HistoryStore
from auditor.inventory import load_inventory
from auditor.profile.load import profile_from_text, read_source
from auditor.run import new_run
from auditor.sites import queue
from auditor.sites.plan import plan_jobs

WAIT_POLL_S = 2.0


@dataclass(frozen=True, slots=True)
class ScheduleOptions:
    inventories: tuple[str, ...]
    db: str
    limit: str | None = None
    vault_password_file: str | None = None
    profile_path: str | None = None
    reflector: str | None = None
    expected_networks: tuple[str, ...] = ()
    chunk: int = 200  # hosts per job at most
    deadline_s: float = 6 * 3600.0  # from scheduling until the run is closed, done or not


@dataclass(frozen=True, slots=True)
class Scheduled:
    run_id: str
    deadline: datetime
    jobs: tuple[JobPlan, ...]


def schedule(options: ScheduleOptions) -> Scheduled:
    """Write the run and its jobs, and queue each job at its site."""
    text, source = read_source(options.profile_path)
    profile = profile_from_text(text, source, reflector=options.reflector,
                                expected_networks=options.expected_networks)  # fmt: skip
    queue.conninfo(options.db)  # a usage error before anything is read
    load = load_inventory(options.inventories, vault_password_file=options.vault_password_file,
                          limit=options.limit)  # fmt: skip
    if not load.targets:
        reasons = "; ".join(p.one_line() for p in load.problems) or "no hosts matched"
        raise InventoryError(f"nothing to schedule: {reasons}")
    jobs = plan_jobs(load.targets, options.chunk)
    run = new_run(profile, options.inventories, load)
    plan = {"profile_text": text, "profile_source": source, "reflector": options.reflector,
            "expected_networks": list(options.expected_networks)}  # fmt: skip
    deadline = datetime.now(UTC) + timedelta(seconds=options.deadline_s)
    store = HistoryStore.open(options.db)
    try:
        runs = ScheduledRuns(store)
        job_ids = runs.create(run, plan, deadline, jobs)
        try:
            asyncio.run(_enqueue(options.db, run.run_id, list(zip(job_ids, jobs, strict=True)),
                                 runs))  # fmt: skip
        except BaseException as exc:
            runs.abandon(run.run_id, f"queueing failed: {type(exc).__name__}")
            raise
    finally:
        store.close()
    return Scheduled(run.run_id, deadline, tuple(jobs))


async def _enqueue(
    db: str, run_id: str, jobs: list[tuple[int, JobPlan]], runs: ScheduledRuns
) -> None:
    app = queue.make_app(db)
    async with app.open_async():
        await queue.ensure_schema(app)
        for job_id, job in jobs:
            deferrer = app.configure_task(queue.TASK, queue=queue.queue_of(job.site))
            queued = await deferrer.defer_async(
                run_id=run_id, job_id=job_id, customer=job.customer, hosts=list(job.hosts)
            )
            runs.set_queue_job(job_id, queued)


async def _close_overdue(db: str, runs: ScheduledRuns) -> None:
    from auditor.sites.worker import close_overdue

    app = queue.make_app(db)
    async with app.open_async():
        await close_overdue(app, runs)


def wait(
    db: str,
    run_id: str,
    *,
    poll_s: float = WAIT_POLL_S,
    on_progress: Callable[[str, list[Any]], None] | None = None,
) -> str:
    """Wait until run ``run_id`` has ended (all jobs, or its deadline); its final status."""
    store = HistoryStore.open(db)
    try:
        runs = ScheduledRuns(store)
        while True:
            status, deadline, jobs = runs.status_of(run_id)
            if on_progress is not None:
                on_progress(status, jobs)
            if status != "running":
                return status
            if deadline is not None and datetime.now(UTC) >= deadline:
                asyncio.run(_close_overdue(db, runs))
                continue
            time.sleep(poll_s)
    finally:
        store.close()
