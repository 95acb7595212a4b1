"""Scheduled runs in the history store: their jobs, who may record hosts, and when they end.

``auditor schedule`` writes the run (``origin`` schedule, a deadline, the
plan its workers audit by) and one job row per customer (or chunk) and
site. A worker *claims* a job for one attempt; only the attempt holding the
claim may record hosts, and a host already in the run is never recorded
again. So a worker that dies mid-job loses nothing it recorded, and the
retry audits only the hosts still missing: no host is audited twice into
one run.

A run ends when its last job does (``complete``, or ``incomplete`` if a job
failed for good), or when its deadline passes first (``incomplete``; the
jobs not done are ``missed``). An incomplete run names, per site and
customer, the hosts it does not hold, as problems of the run: every report,
mail and exit code built from it says so.

Row locks order: run before job. Only PostgreSQL runs scheduled jobs (the
queue lives there); the code stays portable SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, select, tuple_
from sqlalchemy.orm import Session

from auditor.errors import HistoryError
from auditor.history.store import HistoryStore, run_row, utc
from auditor.history.tables import HostRow, JobRow, RunRow, WorkerRow
from auditor.model import SITE_SOURCE, HostResult, RunResult

FINAL = frozenset({"done", "failed", "missed"})
SHOWN_HOSTS = 8  # names listed in one "not audited" problem before "and N more"


@dataclass(frozen=True, slots=True)
class JobPlan:
    """What one job audits: hosts of one customer, reached from one site."""

    site: str
    customer: str
    hosts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Claim:
    """One attempt's right to record the hosts of a job; ``hosts`` are those still missing."""

    job_id: int
    run_id: str
    started_at: str  # the run's start: every host row of the run carries it
    site: str
    customer: str
    worker: str
    attempt: int
    hosts: tuple[str, ...]
    plan: dict[str, Any]


@dataclass(frozen=True, slots=True)
class JobState:
    """A job as ``auditor status`` and ``schedule --wait`` show it."""

    id: int
    site: str
    customer: str
    hosts: int
    status: str
    attempt: int
    worker: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class CustomerRun:
    """A customer's last run: when, how it ended, how many hosts it holds of how many."""

    customer: str
    run_id: str
    started_at: datetime
    status: str
    recorded: int
    compliant: int


