"""The history store: every run's hosts, verdicts and findings, in SQLite or PostgreSQL.

One URL names it (``--db``, ``AUDITOR_DB``; default a SQLite file in the
auditor's state folder). A run is written as it goes: the run row first
(``running``), then each host in a transaction of its own as it finishes,
then the run is marked ``complete``. A run that stops early is marked
``interrupted`` (on Ctrl-C or SIGTERM at once; after a ``kill -9`` by the
next run, which finds it ``running`` while nobody holds the lock): history
never holds half a host, and never an unmarked half run. Only one run writes
at a time (:mod:`auditor.history.lock`).

Nothing here judges: rows are what the judge decided (:class:`HostResult`),
and what changed between nights is computed from them (``changes.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from auditor.atomic import PRIVATE_FILE, private_dir
from auditor.errors import HistoryError
from auditor.history import lock, schema
from auditor.history.changes import HostState, RunChanges, compute
from auditor.history.tables import CheckRow, FindingRow, HostRow, MailRow, RunRow
from auditor.model import Finding, HostResult, RunResult, Verdict
from auditor.results.schema import host_doc, host_from, run_from_parts, run_parts

FINISHED = ("complete", "incomplete")  # runs whose every host that could be audited was
PROBLEMS = frozenset({Verdict.FAIL.value, Verdict.ERROR.value, Verdict.INCONCLUSIVE.value})


def default_url() -> str:
    """``AUDITOR_DB``, else ``history.sqlite`` in the state folder.

    The state folder is systemd's ``$STATE_DIRECTORY`` when the unit sets
    ``StateDirectory=``, else ``$XDG_STATE_HOME/auditor`` (``~/.local/state/auditor``).
    """
    given = os.environ.get("AUDITOR_DB")
    if given:
        return given
    systemd = os.environ.get("STATE_DIRECTORY")
    if systemd:
        folder = Path(systemd.split(":")[0])
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        folder = Path(base) / "auditor"
    return f"sqlite:///{folder / 'history.sqlite'}"


def _private_sqlite(path: Path) -> None:
    """The SQLite file created 0600 in a 0700 folder before SQLite opens it (SQLite gives
    its journal files the database file's mode); an existing file keeps its mode."""
    private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE))


def utc(value: str | datetime) -> datetime:
    """An aware UTC datetime from an ISO string or datetime (naive means UTC: SQLite)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A run as ``auditor history`` and ``report --from-db`` list it."""

    id: str
    started_at: datetime
    status: str
    origin: str
    hosts: int


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One host in one run: its stage and each check's verdict (and finding codes)."""

    run_id: str
    started_at: datetime
    run_status: str
    customer: str
    stage: str
    compliant: bool
    verdicts: dict[str, str]
    codes: dict[str, tuple[str, ...]]


