"""The history store against SQLite and a real PostgreSQL server: schema, runs, streaks, locks."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from history_cases import CHECK_IDS, NIGHT, host, run
from sqlalchemy import func, select, text

from auditor.errors import HistoryBusy, HistoryError
from auditor.history import schema
from auditor.history.store import HistoryStore
from auditor.history.tables import CheckRow, HostRow, RunRow
from auditor.model import Verdict
from auditor.results import write_results

FAIL, ERR = Verdict.FAIL, Verdict.ERROR


def record(store: HistoryStore, *runs: object) -> None:
    """Write runs as ``auditor run`` does: the run row, each host, then complete."""
    for done in runs:
        store.begin_run(done)  # type: ignore[arg-type]
        for each in done.hosts:  # type: ignore[attr-defined]
            store.record_host(done.run_id, done.started_at, each)  # type: ignore[attr-defined]
        store.finish_run(done)  # type: ignore[arg-type]


def test_an_empty_store_gets_its_schema_on_first_use(store_url: str) -> None:
    store = HistoryStore.open(store_url)
    assert schema.current(store.engine) == schema.head()
    assert store.runs() == [] and store.latest_run_id() is None
    with pytest.raises(HistoryError, match="holds no finished run yet"):
        store.load_run()
    assert store.upgrade() == (schema.head(), schema.head())  # idempotent


def test_a_store_of_another_revision_is_never_touched(store_url: str) -> None:
    store = HistoryStore.open(store_url)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(
        HistoryError, match=r"has schema 9999, this auditor uses .*auditor db upgrade"
    ):
        HistoryStore.open(store_url)


def test_a_run_written_host_by_host_reads_back_as_it_was(store_url: str) -> None:
    store = HistoryStore.open(store_url)
    night = run(0, host("dc1", {"tcp_5938": FAIL}), host("fs1"), host("ts1", credentials=True))
    record(store, night)
    assert store.load_run() == night
    assert store.load_run(night.run_id[:8]) == night  # a prefix names it, as history shows it
    (info,) = store.runs()
    assert (info.status, info.origin, info.hosts) == ("complete", "run", 3)


def test_what_changed_and_since_when_over_three_nights(store_url: str) -> None:
    store = HistoryStore.open(store_url)
    nights = [
        run(0, host("a", {"tcp_5938": FAIL}), host("b")),
        run(1, host("a", {"tcp_5938": FAIL}), host("b", {"tcp_80": ERR})),
        run(2, host("a"), host("b", {"tcp_80": FAIL}), host("c", {"dns_udp": FAIL})),
    ]
    record(store, *nights)
    first = store.changes(nights[0].run_id)
    assert first.previous_run is None
    assert [(c.kind, c.check_id) for c in first.of(*_key("a")).checks] == [("first", "tcp_5938")]
    second = store.changes(nights[1].run_id)
    (still,) = second.of(*_key("a")).checks
    assert (still.kind, still.since) == ("open", NIGHT)
    (new,) = second.of(*_key("b")).checks
    assert (new.kind, new.verdict, new.previous) == ("new", "error", "pass")
    third = store.changes(nights[2].run_id)
    assert third.previous_run == NIGHT + timedelta(days=1)
    (fixed,) = third.of(*_key("a")).checks
    assert (fixed.kind, fixed.previous) == ("fixed", "fail")
    (open_,) = third.of(*_key("b")).checks  # error, then fail: not met all along
    assert (open_.kind, open_.since) == ("open", NIGHT + timedelta(days=1))
    newcomer = third.of(*_key("c"))
    assert newcomer.first_run and [c.kind for c in newcomer.checks] == ["first"]


def test_credentials_since_is_the_first_night_of_the_streak(store_url: str) -> None:
    store = HistoryStore.open(store_url)
    nights = [run(n, host("ts1", credentials=n > 0)) for n in range(4)]
    record(store, *nights)
    assert store.changes(nights[0].run_id).of(*_key("ts1")).credentials_since is None
    began = store.changes(nights[1].run_id).of(*_key("ts1"))
    assert (began.credentials_since, began.credentials_first) == (NIGHT + timedelta(days=1), True)
    later = store.changes(nights[3].run_id).of(*_key("ts1"))
    assert (later.credentials_since, later.credentials_first) == (NIGHT + timedelta(days=1), False)


def test_import_in_any_order_gives_the_same_history(store_url: str, tmp_path: Path) -> None:
    store = HistoryStore.open(store_url)
    nights = [run(n, host("a", {"tcp_443": FAIL} if n else {})) for n in range(3)]
    for n, night in enumerate(nights):
        write_results(night, tmp_path / str(n))
    for n in (2, 0, 1):  # the newest first: streaks are computed again for later runs
        assert store.import_run(nights[n]) is True
    assert store.import_run(nights[1]) is False  # already there: nothing written twice
    latest = store.changes(nights[2].run_id).of(*_key("a"))
    (still,) = latest.checks
    assert (still.kind, still.since) == ("open", NIGHT + timedelta(days=1))
    assert [i.origin for i in store.runs()] == ["import"] * 3


def test_only_one_run_at_a_time(store_url: str) -> None:
    first, second = HistoryStore.open(store_url), HistoryStore.open(store_url)
    busy = pytest.raises(HistoryBusy, match="in use by another auditor run")
    with first.run_lock(), busy, second.run_lock():
        pass
    with second.run_lock():  # released with the first
        pass


def test_a_run_left_running_is_marked_interrupted_by_the_next(store_url: str) -> None:
    store = HistoryStore.open(store_url)
    night = run(0, host("a"), host("b"))
    store.begin_run(night)
    store.record_host(night.run_id, night.started_at, night.hosts[0])
    with store.run_lock():
        assert store.interrupt_stale() == 1
    (info,) = store.runs()
    assert (info.status, info.hosts) == ("interrupted", 1)
    assert store.latest_run_id() is None  # never taken for the last complete night
    assert [h.name for h in store.load_run(night.run_id).hosts] == ["a"]


WRITER = """
import sys, time
sys.path.insert(0, "tests/history")
from history_cases import host, run
from auditor.history.store import HistoryStore
from auditor.model import Verdict
store = HistoryStore.open(sys.argv[1])
night = run(0)
with store.run_lock():
    store.begin_run(night)
    print(night.run_id, flush=True)
    for n in range(5000):  # bounded: the test kills it long before
        store.record_host(night.run_id, night.started_at, host(f"h{n:04}", {"tcp_5938": Verdict.FAIL}))
