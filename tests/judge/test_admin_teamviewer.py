"""admin and teamviewer judges: tables of recorded observations -> exact verdicts and codes."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from judge_cases import (
    AT,
    CTX,
    ERR,
    FAIL,
    INC,
    IT,
    MSP,
    PASS,
    USER,
    assert_codes,
    context,
    judge,
)

import auditor.profile
from auditor.errors import AuthError, CredentialsMissing, WinrmAccessDenied
from auditor.judge.admin import login_refused
from auditor.judge.evidence import Context
from auditor.judge.stage import transport_finding
from auditor.lab.windows_host import recorded
from auditor.model import Check, Finding, Verdict
from auditor.profile import Profile, parse_profile
from auditor.report.words import catalogue
from auditor.teamviewer.directory import ManagedDevice, MspDevices

NEEDS = {"status": "needs_password", "message": "sudo: a password is required"}


def admin(euid: int = 1001, given: bool = False, **sudo: Any) -> dict[str, Any]:
    section = {"check": "admin", "uid": euid, "euid": euid, "user": "audit" if euid else "root"}
    section.update(groups=["audit"], become_password_given=given, **sudo)
    return {"admin": section}


ADMIN_TABLE: list[tuple[str, dict[str, Any], Verdict, str, str, str | None, str]] = [
    ("root", admin(0), PASS, "admin.uid0", "admin", "uid0", "uid 0"),
    ("nopasswd", admin(sudo_nopasswd={"status": "ok"}), PASS, "admin.sudo_nopasswd", "admin",
     "sudo_nopasswd", "without a password"),
    ("become ok", admin(given=True, sudo_nopasswd=NEEDS, sudo_password={"status": "ok"}),
     PASS, "admin.sudo_password", "admin", "sudo_password", "with the become password"),
    ("become wrong", admin(given=True, sudo_nopasswd=NEEDS,
                           sudo_password={"status": "wrong_password"}),
     FAIL, "credentials.become_password_wrong", "not_admin", None, "wrong become password"),
    ("not in sudoers", admin(given=True, sudo_nopasswd=NEEDS, sudo_password={"status": "denied"}),
     FAIL, "credentials.not_in_sudoers", "not_admin", None, "not in sudoers"),
    ("denied at once", admin(sudo_nopasswd={"status": "denied"}), FAIL,
     "credentials.not_in_sudoers", "not_admin", None, "not in sudoers"),
    ("no sudo", admin(sudo_nopasswd={"status": "absent"}), FAIL, "credentials.no_sudo",
     "not_admin", None, "sudo is not installed"),
    ("password we do not hold", admin(sudo_nopasswd=NEEDS), FAIL,
     "credentials.become_password_missing", "not_admin", None,
     "sudo asks for a password we do not hold"),
    ("sudo hung", admin(sudo_nopasswd={"status": "timeout", "message": "no result"}),
     ERR, "admin.not_observed", "unknown", None, "could not be observed"),
    ("become hung", admin(given=True, sudo_nopasswd=NEEDS, sudo_password={"status": "timeout"}),
     ERR, "admin.not_observed", "unknown", None, "could not be observed"),
    ("no sudo result", admin(), ERR, "admin.not_observed", "unknown", None,
     "no sudo result in the observation"),
    ("sudo says something new", admin(sudo_nopasswd={"status": "error", "message": "odd"}),
     INC, "admin.unproven", "unknown", None, "cannot judge"),
    ("section timed out", {"admin": {"check": "admin", "status": "timeout", "error": "deadline"}},
     ERR, "admin.not_observed", "unknown", None, "could not be observed"),
    ("old payload, root", {"uid": 0}, PASS, "admin.uid0", "admin", "uid0", "uid 0"),
    ("old payload, user", {"uid": 1000}, INC, "admin.unproven", "unknown", None,
     "did not observe"),
    ("nothing", {}, ERR, "admin.not_observed", "unknown", None, "did not report"),
    ("uid is no number", {"uid": True}, ERR, "admin.not_observed", "unknown", None,
     "did not report"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("observations", "verdict", "code", "state", "method", "words"),
    [row[1:] for row in ADMIN_TABLE],
    ids=[row[0] for row in ADMIN_TABLE],
)
def test_admin_table(
    observations: dict[str, Any],
    verdict: Verdict,
    code: str,
    state: str,
    method: str | None,
    words: str,
) -> None:
    check = judge("admin", observations)
    assert (check.id, check.verdict) == ("admin", verdict)
    assert check.evidence["state"] == state
    assert check.evidence.get("method") == method
    assert check.evidence["observed_at"] == AT
    assert check.evidence["outcome"] == code
    assert words in check.reason.lower()
    assert check.evidence["user"] in ("audit", "root")
    if verdict is PASS:
        assert_codes(check, PASS, ())
        return
    assert_codes(check, verdict, (code,), (IT if code.startswith("credentials.") else MSP,))
    if code.startswith("credentials."):  # the contract's evidence: who, and since when
        assert dict(check.findings[0].params) == {"observed_at": AT, "user": "audit"}


def win(state: str, **change: Any) -> dict[str, Any]:
    """A recorded Windows admin section (auditor/lab/recorded_windows/), optionally changed."""
    return {"admin": {**recorded("admin", state, "win1"), **change}}


# Windows: the logon token decides (docs/observations.md, "The PowerShell payload")
WIN_ADMIN_TABLE: list[tuple[str, dict[str, Any], Verdict, str, str, str | None, str]] = [
    ("local admin, full token", win("admin"), PASS, "admin.token_admin", "admin", "token_admin",
     "with the group enabled in the token"),
    ("domain admin", win("domain_admin"), PASS, "admin.token_admin", "admin", "token_admin",
     "as a domain admin"),
    ("uac filtered", win("uac_filtered"), FAIL, "credentials.uac_filtered", "not_admin", None,
     "localaccounttokenfilterpolicy is not 1"),
    ("built-in administrator filtered", win("rid500_filtered"), FAIL,
     "credentials.uac_filtered_builtin", "not_admin", None, "filteradministratortoken = 1"),
    ("not an administrator", win("not_admin"), FAIL, "credentials.not_administrator",
     "not_admin", None, "is not a member of administrators"),
    ("token unreadable", win("admin", token={"admin_group": None}), ERR, "admin.not_observed",
     "unknown", None, "could not be read"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("observations", "verdict", "code", "state", "method", "words"),
    [row[1:] for row in WIN_ADMIN_TABLE],
    ids=[row[0] for row in WIN_ADMIN_TABLE],
)
def test_windows_admin_table(
    observations: dict[str, Any], verdict: Verdict, code: str, state: str, method: str | None,
    words: str,
) -> None:  # fmt: skip
    check = judge("admin", observations)
    assert (check.verdict, check.evidence["state"], check.evidence.get("method")) == (
        verdict, state, method)  # fmt: skip
    assert check.evidence["outcome"] == code and words in check.reason.lower()
    assert check.evidence["uid"] is None  # Windows has no uid; the token says it all
    section = observations["admin"]
    assert check.evidence["user"] == section["user"]
    assert check.evidence["admin_group"] == section["token"]["admin_group"]
    if verdict is PASS:
        assert_codes(check, PASS, ())
        return
    assert_codes(check, verdict, (code,), (IT if code.startswith("credentials.") else MSP,))
    if code.startswith("credentials."):
        assert dict(check.findings[0].params) == {"observed_at": AT, "user": section["user"]}


def test_windows_admin_evidence_names_account_token_and_policy() -> None:
    check = judge("admin", win("rid500_filtered"))
    assert {k: check.evidence[k] for k in ("account", "elevated", "integrity",
                                           "member_of_administrators")} == {
        "account": "builtin_administrator", "elevated": False, "integrity": "medium",
        "member_of_administrators": True,
    }  # fmt: skip
    assert check.evidence["uac"]["filter_administrator_token"] == 1
    not_member = judge("admin", win("not_admin"))
    assert not_member.evidence["member_of_administrators"] is False


def denied_finding() -> Finding:
    error = WinrmAccessDenied("WinRM accepted the login but denied access", user=USER)
    return transport_finding(error, observed_at=AT, user="ignored")


def test_winrm_denying_the_account_is_not_admin_evidence() -> None:
    check = login_refused("admin", denied_finding(), "Access is denied")
    assert (check.verdict, check.evidence["state"]) == (FAIL, "not_admin")
    assert_codes(check, FAIL, ("credentials.winrm_denied",), (IT,))


def test_admin_evidence_keeps_what_sudo_said() -> None:
    check = judge("admin", admin(given=True, sudo_nopasswd=NEEDS,
                                 sudo_password={"status": "ok", "message": "lecture"}))  # fmt: skip
    assert check.evidence["sudo_nopasswd"] == NEEDS
    assert check.evidence["sudo_password"] == {"status": "ok", "message": "lecture"}
    assert (check.evidence["uid"], check.evidence["groups"]) == (1001, ["audit"])
    # without a name in the observation, the login name we used; no time, no parameter
    section = {**admin(sudo_nopasswd={"status": "absent"})["admin"], "user": None}
    plain = judge("admin", {"admin": section}, ctx=context())
    assert plain.evidence["user"] == USER
    assert dict(plain.findings[0].params) == {"observed_at": AT, "user": USER}


def test_a_boolean_euid_is_not_root() -> None:
    check = judge("admin", {"admin": {"check": "admin", "euid": False, "user": "audit"}})
    assert check.verdict is not PASS


def refused_finding() -> Finding:
    error = AuthError("authentication refused for user 'audit'", user=USER)
    return transport_finding(error, observed_at=AT, user="ignored")


def missing_finding() -> Finding:
    error = CredentialsMissing("authentication refused for user 'audit': no key file", user=USER)
    return transport_finding(error, observed_at=AT, user="ignored")


def login_checks() -> list[Check]:
    found = (missing_finding(), refused_finding(), denied_finding())
    return [login_refused("admin", f, "no key") for f in found]


@pytest.mark.parametrize(
    ("found", "state", "words"),
    [(missing_finding(), "credentials_missing", "no usable credentials"),
     (refused_finding(), "auth_failed", "refused")],
    ids=["missing", "refused"],
)  # fmt: skip
def test_login_refused_is_evidence_with_time(found: Finding, state: str, words: str) -> None:
    check = login_refused("admin", found, "no key")
    assert check.verdict is FAIL
    assert check.evidence == {"observed_at": AT, "user": "audit", "stage": "auth", "state": state,
                              "outcome": found.code}  # fmt: skip
    assert words in check.reason
    assert check.reason.endswith(": no key.")
    assert check.findings == (found,)
    assert_codes(check, FAIL, (found.code,), (IT,))
    assert dict(found.params) == {"observed_at": AT, "user": USER}


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
    "management_id": "{6f1c0d6e-1111-4000-8000-000000000001}",
    "unmanaged": False,
}
LOCKED = {"exists": True, "readable": False, "error": "Permission denied"}
UNMANAGED = {**READ, "unmanaged": True}
UNASSIGNED = {**READ, "management_id": None, "unmanaged": None}

# The fix a person reads in the report (the English words of the code's ``fix``).
TV_TABLE: list[tuple[str, dict[str, Any], Verdict, str, str, str | None]] = [
    ("host running", tv(installed=HOST, binaries=BIN, running=True, config=READ), PASS,
     "teamviewer.host_running", "installed and teamviewerd runs (id 123456789), assigned "
     "(management id {6f1c0d6e-1111-4000-8000-000000000001})", None),
    ("host running, config locked", tv(installed=HOST, running=True, config=LOCKED),
     INC, "teamviewer.enrollment_unknown", "device management in global.conf could not be read",
     "root or sudo"),
    ("host running, systemd", tv(installed=HOST, running=True, method="systemd"), INC,
     "teamviewer.enrollment_unknown", "could not be read", "root or sudo"),
    ("host running, unmanaged", tv(installed=HOST, binaries=BIN, running=True, config=UNMANAGED),
     FAIL, "teamviewer.not_enrolled", "marked unmanaged", "accept the assignment"),
    ("host running, never assigned", tv(installed=HOST, running=True, config=UNASSIGNED),
     FAIL, "teamviewer.not_enrolled", "assigned to no company", "accept the assignment"),
    ("installed, stopped", tv(installed=HOST, binaries=BIN, running=False, config=READ),
     FAIL, "teamviewer.not_running", "not running", "systemctl enable --now teamviewerd"),
    ("binary only, stopped", tv(manager=None, binaries=BIN, running=False), FAIL,
     "teamviewer.not_running", "not running", "systemctl enable --now teamviewerd"),
    ("absent", tv(), FAIL, "teamviewer.not_installed", "not installed",
     "get.teamviewer.com/bg-host"),
    ("full client running", tv(installed={"teamviewer": "15.1"}, running=True), FAIL,
     "teamviewer.full_client", "not the teamviewer host module", "get.teamviewer.com/bg-host"),
    ("both packages: host wins", tv(installed={"teamviewer": "15.1", **HOST}, running=True,
                                    config=READ),
     PASS, "teamviewer.host_running", "host is installed", None),
    ("running, no package record", tv(manager=None, binaries=BIN, running=True),
     INC, "teamviewer.module_unknown", "no dpkg/rpm package record", "by hand"),
    ("only a locked config", tv(config=LOCKED), INC, "teamviewer.config_only",
     "installation not proven", "get.teamviewer.com/bg-host"),
    ("process table hidden", tv(installed=HOST, running=None), INC,
     "teamviewer.running_unknown", "could not be observed", "sudo"),
    ("systemctl said nothing", tv(installed=HOST, running=None, method="systemd"), INC,
     "teamviewer.running_unknown", "systemctl gave no usable answer", "sudo"),
    ("hidden, nothing installed", tv(running=None), FAIL, "teamviewer.not_installed",
     "not installed", "get.teamviewer.com/bg-host"),
    ("id from teamviewer info", tv(installed=HOST, running=True, config=LOCKED,
                                   info={"status": "ran", "client_id": "42", "version": "15.9"}),
     INC, "teamviewer.enrollment_unknown", "(id 42), but its device management", "sudo"),
    ("section timed out", {"teamviewer": {"check": "teamviewer", "status": "timeout"}},
     ERR, "teamviewer.not_observed", "could not be observed", "by hand"),
    ("not observed", {}, ERR, "teamviewer.not_observed", "not observed", "by hand"),
    ("garbage", {"teamviewer": {"packages": "x"}}, ERR, "teamviewer.not_observed",
     "could not be read", "by hand"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("observations", "verdict", "code", "words", "fix"),
    [row[1:] for row in TV_TABLE],
    ids=[row[0] for row in TV_TABLE],
)
def test_teamviewer_table(
    observations: dict[str, Any], verdict: Verdict, code: str, words: str, fix: str | None
) -> None:
    check = judge("teamviewer", observations)
    assert (check.id, check.verdict) == ("teamviewer", verdict)
    assert words in check.reason.lower()
    assert "fix" not in check.evidence and "fix_de" not in check.evidence  # words, in the report
    if verdict is PASS:
        assert_codes(check, PASS, ())
        assert check.evidence["outcome"] == code
        assert fix is None
        return
    assert_codes(check, verdict, (code,), (IT if verdict is FAIL else MSP,))
    if "outcome" in check.evidence:  # a section that could be read
        assert check.evidence["outcome"] == code
    assert fix is not None
    words_of = catalogue()["code"][code]
    assert fix in words_of["fix"]["en"] and words_of["fix"]["de"]


ENROLLED = ("{6f1c0d6e-1111-4000-8000-000000000001}", False)


def wtv(
    state: str, management: tuple[str | None, bool | None] = ENROLLED, **service: Any
) -> dict[str, Any]:
    """A recorded Windows TeamViewer section, its device management and service as given."""
    section = recorded("teamviewer", state, "win1")
    section["service"] = {**section["service"], **service}
    for key in section.get("registry") or ():
        if key.get("exists"):
            key["management_id"], key["unmanaged"] = management
    return {"teamviewer": section}


WIN_TV_TABLE: list[tuple[str, dict[str, Any], Verdict, str, str, str | None]] = [
    ("host running", wtv("running"), PASS, "teamviewer.host_running", "host is installed", None),
    ("host running, unmanaged", wtv("running", (ENROLLED[0], True)), FAIL,
     "teamviewer.not_enrolled", "marked unmanaged (the registry)", "accept the assignment"),
    ("host running, no DeviceManagementV2", wtv("running", (None, None)), FAIL,
     "teamviewer.not_enrolled", "assigned to no company", "accept the assignment"),
    ("host stopped, disabled", wtv("stopped"), FAIL, "teamviewer.service_stopped",
     "start type disabled", "sc.exe config TeamViewer start= auto"),
    ("full client", wtv("client"), FAIL, "teamviewer.full_client",
     "not the teamviewer host module", "get.teamviewer.com/bg-host"),
    ("absent", wtv("absent"), FAIL, "teamviewer.not_installed", "not installed",
     "get.teamviewer.com/bg-host"),
    ("service unreadable", wtv("running", running=None), INC, "teamviewer.service_unknown",
     "could not be read", "services.msc"),
    ("registry only", {"teamviewer": {**recorded("teamviewer", "absent", "w"),
                                      "registry": [{"path": "HKLM", "exists": True}]}},
     INC, "teamviewer.registry_only", "only teamviewer registry settings", "bg-host"),
    ("device management unreadable", {"teamviewer": {**recorded("teamviewer", "running", "w"),
        "registry": [{**{k: v for k, v in recorded("teamviewer", "running", "w")["registry"][0].items()
                         if k not in ("management_id", "unmanaged")},
                      "management_error": "Requested registry access is not allowed."}]}},
     INC, "teamviewer.enrollment_unknown", "device management in the registry could not be read",
     "root or sudo"),
    ("running, other product", {"teamviewer": {**recorded("teamviewer", "running", "w"),
                                               "products": [{"display_name": "TeamViewer Meeting"}]}},
     INC, "teamviewer.module_unknown", "windows' uninstall programs", "by hand"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("observations", "verdict", "code", "words", "fix"),
    [row[1:] for row in WIN_TV_TABLE],
    ids=[row[0] for row in WIN_TV_TABLE],
)
def test_windows_teamviewer_table(
    observations: dict[str, Any], verdict: Verdict, code: str, words: str, fix: str | None
) -> None:
    check = judge("teamviewer", observations)
    assert check.verdict is verdict and words in check.reason.lower(), check.reason
    assert check.evidence["outcome"] == code
    assert check.evidence["service_method"] == "scm"
    if verdict is PASS:
        assert_codes(check, PASS, ())
        return
    assert_codes(check, verdict, (code,), (IT if verdict is FAIL else MSP,))
    assert fix is not None and fix in catalogue()["code"][code]["fix"]["en"]


def test_windows_teamviewer_evidence_has_product_id_and_custom_module() -> None:
    check = judge("teamviewer", wtv("running"))
    assert {k: check.evidence[k] for k in ("product", "version", "client_id", "start_mode",
                                           "custom_config_id", "package")} == {
        "product": "TeamViewer Host", "version": "15.61.3",
        "client_id": recorded("teamviewer", "running", "win1")["registry"][0]["client_id"],
        "start_mode": "Auto", "custom_config_id": "6b3yjfa", "package": "teamviewer-host",
    }  # fmt: skip
    stopped = judge("teamviewer", wtv("stopped")).findings[0]
    assert dict(stopped.params) == {"start_mode": "Disabled"}


def test_teamviewer_evidence_names_package_version_and_id() -> None:
    check = judge("teamviewer", tv(installed=HOST, binaries=BIN, running=True, config=READ))
    assert check.evidence == {
        "installed": True,
        "running": True,
        "package": "teamviewer-host",
        "version": "15.61.3",  # the package's word beats the config's
        "client_id": "123456789",
        "service_method": "proc",
        "config_via": "sudo_nopasswd",
        "binaries": list(BIN),
        "management": {"management_id": READ["management_id"], "unmanaged": False},
        "assignment": {"state": "not_checked", "required": False, "why": NO_TOKEN},
        "outcome": "teamviewer.host_running",
    }


# --- assigned to *us*: the MSP's managed-device list (TeamViewer Web API) -----------------------

NO_TOKEN = "no TeamViewer API token was given (--teamviewer-api-token-file)"
OURS = ManagedDevice(id="6f1c0d6e-1111-4000-8000-000000000001", name="srv-01",
                     teamviewer_id=123456789, is_online=True, policy_id="pol-7")  # fmt: skip
SOMEONE = ManagedDevice(id="0000aaaa-0000-4000-8000-000000000009", name="other",
                        teamviewer_id=987, is_online=False)  # fmt: skip
CHECKED = MspDevices("checked", (SOMEONE, OURS), source="https://webapi.teamviewer.com")
FAILED = MspDevices("failed", error="https://webapi.teamviewer.com/api/v1/managed/devices: "
                    "the API refused the token (401)", source="https://webapi.teamviewer.com")  # fmt: skip
RUNNING = tv(installed=HOST, binaries=BIN, running=True, config=READ)


def with_msp(msp: MspDevices) -> Context:
    return dataclasses.replace(CTX, msp=msp)


def test_on_the_msps_list_passes_with_the_device_name_and_policy() -> None:
    check = judge("teamviewer", RUNNING, ctx=with_msp(CHECKED))
    assert check.verdict is PASS
    assert (
        "managed by the msp's teamviewer company as 'srv-01', policy pol-7" in check.reason.lower()
    )
    assert check.evidence["assignment"] == {"state": "msp", "matched_by": "management_id", "device": {
        "name": "srv-01", "management_id": OURS.id, "teamviewer_id": 123456789,
        "policy_id": "pol-7", "online": True}}  # fmt: skip


def test_found_by_client_id_when_the_list_holds_another_management_id() -> None:
    by_id = MspDevices("checked", (dataclasses.replace(OURS, id="something-else"),))
    check = judge("teamviewer", RUNNING, ctx=with_msp(by_id))
    assert check.verdict is PASS and check.reason.endswith("(matched by its ClientID).")
    assert check.evidence["assignment"]["matched_by"] == "client_id"


def test_assigned_but_not_on_the_msps_list_is_another_company() -> None:
    check = judge("teamviewer", RUNNING, ctx=with_msp(MspDevices("checked", (SOMEONE,))))
    assert_codes(check, FAIL, ("teamviewer.other_company",), (IT,))
    assert "assigned to another company" in check.reason
    assert "not among the 1 devices" in check.reason
    assert check.evidence["assignment"] == {"state": "other_company", "msp_devices": 1}
    fix = catalogue()["code"]["teamviewer.other_company"]["fix"]
    assert "accept the assignment to us" in fix["en"] and fix["de"]


def test_unmanaged_stays_a_failure_whatever_the_list_says() -> None:
    unmanaged = tv(installed=HOST, binaries=BIN, running=True, config=UNMANAGED)
    check = judge("teamviewer", unmanaged, ctx=with_msp(CHECKED))
    assert_codes(check, FAIL, ("teamviewer.not_enrolled",), (IT,))


def test_an_unreadable_record_passes_only_when_the_list_names_the_client_id() -> None:
    locked = tv(installed=HOST, running=True, config=LOCKED,
                info={"status": "ran", "client_id": "123456789", "version": "15.9"})  # fmt: skip
    assert judge("teamviewer", locked, ctx=with_msp(CHECKED)).verdict is PASS
    assert (
        judge("teamviewer", locked, ctx=with_msp(MspDevices("checked", (SOMEONE,)))).verdict is INC
    )
    assert judge("teamviewer", locked).verdict is INC


def test_without_a_token_the_reason_says_not_cross_checked() -> None:
    check = judge("teamviewer", RUNNING)
    assert check.verdict is PASS and "was not cross-checked: " + NO_TOKEN in check.reason


def test_a_failed_fetch_is_said_and_never_invents_an_assignment() -> None:
    check = judge("teamviewer", RUNNING, ctx=with_msp(FAILED))
    assert check.verdict is PASS and "could not be fetched" in check.reason
    assert "refused the token (401)" in check.reason
    assert check.evidence["assignment"]["state"] == "not_checked"


@pytest.mark.parametrize("msp", [MspDevices(), FAILED], ids=["no token", "fetch failed"])
def test_a_required_cross_check_without_the_list_is_inconclusive(msp: MspDevices) -> None:
    profile = required_profile()
    check = judge("teamviewer", RUNNING, ctx=with_msp(msp), profile=profile)
    assert_codes(check, INC, ("teamviewer.assignment_not_checked",), (MSP,))
    assert (
        "requires the assignment to the msp's company to be cross-checked" in check.reason.lower()
    )
    assert judge("teamviewer", RUNNING, ctx=with_msp(CHECKED), profile=profile).verdict is PASS


def required_profile() -> Profile:
    text = (Path(auditor.profile.__file__).parent / "contract-v5.yaml").read_text(encoding="utf-8")
    assert "cross_check: optional" in text
    return parse_profile(text.replace("cross_check: optional", "cross_check: required"), "p.yaml")


def test_stopped_service_names_the_fix_in_both_languages() -> None:
    check = judge("teamviewer", tv(installed=HOST, running=False))
    assert check.reason == "TeamViewer 15.61.3 is installed but teamviewerd is not running."
    assert_codes(check, FAIL, ("teamviewer.not_running",), (IT,))
    fix = catalogue()["code"]["teamviewer.not_running"]["fix"]
    assert "systemctl enable --now teamviewerd" in fix["de"]
    assert "systemctl enable --now teamviewerd" in fix["en"]


# --- every Check this module's cases produce (test_judge_coverage.py) -----------------


def produced() -> list[Check]:
    return [
        *(judge("admin", row[1]) for row in ADMIN_TABLE),
        *login_checks(),
        *(judge("teamviewer", row[1]) for row in TV_TABLE),
        *(judge("admin", row[1]) for row in WIN_ADMIN_TABLE),
        *(judge("teamviewer", row[1]) for row in WIN_TV_TABLE),
        *(judge("teamviewer", RUNNING, ctx=with_msp(msp)) for msp in (CHECKED, FAILED)),
        judge("teamviewer", RUNNING, ctx=with_msp(MspDevices("checked", (SOMEONE,)))),
        judge("teamviewer", RUNNING, profile=required_profile()),
    ]
