"""The history store's tables (SQLAlchemy 2). The schema itself is Alembic's (migrations/).

A run, its hosts, each host's checks and every finding, per customer. A
host row keeps the host's whole entry of the results document (``document``:
the public results JSON of that host, evidence included), so a past night's
report is rebuilt with the same reader as ``results.json``; the columns beside
it (verdicts, finding codes, stages, streak starts) are what queries need.

``checks.problem_since`` and ``hosts.credentials_since`` are written with the
row, from the host's previous row: the start of the unbroken streak of runs in
which the check was not met (or the credentials fell short). They make "since
when" one lookup instead of a walk through every past night.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    """One ``auditor run`` (or an imported results file)."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # running | complete | interrupted | incomplete (a scheduled run's deadline passed first)
    status: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))  # run | import | schedule
    owner: Mapped[str | None] = mapped_column(String(255))  # host:pid of a running run
    auditor_version: Mapped[str] = mapped_column(String(64))
    profile_name: Mapped[str] = mapped_column(String(255))
    profile_version: Mapped[str] = mapped_column(String(64))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)  # checks, networks, reflector
    inventory_sources: Mapped[list[Any]] = mapped_column(JSON)
    problems: Mapped[list[Any]] = mapped_column(JSON)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # scheduled
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # scheduled: profile, reflector...

    hosts: Mapped[list[HostRow]] = relationship(back_populates="run", cascade="all, delete-orphan")
    jobs: Mapped[list[JobRow]] = relationship(cascade="all, delete-orphan")


class HostRow(Base):
    """One host in one run: its stage and the host's results-document entry."""

    __tablename__ = "hosts"
    __table_args__ = (
        UniqueConstraint("run_id", "customer", "name"),
        Index("ix_hosts_customer_name", "customer", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the run's start
    customer: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str] = mapped_column(String(16))
    compliant: Mapped[bool]
    credentials_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)

    run: Mapped[RunRow] = relationship(back_populates="hosts")
    checks: Mapped[list[CheckRow]] = relationship(
        back_populates="host", cascade="all, delete-orphan"
    )
    findings: Mapped[list[FindingRow]] = relationship(cascade="all, delete-orphan")


class CheckRow(Base):
    """One check of one host in one run: the verdict, and since when it is not met."""

    __tablename__ = "checks"
    __table_args__ = (UniqueConstraint("host_id", "check_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    check_id: Mapped[str] = mapped_column(String(128))
    verdict: Mapped[str] = mapped_column(String(16))
    problem_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    host: Mapped[HostRow] = relationship(back_populates="checks")


class FindingRow(Base):
    """One finding: of a check (``check_id``), the host's stage finding, or a note."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), index=True)
    check_id: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))  # check | stage | note
    code: Mapped[str] = mapped_column(String(128), index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    targets: Mapped[list[Any]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)


class JobRow(Base):
    """One job of a scheduled run: one customer's hosts (or a chunk) at one site.

    ``status``: queued | running | done | failed (every attempt used) | missed
    (the run's deadline came first). ``worker`` and ``attempt`` name the
    attempt that may record hosts: a host of an earlier, presumed dead attempt
    is refused, so no host is audited twice into one run.
    """

    __tablename__ = "run_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    site: Mapped[str] = mapped_column(String(64))
    customer: Mapped[str] = mapped_column(String(255))
    hosts: Mapped[list[Any]] = mapped_column(JSON)  # inventory names, never more
    status: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(255))
    queue_job_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class WorkerRow(Base):
    """A worker process as it last reported itself (``auditor status``: the workers seen)."""

    __tablename__ = "site_workers"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)  # site/host:pid
    site: Mapped[str] = mapped_column(String(64))
    auditor_version: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    jobs_done: Mapped[int] = mapped_column(Integer)


class MailRow(Base):
    """One attempt to mail one customer its report of one run (``auditor mail``)."""

    __tablename__ = "mails"
    __table_args__ = (Index("ix_mails_run_customer", "run_id", "customer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64))
    customer: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # sent | failed
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recipients: Mapped[list[Any]] = mapped_column(JSON)
    message_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
