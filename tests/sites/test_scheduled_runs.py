"""A scheduled run's bookkeeping in a real PostgreSQL: claims, no host twice, deadlines, failures.

The queue decides *when* a job runs; the history store decides what an attempt
may write. These tests drive that second half directly, attempt by attempt,
as workers would (tests/sites/test_sites_on_lab.py runs the whole thing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from auditor.history.jobs import JobPlan, ScheduledRuns
from auditor.history.store import HistoryStore
from auditor.history.tables import HostRow, RunRow
from auditor.lab.postgres import LabPostgres
from auditor.model import Target, Verdict
from auditor.profile.load import read_source
from auditor.sites.job import WorkerSettings, run_attempt
from auditor.sites.plan import plan_jobs
from tests.history.history_cases import host, run

CUSTOMER = "Kanzlei Weber & Partner"  # history_cases' customer


@pytest.fixture
def runs(postgres: LabPostgres) -> Iterator[ScheduledRuns]:
    store = HistoryStore.open(postgres.url + postgres.new_database())
    yield ScheduledRuns(store)
    store.close()


def _plan() -> dict[str, object]:
    text, source = read_source(None)
    return {"profile_text": text, "profile_source": source, "reflector": None,
            "expected_networks": []}  # fmt: skip


def _schedule(
    runs: ScheduledRuns, *jobs: JobPlan, deadline_s: float = 3600
) -> tuple[str, list[int]]:
    planned = run(0)
    deadline = datetime.now(UTC) + timedelta(seconds=deadline_s)
    return planned.run_id, runs.create(planned, _plan(), deadline, list(jobs))


def _status(runs: ScheduledRuns, run_id: str) -> tuple[str, list[object]]:
    with runs.store.transaction() as session:
        row = session.get(RunRow, run_id)
        assert row is not None
        return row.status, list(row.problems)


def _names(runs: ScheduledRuns, run_id: str) -> list[str]:
    with runs.store.transaction() as session:
        return sorted(session.scalars(select(HostRow.name).where(HostRow.run_id == run_id)))


def test_a_retry_audits_only_what_is_missing_and_the_old_attempt_can_write_nothing(
    runs: ScheduledRuns,
) -> None:
    run_id, [job] = _schedule(runs, JobPlan("nord", CUSTOMER, ("a", "b", "c")))
    first = runs.claim(job, "nord/one:1", 0)
    assert first is not None and first.hosts == ("a", "b", "c")
    assert runs.record_host(first, host("a"))
    # the first worker is taken for dead; the retry claims the job
    second = runs.claim(job, "nord/two:2", 1)
    assert second is not None and second.hosts == ("b", "c")  # a is in the run already
    assert not runs.record_host(first, host("b"))  # the old attempt has lost its claim
    assert runs.finish(first) is None  # ... and cannot end the job either
    assert not runs.record_host(second, host("a"))  # never twice into one run
    assert not runs.record_host(second, host("x"))  # not a host of this job
    assert runs.record_host(second, host("b")) and runs.record_host(second, host("c"))
    assert runs.finish(second) == "complete"
    assert _names(runs, run_id) == ["a", "b", "c"]
    assert runs.claim(job, "nord/three:3", 2) is None  # a done job is never run again


def test_the_last_job_closes_the_run_and_a_failed_one_is_named(runs: ScheduledRuns) -> None:
    run_id, [nord, sued] = _schedule(runs, JobPlan("nord", CUSTOMER, ("a",)),
                                     JobPlan("sued", "Süd GmbH", ("s1", "s2")))  # fmt: skip
    claim = runs.claim(nord, "nord/w:1", 0)
    assert claim is not None and runs.record_host(claim, host("a"))
    assert runs.finish(claim) is None  # sued still open
    assert _status(runs, run_id)[0] == "running"
    failing = runs.claim(sued, "sued/w:2", 2)
    assert failing is not None
    assert runs.finish(failing, failed="OSError: inventory unreadable") == "incomplete"
    status, problems = _status(runs, run_id)
    assert status == "incomplete"
    [gap] = problems
    assert gap["source"] == "site sued" and gap["customer"] == "Süd GmbH"
    assert gap["message"] == ("Süd GmbH: 2 of 2 hosts not audited (its job failed at site 'sued': "
                              "OSError: inventory unreadable): s1, s2")  # fmt: skip


def test_the_deadline_closes_a_run_and_refuses_late_hosts(runs: ScheduledRuns) -> None:
    run_id, [nord, sued] = _schedule(runs, JobPlan("nord", CUSTOMER, ("a", "b")),
                                     JobPlan("sued", "Süd GmbH", ("s1",)), deadline_s=1)  # fmt: skip
    runs.set_queue_job(sued, 4711)
    late = runs.claim(nord, "nord/w:1", 0)
    assert late is not None and runs.record_host(late, host("a"))
    assert runs.expire_overdue(datetime.now(UTC)) == []  # not yet due
    closed = runs.expire_overdue(datetime.now(UTC) + timedelta(seconds=5))
    assert closed == [(run_id, [4711])]  # the queue job to cancel
    assert not runs.record_host(late, host("b"))  # too late: the run is closed
    status, problems = _status(runs, run_id)
    assert status == "incomplete"
    assert [p["message"] for p in problems] == [
        f"{CUSTOMER}: 1 of 2 hosts not audited (no worker of site 'nord' finished its job "
        "before the deadline): b",
        "Süd GmbH: 1 of 1 hosts not audited (no worker of site 'sued' took its job before "
        "the deadline): s1",
    ]
    assert runs.expire_overdue(datetime.now(UTC) + timedelta(seconds=5)) == []  # once


def test_a_local_run_never_interrupts_a_scheduled_one(runs: ScheduledRuns) -> None:
    run_id, _ = _schedule(runs, JobPlan("nord", CUSTOMER, ("a",)))
    assert runs.store.interrupt_stale() == 0
    assert _status(runs, run_id)[0] == "running"


def test_a_last_attempt_that_raises_fails_the_job_for_good(runs: ScheduledRuns) -> None:
    run_id, [job] = _schedule(runs, JobPlan("nord", CUSTOMER, ("a",)))
    with runs.store.transaction() as session:  # a plan no worker can use
        row = session.get(RunRow, run_id)
        assert row is not None
        row.plan = {"profile_text": "checks: [", "profile_source": "broken.yaml"}
    settings = WorkerSettings(site="nord", inventories=("/nonexistent",), name="nord/w:1")
    with pytest.raises(Exception, match=r"broken\.yaml"):
        asyncio.run(run_attempt(runs, settings, job, 0, final=False))
    assert _status(runs, run_id)[0] == "running"  # the queue will try again
    with pytest.raises(Exception, match=r"broken\.yaml"):
        asyncio.run(run_attempt(runs, settings, job, 2, final=True))
    status, problems = _status(runs, run_id)
    assert status == "incomplete" and "its job failed at site 'nord'" in problems[0]["message"]


def test_a_worker_without_the_host_in_its_inventory_says_so(runs: ScheduledRuns) -> None:
    run_id, [job] = _schedule(runs, JobPlan("nord", CUSTOMER, ("a",)))
    settings = WorkerSettings(site="nord", inventories=("/nonexistent",), name="nord/w:1")
    assert asyncio.run(run_attempt(runs, settings, job, 0, final=False)) == "done"
    status, problems = _status(runs, run_id)
    assert status == "incomplete"
    messages = [p["message"] for p in problems]
    assert f"{CUSTOMER}: not in this site's inventory (/nonexistent): a" in messages


def test_jobs_are_per_site_and_customer_in_chunks() -> None:
    targets = [Target(n, n, c, site=s) for n, c, s in [
        ("b", "K1", "nord"), ("a", "K1", "nord"), ("c", "K1", "nord"), ("x", "K1", "sued"),
        ("y", "K2", "nord")]]  # fmt: skip
    assert plan_jobs(targets, 2) == [
        JobPlan("nord", "K1", ("a", "b")),
        JobPlan("nord", "K1", ("c",)),
        JobPlan("nord", "K2", ("y",)),
        JobPlan("sued", "K1", ("x",)),
    ]
    with pytest.raises(ValueError, match="at least 1"):
        plan_jobs(targets, 0)


def test_no_job_starts_after_the_deadline(runs: ScheduledRuns) -> None:
    run_id, [job] = _schedule(runs, JobPlan("nord", CUSTOMER, ("a",)), deadline_s=-1)
    assert runs.claim(job, "nord/w:1", 0) is None  # the next sweep closes the run instead
    assert [r for r, _ in runs.expire_overdue()] == [run_id]


def test_a_job_whose_workers_keep_dying_fails_for_good(runs: ScheduledRuns) -> None:
    run_id, [job] = _schedule(runs, JobPlan("nord", CUSTOMER, ("a", "b")))
    dying = runs.claim(job, "nord/w:3", 2)
    assert dying is not None and runs.record_host(dying, host("a"))
    assert runs.fail(job, "its worker stopped answering (3 attempts)") == "incomplete"
    assert runs.fail(job, "again") is None  # once
    status, problems = _status(runs, run_id)
    assert status == "incomplete" and _names(runs, run_id) == ["a"]
    assert problems[0]["message"] == (f"{CUSTOMER}: 1 of 2 hosts not audited (its job failed at "
                                      "site 'nord': its worker stopped answering (3 attempts)): b")  # fmt: skip


def test_each_customers_last_run_counts_its_hosts(runs: ScheduledRuns) -> None:
    run_id, [job] = _schedule(runs, JobPlan("nord", CUSTOMER, ("a", "b")))
    claim = runs.claim(job, "nord/w:1", 0)
    assert claim is not None
    assert runs.record_host(claim, host("a")) and runs.record_host(
        claim, host("b", {"tcp_80": Verdict.FAIL})
    )
    [last] = runs.last_per_customer()
    assert (last.customer, last.run_id, last.recorded, last.compliant) == (CUSTOMER, run_id, 2, 1)
