"""The one-truth invariant, as assertions shared by every test that checks it.

For every check of a host: each finding has the check's verdict; a passing
or not-applicable check has no finding; every other check of a fully audited
host has at least one; every code is the judge's; the check's verdict is the
worst of its observed items, and a pass rests on items that all passed. On a
rendered page (read with the standard library's HTML parser, no browser):
every finding row has the verdict of every check it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

from auditor.judge.codes import CODES
from auditor.model import VERDICT_RANK, Check, HostResult, Stage, Verdict

OPEN = (Verdict.FAIL, Verdict.ERROR, Verdict.INCONCLUSIVE)


def item_records(check: Check) -> list[Mapping[str, Any]]:
    """The observed items the judge wrote an outcome on (targets, queries, names)."""
    out: list[Mapping[str, Any]] = []
    for key in ("targets", "queries", "names"):
        value = check.evidence.get(key)
        if isinstance(value, list):
            out += [v for v in value if isinstance(v, Mapping) and "outcome" in v]
    return out


def assert_check(check: Check, *, judged: bool) -> None:
    for found in check.findings:
        assert found.code in CODES, found.code
        assert found.verdict is check.verdict, (check.id, found.code, check.verdict)
        assert CODES[found.code].owner is not None, f"{found.code} is a pass outcome"
        assert set(found.params) <= set(CODES[found.code].params), found
    if check.verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
        assert check.findings == (), (check.id, check.findings)
    elif judged:
        assert check.findings, f"{check.id}: {check.verdict} without a finding"
    records = item_records(check)
    for record in records:
        assert record["outcome"] in CODES
        assert record["verdict"] == CODES[record["outcome"]].verdict.value
    if records and check.verdict in (Verdict.PASS, *OPEN):
        worst = max((Verdict(r["verdict"]) for r in records), key=VERDICT_RANK.__getitem__)
        assert worst is check.verdict, (check.id, worst, check.verdict)
    if check.verdict is Verdict.PASS and records:
        assert all(r["verdict"] == "pass" for r in records)


def assert_host(host: HostResult) -> None:
    judged = host.stage is Stage.JUDGED
    assert (host.stage_finding is None) is judged
    for check in host.checks:
        assert_check(check, judged=judged)


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], str] = {}
        self.findings: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "td" and "data-check" in a and "data-verdict" in a and "data-host" in a:
            self.cells[(a["data-host"], a["data-check"])] = a["data-verdict"]
        if tag == "tr" and "finding" in a.get("class", "").split():
            self.findings.append(a)


def assert_page(html: str) -> int:
    """Every finding row agrees with the cells it names; returns how many it named."""
    rows = _Rows()
    rows.feed(html)
    named = 0
    for row in rows.findings:
        assert row["data-verdict"] in ("fail", "error", "inconclusive")
        for check in row["data-check"].split():
            named += 1
            assert rows.cells[(row["data-host"], check)] == row["data-verdict"], row
    return named


def all_checks(hosts: Iterable[HostResult]) -> list[Check]:
    return [c for h in hosts for c in h.checks]