class HistoryStore:
    """One store; cheap to open. Use :meth:`open` (checks the schema) rather than the class."""

    def __init__(self, url: str) -> None:
        try:
            self.url = make_url(url)
        except ArgumentError:
            raise HistoryError(f"--db: {url!r} is not a database URL") from None
        self.shown = self.url.render_as_string(hide_password=True)
        try:
            self.engine = self._engine()
        except (NoSuchModuleError, ImportError) as exc:
            raise HistoryError(f"history store {self.shown}: {_one_line(exc)}") from None
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def _engine(self) -> Engine:
        if self.url.get_backend_name() == "sqlite":
            if self.url.database and self.url.database != ":memory:":
                _private_sqlite(Path(self.url.database).expanduser())
            engine = create_engine(self.url, connect_args={"timeout": 30})

            @event.listens_for(engine, "connect")
            def _pragmas(connection: Any, _record: Any) -> None:
                cursor = connection.cursor()
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
                cursor.close()

            return engine
        return create_engine(self.url, pool_pre_ping=True)

    @classmethod
    def open(cls, url: str | None = None) -> HistoryStore:
        """The store at ``url`` (default :func:`default_url`), created if empty, else checked."""
        store = cls(url or default_url())
        store.ensure_schema()
        return store

    def close(self) -> None:
        self.engine.dispose()

    # --- schema ------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        try:
            if schema.is_empty(self.engine):
                schema.upgrade(self.engine)
                return
            found = schema.current(self.engine)
        except OperationalError as exc:
            raise HistoryError(
                f"history store {self.shown}: {_one_line(exc.orig or exc)}"
            ) from None
        if found != schema.head():
            raise HistoryError(
                f"history store {self.shown} has schema {found or 'unknown'}, this auditor uses "
                f"{schema.head()}: run 'auditor db upgrade'"
            )

    def upgrade(self) -> tuple[str | None, str]:
        try:
            return schema.upgrade(self.engine)
        except SQLAlchemyError as exc:
            raise HistoryError(f"history store {self.shown}: {_one_line(exc)}") from None

    def run_lock(self) -> AbstractContextManager[None]:
        """Held for a whole run; :class:`lock.HistoryBusy` if another run holds it."""
        return lock.run_lock(self.engine, self.shown)

    def transaction(self) -> AbstractContextManager[Session]:
        """A session in a transaction of its own (``history/jobs.py`` builds on it)."""
        return self._session.begin()

    # --- writing a run -------------------------------------------------------------------
    def interrupt_stale(self) -> int:
        """Mark runs left ``running`` by a dead process ``interrupted`` (call under the lock).

        Scheduled runs are not this process's: their workers finish them, or
        their deadline marks them ``incomplete`` (``history/jobs.py``).
        """
        with self._session.begin() as session:
            done = session.execute(
                update(RunRow).where(RunRow.status == "running", RunRow.origin == "run")
                .values(status="interrupted")
            )  # fmt: skip
            return int(done.rowcount or 0)  # type: ignore[attr-defined]

    def begin_run(self, run: RunResult) -> None:
        """The run row, ``running``; ``run.hosts`` is ignored here (see :meth:`record_host`)."""
        with self._session.begin() as session:
            session.add(run_row(run, status="running", origin="run"))

    def record_host(self, run_id: str, started_at: str, host: HostResult) -> None:
        """One finished host, with its checks and findings, in one transaction."""
        with self._session.begin() as session:
            session.add(self.host_row(session, run_id, utc(started_at), host))

    def finish_run(self, run: RunResult, status: str = "complete") -> None:
        with self._session.begin() as session:
            row = session.get(RunRow, run.run_id)
            if row is None:
                raise HistoryError(f"history store {self.shown}: run {run.run_id} is missing")
            row.status = status
            row.finished_at = utc(run.finished_at)
            row.owner = None
            row.problems = run_parts(run)["problems"]

    def mark_interrupted(self, run_id: str) -> None:
        with self._session.begin() as session:
            session.execute(
                update(RunRow).where(RunRow.id == run_id, RunRow.status == "running")
                .values(status="interrupted", owner=None, finished_at=datetime.now(UTC))
            )  # fmt: skip

    def import_run(self, run: RunResult) -> bool:
        """A finished run from a results file, in one transaction; False if already stored.

        Streaks of hosts that later runs also hold are computed again afterwards,
        so an old file imported late still gives every night its right "since".
        """
        with self._session.begin() as session:
            if session.get(RunRow, run.run_id) is not None:
                return False
            session.add(run_row(run, status="complete", origin="import"))
            session.flush()
            for host in run.hosts:
                session.add(self.host_row(session, run.run_id, utc(run.started_at), host))
                session.flush()
            self._restreak(session, {(h.customer, h.name) for h in run.hosts}, utc(run.started_at))
        return True

    def host_row(
        self, session: Session, run_id: str, started: datetime, host: HostResult
    ) -> HostRow:
        before = self._previous(session, host.customer, host.name, started)
        previous = {c.check_id: c for c in before.checks} if before else {}
        row = HostRow(
            run_id=run_id, started_at=started, customer=host.customer, name=host.name,
            stage=host.stage.value, compliant=host.compliant, document=host_doc(host),
            credentials_since=_since(credential_problem(host), before.credentials_since
                                     if before else None, started),
        )  # fmt: skip
        for check in host.checks:
            last = previous.get(check.id)
            problem = check.verdict.value in PROBLEMS
            last_since = last.problem_since if last is not None else None
            row.checks.append(CheckRow(check_id=check.id, verdict=check.verdict.value,
                                       problem_since=_since(problem, last_since, started)))  # fmt: skip
            row.findings += [_finding_row("check", f, check.id) for f in check.findings]
        if host.stage_finding is not None:
            row.findings.append(_finding_row("stage", host.stage_finding, None))
        row.findings += [_finding_row("note", f, None) for f in host.notes]
        return row

    @staticmethod
    def _previous(session: Session, customer: str, name: str, before: datetime) -> HostRow | None:
        """The host's latest row from an earlier run (any status: its hosts are real)."""
        query = (
            select(HostRow)
            .where(HostRow.customer == customer, HostRow.name == name, HostRow.started_at < before)
            .order_by(HostRow.started_at.desc())
            .limit(1)
            .options(selectinload(HostRow.checks))
        )
        return session.scalars(query).first()

    def _restreak(self, session: Session, hosts: set[tuple[str, str]], since: datetime) -> None:
        """Recompute the streak starts of ``hosts`` in every run from ``since`` on."""
        for customer, name in sorted(hosts):
            rows = session.scalars(
                select(HostRow).where(HostRow.customer == customer, HostRow.name == name,
                                      HostRow.started_at >= since)
                .order_by(HostRow.started_at).options(selectinload(HostRow.checks))
            ).all()  # fmt: skip
            before = self._previous(session, customer, name, since)
            for row in rows:
                previous = {c.check_id: c for c in before.checks} if before else {}
                for check in row.checks:
                    last = previous.get(check.check_id)
                    check.problem_since = _since(check.verdict in PROBLEMS,
                                                 last.problem_since if last else None,
                                                 utc(row.started_at))  # fmt: skip
                host = host_from(row.document)
                row.credentials_since = _since(credential_problem(host),
                                               before.credentials_since if before else None,
                                               utc(row.started_at))  # fmt: skip
                before = row

    # --- reading -------------------------------------------------------------------------
    def runs(self, limit: int = 50) -> list[RunInfo]:
        with self._session() as session:
            rows = session.scalars(
                select(RunRow).order_by(RunRow.started_at.desc()).limit(limit)
                .options(selectinload(RunRow.hosts))
            ).all()  # fmt: skip
            return [
                RunInfo(r.id, utc(r.started_at), r.status, r.origin, len(r.hosts)) for r in rows
            ]

    def latest_run_id(self, *, complete: bool = True) -> str | None:
        """The latest finished run: complete, or incomplete (a scheduled run that says what
        is missing); with ``complete=False`` also interrupted and running ones."""
        with self._session() as session:
            query = select(RunRow.id).order_by(RunRow.started_at.desc()).limit(1)
            if complete:
                query = query.where(RunRow.status.in_(FINISHED))
            return session.scalars(query).first()

    def load_run(self, run_id: str | None = None) -> RunResult:
        """A stored run as a :class:`RunResult` (default: the latest complete one)."""
        wanted = run_id or self.latest_run_id()
        if wanted is None:
            raise HistoryError(f"history store {self.shown} holds no finished run yet")
        with self._session() as session:
            matches = session.scalars(
                select(RunRow).where(RunRow.id.startswith(wanted, autoescape=True))
                .options(selectinload(RunRow.hosts))
            ).all()  # fmt: skip
            if len(matches) != 1:
                what = "no run" if not matches else f"{len(matches)} runs"
                raise HistoryError(f"history store {self.shown}: {what} with id {wanted!r}")
            row = matches[0]
            return run_from_parts(
                run_id=row.id, started_at=utc(row.started_at).isoformat(),
                finished_at=utc(row.finished_at or row.started_at).isoformat(),
                auditor_version=row.auditor_version, profile=row.profile,
                profile_name=row.profile_name, profile_version=row.profile_version,
                inventory_sources=row.inventory_sources, problems=row.problems,
                hosts=[h.document for h in sorted(row.hosts, key=lambda h: (h.customer, h.name))],
            )  # fmt: skip

    def timeline(
        self, name: str, *, customer: str | None = None, since: datetime | None = None
    ) -> list[TimelineEntry]:
        """Every stored run of host ``name``, oldest first."""
        with self._session() as session:
            query = (
                select(HostRow, RunRow.status)
                .join(RunRow, HostRow.run_id == RunRow.id)
                .where(HostRow.name == name)
                .order_by(HostRow.started_at)
                .options(selectinload(HostRow.checks), selectinload(HostRow.findings))
            )
            if customer is not None:
                query = query.where(HostRow.customer == customer)
            if since is not None:
                query = query.where(HostRow.started_at >= since)
            return [_entry(row, status) for row, status in session.execute(query).all()]

    def changes(self, run_id: str) -> RunChanges:
        """What changed in ``run_id`` against each host's previous run (``changes.py``)."""
        with self._session() as session:
            run = session.get(RunRow, run_id)
            if run is None:
                raise HistoryError(f"history store {self.shown}: no run {run_id!r}")
            started = utc(run.started_at)
            rows = session.scalars(
                select(HostRow).where(HostRow.run_id == run_id).options(selectinload(HostRow.checks))
            ).all()  # fmt: skip
            previous = {}
            for row in rows:
                before = self._previous(session, row.customer, row.name, started)
                if before is not None:
                    previous[(row.customer, row.name)] = _state(before)
            earlier = session.scalars(
                select(RunRow.started_at).where(RunRow.started_at < run.started_at)
                .order_by(RunRow.started_at.desc()).limit(1)
            ).first()  # fmt: skip
        return compute(run_id, started, [_state(r) for r in rows], previous,
                       utc(earlier) if earlier is not None else None)  # fmt: skip

    # --- mails ----------------------------------------------------------------------------
    def mail_sent(self, run_id: str, customer: str) -> MailRow | None:
        """The successful mail of ``customer``'s report of ``run_id``, if there was one."""
        with self._session() as session:
            return session.scalars(
                select(MailRow).where(MailRow.run_id == run_id, MailRow.customer == customer,
                                      MailRow.status == "sent").order_by(MailRow.at)
            ).first()  # fmt: skip

    def record_mail(
        self, run_id: str, customer: str, status: str, recipients: list[str],
        message_id: str | None, error: str | None,
    ) -> None:  # fmt: skip
        with self._session.begin() as session:
            session.add(MailRow(run_id=run_id, customer=customer, status=status,
                                at=datetime.now(UTC), recipients=recipients,
                                message_id=message_id, error=error))  # fmt: skip

    def count_runs(self) -> int:
        with self._session() as session:
            return len(session.scalars(select(RunRow.id)).all())


