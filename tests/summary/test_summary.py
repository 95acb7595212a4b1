"""What ``auditor run`` prints: per customer a count, then the hosts that need something."""

from __future__ import annotations

from auditor.model import CHECK_IDS, Check, HostResult, Role, RunResult, Stage, Verdict
from auditor.model import Connection as Conn
from auditor.summary import format_summary


def host(name: str, customer: str, stage: Stage = Stage.JUDGED, **verdicts: Verdict) -> HostResult:
    checks = tuple(Check(c, verdicts.get(c, Verdict.PASS), "r") for c in CHECK_IDS)
    reason = "TCP 198.51.100.9:22 refused" if stage is not Stage.JUDGED else "audit complete"
    return HostResult(name, customer, Role.SERVER, "198.51.100.9", Conn.SSH, stage, reason,
                      checks, "2026-11-25T03:00:00+00:00", 1.0)  # fmt: skip


def run_of(*hosts: HostResult) -> RunResult:
    return RunResult("id", "2026-11-25T03:00:00+00:00", "2026-11-25T03:00:09+00:00", "0.1.0",
                     "contract", "5", ("inv",), hosts)  # fmt: skip


def test_counts_per_customer_and_names_what_each_host_needs() -> None:
    text = format_summary(
        run_of(
            host("ok1", "Acme"),
            host("fw", "Acme", Stage.CONNECT),
            host(
                "srv",
                "Acme",
                tcp_5938=Verdict.FAIL,
                udp_5938=Verdict.INCONCLUSIVE,
                tcp_80=Verdict.ERROR,
                teamviewer=Verdict.FAIL,
            ),
            host("ok2", "Globex"),
        )
    )
    assert text.splitlines() == [
        "Acme: 1/3 hosts compliant",
        "  fw   connect   TCP 198.51.100.9:22 refused",
        "  srv  judged    fail: tcp_5938 teamviewer; not tested: tcp_80; not proven: udp_5938",
        "Globex: 1/1 hosts compliant",
    ]


def test_control_characters_in_names_cannot_rewrite_the_terminal() -> None:
    text = format_summary(run_of(host("evil\x1b[2J", "Cust\r", tcp_80=Verdict.FAIL)))
    assert "\x1b" not in text and "\r" not in text
    assert "evil\\x1b[2J" in text