"""


def test_kill_9_mid_write_leaves_whole_hosts_and_a_marked_run(store_url: str) -> None:
    HistoryStore.open(store_url)  # the schema first, so the writer only writes rows
    writer = subprocess.Popen([sys.executable, "-c", WRITER, store_url], stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert writer.stdout is not None
    run_id = writer.stdout.readline().strip()
    store = HistoryStore(store_url)
    for _ in range(200):  # bounded wait for a few hosts
        if _count(store, HostRow) >= 5:
            break
        time.sleep(0.05)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=10)
    hosts = _count(store, HostRow)
    assert hosts >= 5
    with store.engine.connect() as connection:  # no host without all its checks
        per_host = connection.execute(
            select(func.count(CheckRow.id)).group_by(CheckRow.host_id)
        ).scalars().all()  # fmt: skip
    assert len(per_host) == hosts and set(per_host) == {len(CHECK_IDS)}
    with store.run_lock():  # the dead writer's lock is gone with it
        assert store.interrupt_stale() == 1
    with store.engine.connect() as connection:
        status = connection.execute(select(RunRow.status).where(RunRow.id == run_id)).scalar()
    assert status == "interrupted"
    assert len(store.load_run(run_id).hosts) == hosts


def test_a_bad_url_is_one_line() -> None:
    with pytest.raises(HistoryError, match="is not a database URL"):
        HistoryStore.open("not a url")
    with pytest.raises(HistoryError, match="history store postgresql\\+psycopg://audit:\\*\\*\\*@"):
        HistoryStore.open("postgresql+psycopg://audit:Secret-4711@127.0.0.1:1/history")


def _key(name: str) -> tuple[str, str]:
    return ("Kanzlei Weber & Partner", name)


def _count(store: HistoryStore, table: type) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_a_new_sqlite_store_is_private(tmp_path: Path) -> None:
    """The history names every customer's hosts and weaknesses: file 0600 in a 0700 folder,
    and so are the lock file and SQLite's journal files."""
    url = f"sqlite:///{tmp_path / 'state' / 'history.sqlite'}"
    store = HistoryStore.open(url)
    with store.run_lock():
        store.begin_run(run(0))
    store.close()
    folder = tmp_path / "state"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    modes = {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in folder.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes
