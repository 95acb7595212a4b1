"""``auditor worker``: runs the jobs of one site's queue, where that site's hosts are reachable.

Beside procrastinate's worker loop, a *sweep* runs every few seconds:

* jobs of this site whose worker stopped sending heartbeats (killed, its
  machine gone) go back on the queue for another worker of the site, at
  most :data:`queue.RETRIES` times, then fail for good;
* scheduled runs past their deadline are closed as incomplete (any worker
  may do it; the store's row locks make it happen once);
* the worker reports itself (``auditor status`` lists the workers seen);
* once an hour, queue jobs finished more than a week ago are deleted (the
  run and its job rows in the history store stay);
* with ``--exit-when-idle`` it stops once its queue holds nothing to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from auditor import __version__
from auditor.history.jobs import ScheduledRuns
from auditor.history.store import HistoryStore
from auditor.sites import queue
from auditor.sites.job import WorkerSettings, run_attempt, say, worker_name

RETRY_WAIT_S = 10  # a failed attempt is tried again after this long
KEEP_QUEUE_JOBS_H = 7 * 24  # finished jobs stay on the queue this long (the runs stay forever)
PRUNE_EVERY_S = 3600.0


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    db: str
    settings: WorkerSettings
    concurrency: int = 1  # jobs at once
    exit_when_idle: bool = False
    stalled_after_s: float = 30.0  # no heartbeat for this long: the worker is taken for dead
    sweep_s: float = 5.0


def run_worker(options: WorkerOptions) -> int:
    """Run until stopped (SIGTERM, Ctrl-C: running jobs finish first) or idle."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    settings = replace(options.settings, name=worker_name(options.settings.site))
    return asyncio.run(_main(replace(options, settings=settings)))


async def _main(options: WorkerOptions) -> int:
    from procrastinate import RetryStrategy

    settings = options.settings
    site_queue = queue.queue_of(settings.site)
    store = HistoryStore.open(options.db)
    runs = ScheduledRuns(store)
    app = queue.make_app(options.db, pool_size=options.concurrency + 2)
    done = _Counter()

    async def audit_job(context: Any, run_id: str, job_id: int, **_shown: Any) -> str:
        attempt = int(context.job.attempts)
        clock = time.monotonic()
        outcome = await run_attempt(runs, settings, job_id, attempt,
                                    final=attempt >= queue.RETRIES)  # fmt: skip
        done.add()
        say(f"job {job_id} of run {run_id[:8]} (attempt {attempt + 1}): {outcome} "
             f"in {time.monotonic() - clock:.1f} s")  # fmt: skip
        return outcome

    app.task(name=queue.TASK, queue=site_queue, pass_context=True,
             retry=RetryStrategy(max_attempts=queue.RETRIES, wait=RETRY_WAIT_S))(audit_job)  # fmt: skip
    async with app.open_async():
        await queue.ensure_schema(app)
        runs.worker_seen(settings.name, settings.site, __version__)
        say(f"worker {settings.name} (auditor {__version__}) runs the jobs of {site_queue}")
        work = asyncio.create_task(app.run_worker_async(
            queues=[site_queue], name=settings.name, concurrency=options.concurrency,
            update_heartbeat_interval=max(1.0, options.stalled_after_s / 6),
            stalled_worker_timeout=options.stalled_after_s, install_signal_handlers=True,
            fetch_job_polling_interval=options.sweep_s,
        ))  # fmt: skip
        sweeper = asyncio.create_task(_sweep(app, runs, options, work, done))
        try:
            await work
        except asyncio.CancelledError:
            if not work.cancelled():  # we were cancelled ourselves, not the idle stop
                raise
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            runs.worker_stopped(settings.name)
            store.close()
    say(f"worker {settings.name} stopped")
    return 0


class _Counter:
    def __init__(self) -> None:
        self.value = 0

    def add(self) -> None:
        self.value += 1

    def take(self) -> int:
        taken, self.value = self.value, 0
        return taken


async def _sweep(
    app: Any, runs: ScheduledRuns, options: WorkerOptions, work: asyncio.Task[Any], done: _Counter
) -> None:
    settings = options.settings
    site_queue = queue.queue_of(settings.site)
    pruned = 0.0
    while True:
        await asyncio.sleep(options.sweep_s)
        try:
            await retry_stalled(app, runs, site_queue, options.stalled_after_s)
            await close_overdue(app, runs)
            if time.monotonic() - pruned >= PRUNE_EVERY_S:
                await app.job_manager.delete_old_jobs(
                    nb_hours=KEEP_QUEUE_JOBS_H, queue=site_queue, include_failed=True,
                    include_cancelled=True, include_aborted=True,
                )  # fmt: skip
                pruned = time.monotonic()
            runs.worker_seen(settings.name, settings.site, __version__, done=done.take())
            if options.exit_when_idle and await _idle(app, site_queue):
                work.cancel()  # procrastinate's graceful stop: nothing is running
                return
        except Exception as exc:  # the database away for a moment: try again next sweep
            say(f"sweep: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")


async def retry_stalled(app: Any, runs: ScheduledRuns, site_queue: str, after_s: float) -> int:
    """Put the jobs of dead workers of this site back on the queue; how many were moved."""
    from procrastinate.jobs import Status

    stalled = await app.job_manager.get_stalled_jobs(
        queue=site_queue, task_name=queue.TASK, seconds_since_heartbeat=after_s
    )
    moved = 0
    for job in stalled:
        job_id = int(job.task_kwargs.get("job_id", 0))
        try:
            if job.attempts >= queue.RETRIES:
                await app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
                runs.fail(job_id, f"its worker stopped answering ({job.attempts + 1} attempts)")
                say(f"job {job_id}: its worker died on the last attempt; failed")
            else:
                await app.job_manager.retry_job(job, retry_at=datetime.now(UTC))
                say(f"job {job_id}: its worker stopped answering; back on {site_queue}")
                moved += 1
        except Exception as exc:  # another worker of the site moved it first
            say(f"job {job_id}: not moved ({' '.join(str(exc).split())[:120]})")
    return moved


async def close_overdue(app: Any, runs: ScheduledRuns) -> list[str]:
    """Close the runs past their deadline; cancel their jobs still on a queue."""
    closed = runs.expire_overdue()
    for run_id, queue_jobs in closed:
        for queue_job in queue_jobs:
            await app.job_manager.cancel_job_by_id_async(queue_job, abort=True)
        say(f"run {run_id[:8]}: deadline passed; marked incomplete")
    return [run_id for run_id, _ in closed]


async def _idle(app: Any, site_queue: str) -> bool:
    for status in ("todo", "doing"):
        if list(await app.job_manager.list_jobs_async(queue=site_queue, status=status)):
            return False
    return True
