"""The "Seit dem letzten Lauf" section: what history says changed, in words. Pure, no I/O.

History decided what changed (``history/changes.py``, from the judge's
verdicts of each night); this module only words and orders it: newly not
met first, then fixed, then still open (oldest first, with the date the
streak began), then first seen. Without history (``auditor report
--results``) there is no section at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from auditor.history.changes import KINDS, CheckChange, HostChanges, RunChanges
from auditor.model import HostResult, RunResult, Verdict
from auditor.report.evidence import text
from auditor.report.when import local_date, local_time
from auditor.report.words import Words

ORDER = ("new", "fixed", "open", "first")
assert set(ORDER) == set(KINDS)


@dataclass(frozen=True, slots=True)
class ChangeLine:
    host: str
    href: str
    check_id: str  # space-separated when the row holds several checks (data-check)
    check: str  # the profile's labels
    kind: str
    verdict: str
    verdict_text: str
    since: str  # "seit 28.11.2026" for a streak, else ""


@dataclass(frozen=True, slots=True)
class ChangeGroup:
    kind: str
    title: str
    lines: tuple[ChangeLine, ...]


@dataclass(frozen=True, slots=True)
class ChangesView:
    compared: str  # what this run is compared with, in words
    groups: tuple[ChangeGroup, ...]
    nothing: str  # the sentence when no group has a line


def changes_view(
    run: RunResult,
    hosts: Sequence[tuple[HostResult, str]],
    changes: RunChanges | None,
    lang: str,
    tz: tzinfo,
) -> ChangesView | None:
    """The section for ``hosts`` (each with its page anchor); None without history."""
    if changes is None:
        return None
    words = Words(lang)
    labels = {c.id: c.label[lang] for c in run.checks}
    found: dict[str, list[tuple[HostChanges, CheckChange, str]]] = {k: [] for k in ORDER}
    for host, href in hosts:
        known = changes.of(host.customer, host.name)
        for change in known.checks if known else ():
            found[change.kind].append((known, change, href))  # type: ignore[arg-type]
    position = {c.id: n for n, c in enumerate(run.checks)}
    groups = []
    for kind in ORDER:
        items = found[kind]
        items.sort(key=lambda i: position.get(i[1].check_id, len(position)))  # profile order
        if kind == "open":  # oldest streak first: the longest-standing problem leads
            items.sort(key=lambda i: (i[1].since is None, i[1].since or changes.started_at))
        lines = _merged(tuple(_line(h, c, href, labels, words, lang, tz) for h, c, href in items))
        if lines:
            groups.append(ChangeGroup(kind, words.t(f"ui.change_{kind}"), lines))
    if changes.previous_run is None:
        compared = words.t("ui.changes_first_run",
                           date=local_date(changes.started_at, tz, lang))  # fmt: skip
    else:
        compared = words.t("ui.changes_compared",
                           when=local_time(changes.previous_run, tz, lang))  # fmt: skip
    return ChangesView(compared, tuple(groups), words.t("ui.changes_nothing"))


def _line(
    host: HostChanges,
    change: CheckChange,
    href: str,
    labels: dict[str, str],
    words: Words,
    lang: str,
    tz: tzinfo,
) -> ChangeLine:
    since = ""
    if change.kind == "open" and change.since is not None:
        since = words.t("ui.since", date=local_date(change.since, tz, lang))
    return ChangeLine(
        host=text(host.name, 200),
        href=href,
        check_id=change.check_id,
        check=labels.get(change.check_id, change.check_id),
        kind=change.kind,
        verdict=change.verdict,
        verdict_text=words.verdict(Verdict(change.verdict)),
        since=since,
    )


def _merged(lines: tuple[ChangeLine, ...]) -> tuple[ChangeLine, ...]:
    """One row per host, verdict and date: an unreachable host is one row, not ten."""
    rows: dict[tuple[str, str, str], ChangeLine] = {}
    for line in lines:
        key = (line.host, line.verdict, line.since)
        known = rows.get(key)
        rows[key] = line if known is None else ChangeLine(
            known.host, known.href, f"{known.check_id} {line.check_id}",
            f"{known.check}, {line.check}", known.kind, known.verdict, known.verdict_text,
            known.since,
        )  # fmt: skip
    return tuple(rows.values())


def counts_text(hosts: Sequence[HostResult], changes: RunChanges | None, words: Words) -> str:
    """ "2 neu · 1 behoben" for the overview; "" without history or without a change."""
    if changes is None:
        return ""
    counted = {k: 0 for k in ("new", "fixed")}
    for host in hosts:
        known = changes.of(host.customer, host.name)
        for change in known.checks if known else ():
            if change.kind in counted:
                counted[change.kind] += 1
    parts = [words.t(f"ui.count_{k}", count=n) for k, n in counted.items() if n]
    return " · ".join(parts) or words.t("ui.count_none")
