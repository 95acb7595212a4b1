"""Writes each host to the history store as it finishes (an EngineEvents listener).

A failing write must not cost the audit: the error is kept, the run goes on,
and ``run.py`` marks the run ``interrupted`` and says so. Writes are short
transactions on the event loop (one per host, milliseconds in SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import SQLAlchemyError

from auditor.engine import NoEvents
from auditor.history.store import HistoryStore
from auditor.model import HostResult


class Recorder(NoEvents):
    def __init__(self, store: HistoryStore, run_id: str, started_at: str) -> None:
        self._store = store
        self._run_id = run_id
        self._started_at = started_at
        self.failures: list[str] = []  # "host: error", one line each
        self._recorded: set[tuple[str, str]] = set()

    def host_finished(self, result: HostResult) -> None:
        try:
            self._store.record_host(self._run_id, self._started_at, result)
            self._recorded.add((result.customer, result.name))
        except SQLAlchemyError as exc:
            self.failures.append(f"{result.name}: {' '.join(str(exc).split())[:200]}")

    def record_rest(self, results: Iterable[HostResult]) -> None:
        """The hosts the engine reported without contacting them (an unusable inventory
        entry): they belong to the run's history as much as the audited ones."""
        for result in results:
            if (result.customer, result.name) not in self._recorded:
                self.host_finished(result)