def run_row(run: RunResult, *, status: str, origin: str) -> RunRow:
    """The row of ``run`` (its hosts are rows of their own)."""
    parts = run_parts(run)
    return RunRow(
        id=run.run_id,
        started_at=utc(run.started_at),
        finished_at=utc(run.finished_at) if status != "running" else None,
        status=status,
        origin=origin,
        owner=lock.holder() if status == "running" and origin == "run" else None,
        auditor_version=run.auditor_version,
        profile_name=run.profile_name,
        profile_version=run.profile_version,
        profile=parts["profile"],
        inventory_sources=list(run.inventory_sources),
        problems=parts["problems"],
    )


def credential_problem(host: HostResult) -> bool:
    """Whether the judge found the credentials wanting (any ``credentials.*`` finding)."""
    found: Iterable[Finding] = (f for c in host.checks for f in c.findings)
    if host.stage_finding is not None:
        found = (host.stage_finding, *found)
    return any(f.code.startswith("credentials.") for f in found)


def _since(problem: bool, last: datetime | None, now: datetime) -> datetime | None:
    """A problem's streak start: the last run's, if it had the problem too, else now."""
    if not problem:
        return None
    return utc(last) if last is not None else now


def _state(row: HostRow) -> HostState:
    return HostState(
        customer=row.customer,
        name=row.name,
        verdicts={c.check_id: c.verdict for c in row.checks},
        problem_since={
            c.check_id: utc(c.problem_since) if c.problem_since else None for c in row.checks
        },
        credentials_since=utc(row.credentials_since) if row.credentials_since else None,
    )


def _finding_row(kind: str, found: Finding, check_id: str | None) -> FindingRow:
    return FindingRow(
        kind=kind, check_id=check_id, code=found.code, verdict=found.verdict.value,
        owner=found.owner.value, severity=found.severity.value, targets=list(found.targets),
        params=dict(found.params),
    )  # fmt: skip


def _entry(row: HostRow, status: str) -> TimelineEntry:
    codes: dict[str, list[str]] = {}
    for found in row.findings:
        codes.setdefault(found.check_id or "", []).append(found.code)
    return TimelineEntry(
        run_id=row.run_id, started_at=utc(row.started_at), run_status=status,
        customer=row.customer, stage=row.stage, compliant=row.compliant,
        verdicts={c.check_id: c.verdict for c in row.checks},
        codes={k: tuple(v) for k, v in codes.items()},
    )  # fmt: skip


def _one_line(exc: object, limit: int = 200) -> str:
    return " ".join(str(exc).split())[:limit]