class ScheduledRuns:
    """The scheduled-run operations of one :class:`HistoryStore`."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store

    # --- scheduling ----------------------------------------------------------------------
    def create(
        self, run: RunResult, plan: dict[str, Any], deadline: datetime, jobs: Sequence[JobPlan]
    ) -> list[int]:
        """The run row (``running``, origin ``schedule``) and its job rows; their ids."""
        with self.store.transaction() as session:
            row = run_row(run, status="running", origin="schedule")
            row.deadline_at, row.plan = deadline, plan
            session.add(row)
            made = [JobRow(run_id=run.run_id, site=j.site, customer=j.customer,
                           hosts=list(j.hosts), status="queued", attempt=0) for j in jobs]  # fmt: skip
            session.add_all(made)
            session.flush()
            return [job.id for job in made]

    def set_queue_job(self, job_id: int, queue_job_id: int) -> None:
        with self.store.transaction() as session:
            job = session.get(JobRow, job_id)
            if job is not None:
                job.queue_job_id = queue_job_id

    def abandon(self, run_id: str, reason: str) -> None:
        """A run whose jobs could not all be queued: ``interrupted``, with the reason."""
        with self.store.transaction() as session:
            run = session.get(RunRow, run_id, with_for_update=True)
            if run is None or run.status != "running":
                return
            for job in _jobs(session, run_id):
                if job.status not in FINAL:
                    job.status, job.error = "missed", reason
            run.status, run.finished_at = "interrupted", datetime.now(UTC)

    # --- one attempt of one job -----------------------------------------------------------
    def claim(self, job_id: int, worker: str, attempt: int) -> Claim | None:
        """Take job ``job_id`` for this attempt; None if its run or the job is already over."""
        with self.store.transaction() as session:
            job = session.get(JobRow, job_id, with_for_update=True)
            if job is None or job.status in FINAL:
                return None
            run = session.get(RunRow, job.run_id)
            if run is None or run.status != "running":
                return None
            if run.deadline_at is not None and utc(run.deadline_at) <= datetime.now(UTC):
                return None  # too late to start: the next sweep closes the run
            job.status, job.worker, job.attempt = "running", worker, attempt
            job.started_at, job.error = datetime.now(UTC), None
            recorded = _recorded(session, job.run_id, job.customer, job.hosts)
            return Claim(
                job_id=job.id, run_id=job.run_id, started_at=utc(run.started_at).isoformat(),
                site=job.site, customer=job.customer, worker=worker, attempt=attempt,
                hosts=tuple(h for h in job.hosts if h not in recorded), plan=dict(run.plan or {}),
            )  # fmt: skip

    def record_host(self, claim: Claim, host: HostResult) -> bool:
        """Record one audited host; False (nothing written) if the claim was lost or the
        host is already in the run."""
        with self.store.transaction() as session:
            job = session.get(JobRow, claim.job_id, with_for_update=True)
            if job is None or not _holds(job, claim) or host.name not in job.hosts:
                return False
            if _recorded(session, claim.run_id, host.customer, [host.name]):
                return False
            session.add(self.store.host_row(session, claim.run_id, utc(claim.started_at), host))
            return True

    def finish(
        self, claim: Claim, *, failed: str | None = None, problems: Sequence[dict[str, Any]] = ()
    ) -> str | None:
        """End this attempt: ``done``, or ``failed`` for good with the reason.

        ``problems`` are the worker's own (a host not in its inventory). Returns
        the run's new status if this was its last job, else None.
        """
        with self.store.transaction() as session:
            run = session.get(RunRow, claim.run_id, with_for_update=True)
            job = session.get(JobRow, claim.job_id, with_for_update=True)
            if run is None or job is None or not _holds(job, claim):
                return None
            job.status = "failed" if failed else "done"
            job.error, job.finished_at = failed, datetime.now(UTC)
            if problems:
                run.problems = [*run.problems, *problems]
            return self._close_if_last(session, run)

    def fail(self, job_id: int, reason: str) -> str | None:
        """A job given up on outside any attempt (its worker died too often)."""
        with self.store.transaction() as session:
            job = session.get(JobRow, job_id)
            if job is None or job.status in FINAL:
                return None
            # the lock order is run, then job: read the job's run first, lock both, look again
            run = session.get(RunRow, job.run_id, with_for_update=True)
            job = session.get(JobRow, job_id, with_for_update=True, populate_existing=True)
            if run is None or job is None or job.status in FINAL:
                return None
            job.status, job.error, job.finished_at = "failed", reason, datetime.now(UTC)
            return self._close_if_last(session, run)

    # --- deadlines --------------------------------------------------------------------
    def expire_overdue(self, now: datetime | None = None) -> list[tuple[str, list[int]]]:
        """Close every scheduled run past its deadline as ``incomplete``.

        Returns each such run with the queue job ids of its jobs that were not
        done (for the caller to cancel on the queue).
        """
        moment = now or datetime.now(UTC)
        with self.store.transaction() as session:
            due = session.scalars(
                select(RunRow.id).where(RunRow.origin == "schedule", RunRow.status == "running",
                                        RunRow.deadline_at < moment)
            ).all()  # fmt: skip
        closed = []
        for run_id in due:
            with self.store.transaction() as session:
                run = session.get(RunRow, run_id, with_for_update=True)
                if run is None or run.status != "running":
                    continue
                cancel = []
                for job in _jobs(session, run_id, lock=True):
                    if job.status not in FINAL:
                        job.status, job.finished_at = "missed", moment
                        job.error = "the run's deadline passed first"
                        if job.queue_job_id is not None:
                            cancel.append(job.queue_job_id)
                self._close_if_last(session, run)
                closed.append((run_id, cancel))
        return closed

    # --- workers --------------------------------------------------------------------
    def worker_seen(self, name: str, site: str, version: str, *, done: int = 0) -> None:
        """A worker's sign of life (at start, then every sweep); ``done`` jobs since the last."""
        now = datetime.now(UTC)
        with self.store.transaction() as session:
            row = session.get(WorkerRow, name, with_for_update=True)
            if row is None:
                session.add(WorkerRow(name=name, site=site, auditor_version=version,
                                      started_at=now, last_seen=now, jobs_done=done))  # fmt: skip
            else:
                row.last_seen, row.stopped_at = now, None
                row.jobs_done += done

    def worker_stopped(self, name: str) -> None:
        with self.store.transaction() as session:
            row = session.get(WorkerRow, name)
            if row is not None:
                row.stopped_at = datetime.now(UTC)

    def workers(self, since: datetime) -> list[WorkerRow]:
        """Workers seen since ``since``, by site and name."""
        with self.store.transaction() as session:
            return list(session.scalars(
                select(WorkerRow).where(WorkerRow.last_seen >= since)
                .order_by(WorkerRow.site, WorkerRow.name)
            ).all())  # fmt: skip

    # --- reading ----------------------------------------------------------------------
    def status_of(self, run_id: str) -> tuple[str, datetime | None, list[JobState]]:
        """A run's status, deadline and jobs."""
        with self.store.transaction() as session:
            run = session.get(RunRow, run_id)
            if run is None:
                raise HistoryError(f"history store {self.store.shown}: no run {run_id!r}")
            jobs = [_job_state(j) for j in _jobs(session, run_id)]
            deadline = utc(run.deadline_at) if run.deadline_at else None
            return run.status, deadline, jobs

    def open_runs(self) -> list[tuple[str, datetime, datetime | None, list[JobState]]]:
        """Scheduled runs still running: id, start, deadline, jobs."""
        with self.store.transaction() as session:
            runs = session.scalars(
                select(RunRow).where(RunRow.origin == "schedule", RunRow.status == "running")
                .order_by(RunRow.started_at)
            ).all()  # fmt: skip
            return [(r.id, utc(r.started_at), utc(r.deadline_at) if r.deadline_at else None,
                     [_job_state(j) for j in _jobs(session, r.id)]) for r in runs]  # fmt: skip

    def last_per_customer(self) -> list[CustomerRun]:
        """Each customer's latest run that holds any of its hosts (two queries in all)."""
        if self.store.engine.dialect.name != "postgresql":  # scheduled runs live there only
            return []
        with self.store.transaction() as session:
            latest = session.execute(
                select(HostRow.customer, HostRow.run_id, RunRow.started_at, RunRow.status)
                .join(RunRow, HostRow.run_id == RunRow.id)
                .distinct(HostRow.customer)
                .order_by(HostRow.customer, RunRow.started_at.desc())
            ).all()  # fmt: skip
            pairs = [(customer, run_id) for customer, run_id, _, _ in latest]
            counts = {
                (customer, run_id): (int(hosts), int(compliant or 0))
                for customer, run_id, hosts, compliant in session.execute(
                    select(HostRow.customer, HostRow.run_id, func.count(),
                           func.sum(case((HostRow.compliant, 1), else_=0)))
                    .where(tuple_(HostRow.customer, HostRow.run_id).in_(pairs))
                    .group_by(HostRow.customer, HostRow.run_id)
                ).all()
            } if pairs else {}  # fmt: skip
            return [CustomerRun(customer, run_id, utc(started), status,
                                *counts.get((customer, run_id), (0, 0)))
                    for customer, run_id, started, status in latest]  # fmt: skip

    # --- closing a run -----------------------------------------------------------------
    def _close_if_last(self, session: Session, run: RunRow) -> str | None:
        jobs = _jobs(session, run.id)
        if any(job.status not in FINAL for job in jobs) or run.status != "running":
            return None
        # A done job's missing hosts were named by its worker (not in its inventory).
        gaps = any(_recorded(session, run.id, j.customer, j.hosts) != set(j.hosts) for j in jobs)
        missing = [p for job in jobs if job.status != "done"
                   for p in _not_audited(session, run, job)]  # fmt: skip
        run.status = "incomplete" if gaps else "complete"
        run.problems = [*run.problems, *missing]
        run.finished_at = datetime.now(UTC)
        return run.status


