"""What changed since the last run: from the judge's verdicts of two nights, never from evidence.

For each host of a run and each of its checks, compared with the host's
previous run (the latest earlier run that holds it):

=========== ============================================================
``new``     not met now (fail, error, inconclusive), met or absent before
``fixed``   met now, not met before
``open``    not met now and before; ``since``: the first run of the unbroken streak
``first``   not met now, and the host was never audited before: "erstmals festgestellt"
=========== ============================================================

``credentials_since`` is the start of the streak of runs in which the judge
found the credentials wanting (a ``credentials.*`` finding): the contract's
"since when", proven by history. When the streak starts with this run (or
there is no history), the report says "erstmals festgestellt" with this
run's date instead of implying a streak. Pure: no I/O, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

NOT_MET = frozenset({"fail", "error", "inconclusive"})
KINDS = ("new", "fixed", "open", "first")


@dataclass(frozen=True, slots=True)
class HostState:
    """One host in one run, as history keeps it: verdicts and streak starts."""

    customer: str
    name: str
    verdicts: Mapping[str, str]
    problem_since: Mapping[str, datetime | None]
    credentials_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class CheckChange:
    check_id: str
    kind: str  # new | fixed | open | first
    verdict: str
    previous: str | None
    since: datetime | None  # open: the streak's first run; new, first: this run


@dataclass(frozen=True, slots=True)
class HostChanges:
    customer: str
    name: str
    first_run: bool  # the host was never audited before this run
    checks: tuple[CheckChange, ...]
    credentials_since: datetime | None  # the credential problem's streak start
    credentials_first: bool  # ... and that start is this run


@dataclass(frozen=True, slots=True)
class RunChanges:
    """The changes of one run; ``previous_run`` is when the run before it started."""

    run_id: str
    started_at: datetime
    previous_run: datetime | None
    hosts: Mapping[tuple[str, str], HostChanges]

    def of(self, customer: str, name: str) -> HostChanges | None:
        return self.hosts.get((customer, name))


def compute(
    run_id: str,
    started_at: datetime,
    current: list[HostState],
    previous: Mapping[tuple[str, str], HostState],
    previous_run: datetime | None,
) -> RunChanges:
    """The changes of a run from its hosts and each host's previous state."""
    hosts = {}
    for now in current:
        before = previous.get((now.customer, now.name))
        changes = tuple(
            found
            for check_id, verdict in now.verdicts.items()
            if (found := _change(check_id, verdict, now, before, started_at)) is not None
        )
        since = now.credentials_since
        hosts[(now.customer, now.name)] = HostChanges(
            customer=now.customer,
            name=now.name,
            first_run=before is None,
            checks=changes,
            credentials_since=since,
            credentials_first=since is not None and since >= started_at,
        )
    return RunChanges(run_id, started_at, previous_run, hosts)


def _change(
    check_id: str, verdict: str, now: HostState, before: HostState | None, started: datetime
) -> CheckChange | None:
    was = before.verdicts.get(check_id) if before is not None else None
    if verdict in NOT_MET:
        if before is None:
            return CheckChange(check_id, "first", verdict, None, started)
        if was in NOT_MET:
            return CheckChange(check_id, "open", verdict, was, now.problem_since.get(check_id))
        return CheckChange(check_id, "new", verdict, was, started)
    if verdict == "pass" and was in NOT_MET:
        return CheckChange(check_id, "fixed", verdict, was, None)
    return None
