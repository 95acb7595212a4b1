"""What ``auditor run`` prints: per customer a count, then the hosts that need something."""

from __future__ import annotations

from pathlib import Path

from auditor.model import Check, HostResult, Role, RunResult, Stage, Verdict
from auditor.model import Connection as Conn
from auditor.profile import Profile, load_profile
from auditor.summary import format_summary

PROFILE = load_profile()


def host(
    name: str,
    customer: str,
    stage: Stage = Stage.JUDGED,
    profile: Profile = PROFILE,
    **verdicts: Verdict,
) -> HostResult:
    """Checks in the profile's order, as the judge gives them."""
    checks = tuple(Check(c, verdicts.get(c, Verdict.PASS), "r") for c in profile.checks)
    reason = "TCP 198.51.100.9:22 refused" if stage is not Stage.JUDGED else "audit complete"
    return HostResult(name, customer, Role.SERVER, "198.51.100.9", Conn.SSH, stage, reason,
                      checks, "2026-11-25T03:00:00+00:00", 1.0)  # fmt: skip


def run_of(*hosts: HostResult, profile: Profile = PROFILE) -> RunResult:
    return RunResult("id", "2026-11-25T03:00:00+00:00", "2026-11-25T03:00:09+00:00", "0.1.0",
                     "contract", "5", ("inv",), hosts, profile.check_infos)  # fmt: skip


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
        # the bundled profile lists teamviewer first: ids come in the profile's order
        "  srv  judged    fail: teamviewer tcp_5938; not tested: tcp_80; not proven: udp_5938",
        "Globex: 1/1 hosts compliant",
    ]


def test_check_ids_follow_the_profile_order(tmp_path: Path) -> None:
    """A profile with checks of its own, in an order of its own: the summary keeps it."""
    path = tmp_path / "profile.yaml"
    path.write_text(
        "schema_version: 2\ncontract: {name: Test, version: '6'}\nchecks:\n"
        "  tcp_8443:\n    kind: tcp\n    title: {de: a, en: a}\n    targets: [a.example]\n"
        "    port: 8443\n"
        "  rights:\n    kind: admin\n    title: {de: b, en: b}\n"
        "  dns_tcp:\n    kind: dns\n    transport: tcp\n    title: {de: c, en: c}\n"
        "    names: [a.example]\n"
        "  allowed:\n    kind: tcp\n    title: {de: d, en: d}\n    targets: [a.example]\n"
        "    port: 80\n",
        encoding="utf-8",
    )
    profile = load_profile(str(path))
    fails = dict.fromkeys(("allowed", "dns_tcp", "rights", "tcp_8443"), Verdict.FAIL)
    text = format_summary(run_of(host("srv", "Acme", profile=profile, **fails), profile=profile))
    assert text.splitlines() == [
        "Acme: 0/1 hosts compliant",
        "  srv  judged    fail: tcp_8443 rights dns_tcp allowed",
    ]


def test_control_characters_in_names_cannot_rewrite_the_terminal() -> None:
    text = format_summary(run_of(host("evil\x1b[2J", "Cust\r", tcp_80=Verdict.FAIL)))
    assert "\x1b" not in text and "\r" not in text
    assert "evil\\x1b[2J" in text
