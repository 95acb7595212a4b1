"""The "Seit dem letzten Lauf" section: history's changes, worded and ordered. No browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from auditor.history.changes import HostState, compute
from auditor.model import HostResult, Role, RunResult
from auditor.report.changes import changes_view, counts_text
from auditor.report.words import Words
from tests.history.history_cases import host, run

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 2, 5, tzinfo=UTC)


def state(
    name: str, verdicts: dict[str, str], since: dict[str, datetime] | None = None
) -> HostState:
    return HostState("Kanzlei Weber & Partner", name, verdicts, since or {})


def view(the_run: RunResult, previous: dict[str, HostState], now: dict[str, HostState]) -> object:
    changes = compute("r", NOW, list(now.values()),
                      {("Kanzlei Weber & Partner", n): s for n, s in previous.items()},
                      NOW - timedelta(days=1))  # fmt: skip
    hosts = [(h, f"#host-{n}") for n, h in enumerate(the_run.hosts, 1)]
    return changes_view(the_run, hosts, changes, "de", BERLIN), changes


def test_new_fixed_open_first_in_that_order_one_row_per_host() -> None:
    names = ("fw", "dc1", "ts1", "new")
    the_run = run(5, *(host(n) for n in names))
    earlier = NOW - timedelta(days=9)
    previous = {
        "fw": state("fw", {"tcp_5938": "pass", "tcp_80": "pass"}),
        "dc1": state("dc1", {"tls_443": "fail"}),
        "ts1": state("ts1", {"admin": "fail", "tcp_443": "error"}),
    }
    now = {
        "fw": state("fw", {"tcp_5938": "error", "tcp_80": "error"}),
        "dc1": state("dc1", {"tls_443": "pass"}),
        "ts1": state("ts1", {"admin": "fail", "tcp_443": "fail"}, {"admin": earlier,
                                                                  "tcp_443": earlier}),
        "new": state("new", {"dns_udp": "fail"}),
    }  # fmt: skip
    shown, changes = view(the_run, previous, now)
    groups = [(g.title, [(row.host, row.check, row.verdict_text, row.since) for row in g.lines])
              for g in shown.groups]  # type: ignore[attr-defined]  # fmt: skip
    assert groups == [
        ("Neu nicht erfüllt", [("fw", "5938 TCP, 80 TCP", "! nicht geprüft", "")]),
        ("Behoben", [("dc1", "TLS 443", "✔ erfüllt", "")]),
        ("Weiterhin offen", [("ts1", "443 TCP, Admin-Zugang", "✘ nicht erfüllt",
                              "seit 16.11.2026")]),
        ("Erstmals festgestellt", [("new", "DNS UDP", "✘ nicht erfüllt", "")]),
    ]  # fmt: skip
    assert shown.compared == "Verglichen mit dem Lauf vom 24.11.2026, 03:05 MEZ."  # type: ignore[attr-defined]
    words = Words("de")
    assert counts_text(the_run.hosts, changes, words) == "2 neu · 1 behoben"  # checks, not rows
    assert counts_text(the_run.hosts[2:3], changes, words) == "unverändert"
    assert counts_text(the_run.hosts, None, words) == ""


def test_the_first_run_says_so_and_without_history_there_is_no_section() -> None:
    the_run = run(0, host("dc1"))
    first = compute("r", NOW, [state("dc1", {"tls_443": "fail"})], {}, None)
    shown = changes_view(the_run, [(the_run.hosts[0], "#host-1")], first, "en", BERLIN)
    assert shown is not None
    assert shown.compared == "First run in the history: every finding was first seen on 2026-11-25."
    assert [g.title for g in shown.groups] == ["First seen"]
    assert changes_view(the_run, [(the_run.hosts[0], "#host-1")], None, "de", BERLIN) is None
    assert isinstance(the_run.hosts[0], HostResult) and the_run.hosts[0].role is Role.SERVER
