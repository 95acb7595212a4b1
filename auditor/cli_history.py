"""The history commands: ``auditor db upgrade|status``, ``auditor import``, ``auditor history``.

Also what ``auditor report --from-db`` reads. The store's URL comes from
``--db``, else ``AUDITOR_DB``, else the default SQLite file (history/store.py);
a URL is always shown with its password hidden.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.errors import ConfigError, HistoryError

if TYPE_CHECKING:
    from auditor.history.changes import RunChanges
    from auditor.history.store import HistoryStore, TimelineEntry
    from auditor.model import RunResult

COMMANDS = ("db", "import", "history")
SYMBOL = {"pass": "✔", "fail": "✘", "inconclusive": "?", "error": "!", "not_applicable": "\u2013"}


def add_db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help="history store: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB "
        "(default: $AUDITOR_DB, else history.sqlite in the auditor's state folder)",
    )


def add_parsers(sub: Any) -> None:
    db = sub.add_parser(
        "db", help="the history store: create or migrate its schema, show its state"
    )
    db.add_argument("action", choices=("upgrade", "status"))
    add_db_arg(db)
    imported = sub.add_parser("import", help="add results JSON files of earlier runs to history")
    imported.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_db_arg(imported)
    history = sub.add_parser("history", help="a host's verdicts night by night")
    history.add_argument("host", help="the host's inventory name")
    history.add_argument("--check", metavar="ID", help="one check: verdict and finding codes")
    history.add_argument("--since", metavar="DATE", help="from this date on (YYYY-MM-DD)")
    history.add_argument("--customer", metavar="NAME", help="when two customers use the name")
    add_db_arg(history)


def dispatch(args: argparse.Namespace) -> int:
    from auditor.history.store import HistoryStore

    if args.command == "db":
        store = HistoryStore(args.db or _default())
        if args.action == "upgrade":
            before, after = store.upgrade()
            print(f"history store {store.shown}: schema {before or 'empty'} -> {after}")
        else:
            _status(store)
        return 0
    store = HistoryStore.open(args.db)
    if args.command == "import":
        return _import(store, args.files)
    return _history(store, args)


def run_from_store(url: str | None, run_id: str | None) -> tuple[RunResult, RunChanges]:
    """A stored run and what changed in it: for ``auditor report --from-db``."""
    from auditor.history.store import HistoryStore

    store = HistoryStore.open(url)
    run = store.load_run(run_id)
    return run, store.changes(run.run_id)


def _default() -> str:
    from auditor.history.store import default_url

    return default_url()


def _status(store: HistoryStore) -> None:
    from auditor.history import schema

    try:
        found = schema.current(store.engine)
    except Exception as exc:  # the store may be unreachable: say so in one line
        raise HistoryError(
            f"history store {store.shown}: {' '.join(str(exc).split())[:200]}"
        ) from None
    print(f"history store {store.shown}")
    print(f"  schema {found or 'empty'} (this auditor: {schema.head()})")
    if found == schema.head():
        for info in store.runs(limit=10):
            when = info.started_at.astimezone().strftime("%Y-%m-%d %H:%M %Z")
            print(f"  {when}  {info.id[:8]}  {info.status:<11} {info.hosts} hosts"
                  f"{' (imported)' if info.origin == 'import' else ''}")  # fmt: skip


def _import(store: HistoryStore, files: list[Path]) -> int:
    from auditor.results import ResultsError, read_results

    runs = []
    for path in files:
        try:
            runs.append((path, read_results(path)))
        except (ResultsError, OSError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    for path, run in sorted(runs, key=lambda pair: pair[1].started_at):
        added = store.import_run(run)
        said = "imported" if added else "already in history"
        print(f"{path}: run {run.run_id[:8]} of {run.started_at}, {len(run.hosts)} hosts: {said}")
    return 0


def _history(store: HistoryStore, args: argparse.Namespace) -> int:
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since).replace(tzinfo=UTC)
        except ValueError:
            raise ConfigError(f"--since {args.since!r}: not a date (YYYY-MM-DD)") from None
    entries = store.timeline(args.host, customer=args.customer, since=since)
    customers = {e.customer for e in entries}
    if len(customers) > 1:
        raise ConfigError(f"{args.host} is a host of {', '.join(sorted(customers))}: "
                          "name one with --customer")  # fmt: skip
    if not entries:
        print(f"no run in {store.shown} holds a host {_visible(args.host)}", file=sys.stderr)
        return 2
    print(format_timeline(args.host, entries, args.check))
    return 0


def format_timeline(host: str, entries: list[TimelineEntry], check: str | None = None) -> str:
    """One line per run: time, run, stage and a symbol per check (or one check's codes)."""
    ids = list(dict.fromkeys(c for e in entries for c in e.verdicts))
    lines = [f"{_visible(host)} ({_visible(entries[0].customer)}), {len(entries)} runs"]
    if check is None:
        lines.append(" " * 28 + f"{'stage':<10}" + " ".join(f"{i[:10]:<10}" for i in ids))
    previous: dict[str, str] = {}
    for entry in entries:
        when = entry.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
        head = f"{when:<17} {entry.run_id[:8]}  {entry.stage:<9}"
        if entry.run_status != "complete":
            head += f" [{entry.run_status}]"
        if check is not None:
            verdict = entry.verdicts.get(check, "-")
            codes = ", ".join(entry.codes.get(check, ()))
            mark = " <- changed" if previous.get(check, verdict) != verdict else ""
            lines.append(f"{head} {SYMBOL.get(verdict, '')} {verdict:<15}{codes}{mark}")
            previous[check] = verdict
            continue
        cells = []
        for check_id in ids:
            verdict = entry.verdicts.get(check_id, "")
            cells.append(f"{SYMBOL.get(verdict, ' ')} {verdict[:8]:<8}")
        lines.append(f"{head} " + " ".join(cells))
    return "\n".join(lines)


def _visible(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