def _jobs(session: Session, run_id: str, *, lock: bool = False) -> list[JobRow]:
    query = select(JobRow).where(JobRow.run_id == run_id).order_by(JobRow.id)
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query).all())


def _recorded(session: Session, run_id: str, customer: str, names: Sequence[str]) -> set[str]:
    found = session.scalars(
        select(HostRow.name).where(HostRow.run_id == run_id, HostRow.customer == customer,
                                   HostRow.name.in_(list(names)))
    ).all()  # fmt: skip
    return set(found)


def _holds(job: JobRow, claim: Claim) -> bool:
    return job.status == "running" and job.worker == claim.worker and job.attempt == claim.attempt


def _not_audited(session: Session, run: RunRow, job: JobRow) -> list[dict[str, Any]]:
    """The problem naming the hosts of ``job`` its run does not hold (none if all are in)."""
    recorded = _recorded(session, run.id, job.customer, job.hosts)
    missing = [h for h in job.hosts if h not in recorded]
    if not missing:
        return []
    shown = ", ".join(missing[:SHOWN_HOSTS])
    if len(missing) > SHOWN_HOSTS:
        shown += f" and {len(missing) - SHOWN_HOSTS} more"
    if job.status == "missed":
        why = (f"no worker of site {job.site!r} finished its job before the deadline"
               if job.worker else f"no worker of site {job.site!r} took its job before the deadline")  # fmt: skip
    else:
        why = f"its job failed at site {job.site!r}: {job.error or 'no reason given'}"
    return [
        site_problem(
            job.site,
            job.customer,
            f"{len(missing)} of {len(job.hosts)} hosts not audited ({why}): {shown}",
        )
    ]


def site_problem(site: str, customer: str, message: str) -> dict[str, Any]:
    """A problem of a scheduled run about one site's customer, as the results document has it
    (``InventoryProblem.not_audited`` tells these apart from the inventory's)."""
    return {"source": SITE_SOURCE + site, "line": None, "host": None, "customer": customer,
            "message": f"{customer}: {message}"}  # fmt: skip  # fmt: skip


def _job_state(job: JobRow) -> JobState:
    return JobState(job.id, job.site, job.customer, len(job.hosts), job.status, job.attempt,
                    job.worker, job.error)  # fmt: skip
