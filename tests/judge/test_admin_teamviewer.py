"""admin and teamviewer judges: tables of recorded observations -> exact verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.judge.admin import judge_admin, login_refused
from auditor.judge.teamviewer import judge_teamviewer
from auditor.model import Verdict

AT = "2025-03-01T10:00:00+01:00"
NEEDS = {"status": "needs_password", "message": "sudo: a password is required"}


def admin(euid: int = 1001, given: bool = False, **sudo: Any) -> dict[str, Any]:
    section = {"check": "admin", "uid": euid, "euid": euid, "user": "audit" if euid else "root"}
    section.update(groups=["audit"], become_password_given=given, **sudo)
    return {"admin": section}


ADMIN_TABLE: list[tuple[str, dict[str, Any], Verdict, str, str | None, str]] = [
    ("root", admin(0), Verdict.PASS, "admin", "uid0", "uid 0"),
    ("nopasswd", admin(sudo_nopasswd={"status": "ok"}), Verdict.PASS, "admin", "sudo_nopasswd",
     "without a password"),
    ("become ok", admin(given=True, sudo_nopasswd=NEEDS, sudo_password={"status": "ok"}),
     Verdict.PASS, "admin", "sudo_password", "with the become password"),
    ("become wrong", admin(given=True, sudo_nopasswd=NEEDS,
                           sudo_password={"status": "wrong_password"}),
     Verdict.FAIL, "not_admin", None, "wrong become password"),
    ("not in sudoers", admin(given=True, sudo_nopasswd=NEEDS, sudo_password={"status": "denied"}),
     Verdict.FAIL, "not_admin", None, "not in sudoers"),
    ("denied at once", admin(sudo_nopasswd={"status": "denied"}), Verdict.FAIL, "not_admin", None,
     "not in sudoers"),
    ("no sudo", admin(sudo_nopasswd={"status": "absent"}), Verdict.FAIL, "not_admin", None,
     "sudo is not installed"),
    ("password we do not hold", admin(sudo_nopasswd=NEEDS), Verdict.FAIL, "not_admin", None,
     "sudo asks for a password we do not hold"),
    ("sudo hung", admin(sudo_nopasswd={"status": "timeout", "message": "no result"}),
     Verdict.ERROR, "unknown", None, "could not be observed"),
    ("sudo says something new", admin(sudo_nopasswd={"status": "error", "message": "odd"}),
     Verdict.INCONCLUSIVE, "unknown", None, "cannot judge"),
    ("section timed out", {"admin": {"check": "admin", "status": "timeout", "error": "deadline"}},
     Verdict.ERROR, "unknown", None, "could not be observed"),
    ("old payload, root", {"uid": 0}, Verdict.PASS, "admin", "uid0", "uid 0"),
    ("old payload, user", {"uid": 1000}, Verdict.INCONCLUSIVE, "unknown", None, "did not observe"),
    ("nothing", {}, Verdict.ERROR, "unknown", None, "did not report"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("observations", "verdict", "state", "method", "words"),
    [row[1:] for row in ADMIN_TABLE],
    ids=[row[0] for row in ADMIN_TABLE],
)
def test_admin_table(
    observations: dict[str, Any], verdict: Verdict, state: str, method: str | None, words: str
) -> None:
    check = judge_admin(observations, observed_at=AT, user="audit")
    assert (check.id, check.verdict) == ("admin", verdict)
    assert check.evidence["state"] == state
    assert check.evidence.get("method") == method
    assert check.evidence["observed_at"] == AT
    assert words in check.reason.lower()
    assert check.evidence["user"] in ("audit", "root")


@pytest.mark.parametrize(
    ("missing", "state", "words"),
    [(True, "credentials_missing", "no usable credentials"), (False, "auth_failed", "refused")],
)
def test_login_refused_is_evidence_with_time(missing: bool, state: str, words: str) -> None:
    check = login_refused("no key", credentials_missing=missing, observed_at=AT, user="audit")
    assert check.verdict is Verdict.FAIL
    assert check.evidence == {"observed_at": AT, "user": "audit", "stage": "auth", "state": state}
    assert words in check.reason


def tv(
    *,
    installed: dict[str, str] | None = None,
    manager: str | None = "dpkg",
    binaries: tuple[str, ...] = (),
    running: bool | None = False,
    method: str = "proc",
    config: dict[str, Any] | None = None,
    info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    conf = {"path": "/etc/teamviewer/global.conf", "exists": False, "readable": False, "via": None}
    return {
        "teamviewer": {
            "check": "teamviewer",
            "packages": {"manager": manager, "status": "ok", "installed": installed or {}},
            "binaries": list(binaries),
            "service": {"method": method, "running": running, "pids": [7] if running else []},
            "config": [{**conf, **(config or {})}],
            "info": info or {"status": "absent"},
        }
    }


HOST = {"teamviewer-host": "15.61.3"}
BIN = ("/opt/teamviewer/tv_bin/teamviewerd",)
READ = {
    "exists": True,
    "readable": True,
    "via": "sudo_nopasswd",
    "client_id": "123456789",
    "version": "15.60.0",
}
LOCKED = {"exists": True, "readable": False, "error": "Permission denied"}

TV_TABLE: list[tuple[str, dict[str, Any], Verdict, str, str | None]] = [
    ("host running", tv(installed=HOST, binaries=BIN, running=True, config=READ), Verdict.PASS,
     "installed and teamviewerd runs (id 123456789)", None),
    ("host running, config locked", tv(installed=HOST, running=True, config=LOCKED),
     Verdict.PASS, "installed and teamviewerd runs", None),
    ("host running, systemd", tv(installed=HOST, running=True, method="systemd"), Verdict.PASS,
     "runs", None),
    ("installed, stopped", tv(installed=HOST, binaries=BIN, running=False, config=READ),
     Verdict.FAIL, "not running", "systemctl enable --now teamviewerd"),
    ("binary only, stopped", tv(manager=None, binaries=BIN, running=False), Verdict.FAIL,
     "not running", "systemctl enable --now teamviewerd"),
    ("absent", tv(), Verdict.FAIL, "not installed", "teamviewer-host"),
    ("full client running", tv(installed={"teamviewer": "15.1"}, running=True), Verdict.FAIL,
     "not the teamviewer host module", "teamviewer-host"),
    ("both packages: host wins", tv(installed={"teamviewer": "15.1", **HOST}, running=True),
     Verdict.PASS, "host is installed", None),
    ("running, no package record", tv(manager=None, binaries=BIN, running=True),
     Verdict.INCONCLUSIVE, "no dpkg/rpm package record", None),
    ("only a locked config", tv(config=LOCKED), Verdict.INCONCLUSIVE, "installation not proven",
     None),
    ("process table hidden", tv(installed=HOST, running=None), Verdict.INCONCLUSIVE,
     "could not be observed", None),
    ("hidden, nothing installed", tv(running=None), Verdict.FAIL, "not installed",
     "teamviewer-host"),
    ("id from teamviewer info", tv(installed=HOST, running=True, config=LOCKED,
                                   info={"status": "ran", "client_id": "42", "version": "15.9"}),
     Verdict.PASS, "(id 42)", None),
    ("section timed out", {"teamviewer": {"check": "teamviewer", "status": "timeout"}},
     Verdict.ERROR, "could not be observed", None),
    ("not observed", {}, Verdict.ERROR, "not observed", None),
    ("garbage", {"teamviewer": {"packages": "x"}}, Verdict.ERROR, "could not be read", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("observations", "verdict", "words", "fix"),
    [row[1:] for row in TV_TABLE],
    ids=[row[0] for row in TV_TABLE],
)
def test_teamviewer_table(
    observations: dict[str, Any], verdict: Verdict, words: str, fix: str | None
) -> None:
    check = judge_teamviewer(observations)
    assert (check.id, check.verdict) == ("teamviewer", verdict)
    assert words in check.reason.lower()
    assert check.evidence.get("fix") is None if fix is None else fix in check.evidence["fix"]
    if fix:
        assert check.evidence["fix_de"]


def test_teamviewer_evidence_names_package_version_and_id() -> None:
    check = judge_teamviewer(tv(installed=HOST, binaries=BIN, running=True, config=READ))
    assert check.evidence["package"] == "teamviewer-host"
    assert check.evidence["version"] == "15.61.3"  # the package's word beats the config's
    assert check.evidence["client_id"] == "123456789"
    assert check.evidence["config_via"] == "sudo_nopasswd"
    assert check.evidence["running"] is True


def test_stopped_service_names_the_fix_in_both_languages() -> None:
    check = judge_teamviewer(tv(installed=HOST, running=False))
    assert "systemctl enable --now teamviewerd" in check.reason
    assert (
        check.evidence["fix_de"] == "Dienst teamviewerd starten: systemctl enable --now teamviewerd"
    )
