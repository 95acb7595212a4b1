"""Network devices: the privilege the device states -> exact verdicts, codes and evidence.

The observations are what ``devices/dialog.py`` builds, with the privilege
read by the real readers from vendor-formatted answers (the lab's emulated
devices drive the dialog itself, tests/devices).
"""

from __future__ import annotations

from typing import Any

import pytest
from judge_cases import AT, ERR, FAIL, INC, IT, MSP, PASS, assert_codes, judge

from auditor.devices import readers
from auditor.devices.platforms import BY_KEY
from auditor.model import Check, Verdict
from auditor.report.words import catalogue


def device(key: str, found: readers.Found | None = None, **admin: Any) -> dict[str, Any]:
    """The device and admin sections of one device; ``found`` is a reader's result."""
    platform = BY_KEY[key]
    section: dict[str, Any] = {
        "device": True, "user": "netaudit", "scheme": platform.scheme, "status": "ok",
        "commands": [{"command": "show", "lines": list(found.lines) if found else []}],
    }  # fmt: skip
    if platform.scheme == "level":
        section["highest_level"] = platform.highest_level
    else:
        section["highest_role"] = platform.admin_roles[0]
    if found is not None:
        section.update(found.facts)
    section.update(admin)
    facts = {"platform": key, "label": platform.label, "version": "1.0", "model": "X1"}
    return {"device": facts, "admin": section}


def level(n: int) -> readers.Found:
    return readers.privilege_level(f"Current privilege level is {n}\n")


JUNOS_RO = "Current user: 'netaudit' login: 'netaudit' class 'read-only'\nPermissions:\n    view        -- Can view current values and statistics\n    view-configuration -- Can view configuration\nIndividual command authorization:\n"
JUNOS_SU = "Current user: 'netaudit' login: 'netaudit' class 'super-user'\nPermissions:\n    admin       -- Can view user accounts\n    configure   -- Can enter configuration mode\n    all-control -- Can modify any config\nIndividual command authorization:\n"
FORTI = 'config system admin\n    edit "netaudit"\n        set accprofile "{}"\n        set vdom "root"\n        set password ENC SH2aBcDeF0123456789\n    next\nend\n'
ROS_FULL = ' 0 name="full" policy=local,telnet,ssh,ftp,reboot,read,write,policy,test,winbox,password,web,sniff,sensitive,api,romon,rest-api skin=default\n'
ROS_READ = ' 0 name="read" policy=local,telnet,ssh,reboot,read,test,winbox,password,web,sniff,api,romon,rest-api,!ftp,!write,!policy,!sensitive skin=default\n'
PANOS = "permissions {{\n  role-based {{\n    {} yes;\n  }}\n}}\n"
NXOS = "user:netaudit\n        this user account has no expiry date\n        roles:{} \n"

ROLES = ("network-admin",)
DEVICE_TABLE: list[tuple[str, dict[str, Any], Verdict, str, str]] = [
    ("ios level 15", device("ios", level(15), enable={"status": "not_needed"}), PASS,
     "admin.device_level", "privilege level 15 of 15"),
    ("ios level 1, become not asked", device("ios", level(1), enable={"status": "not_requested"}),
     FAIL, "credentials.device_level_low", "below the highest level 15"),
    ("ios level 7 behind a # prompt", device("ios", level(7), enable={"status": "not_requested"}),
     FAIL, "credentials.device_level_low", "privilege level 7"),
    ("ios enable to 15", device("ios", level(15), enable={"status": "ok"}, level_before_enable=1),
     PASS, "admin.device_level", "level 15 of 15"),
    ("ios wrong enable secret", device("ios", level(1), enable={"status": "wrong_secret"}), FAIL,
     "credentials.enable_secret_wrong", "wrong_secret"),
    ("ios enable secret not held", device("ios", level(1), enable={"status": "no_secret"}), FAIL,
     "credentials.enable_secret_missing", "no_secret"),
    ("ios enable refused", device("ios", level(1), enable={"status": "refused",
     "message": "% No password set"}), FAIL, "credentials.enable_refused", "refused"),
    ("eos level 15", device("eos", level(15)), PASS, "admin.device_level", "level 15"),
    ("nxos network-admin", device("nxos", readers.nxos_roles(NXOS.format("network-admin"),
     ("network-admin", "vdc-admin"))), PASS, "admin.device_role", "network-admin"),
    ("nxos network-operator", device("nxos", readers.nxos_roles(NXOS.format("network-operator"),
     ("network-admin",))), FAIL, "credentials.device_read_only", "read-only role"),
    ("junos super-user", device("junos", readers.junos_class(JUNOS_SU, ("super-user",))), PASS,
     "admin.device_role", "super-user"),
    ("junos read-only class", device("junos", readers.junos_class(JUNOS_RO, ("super-user",))),
     FAIL, "credentials.device_read_only", "read-only role read-only"),
    ("fortios super_admin", device("fortios", readers.fortios_profile(FORTI.format("super_admin"),
     ("super_admin",))), PASS, "admin.device_role", "super_admin"),
    ("fortios prof_admin", device("fortios", readers.fortios_profile(FORTI.format("prof_admin"),
     ("super_admin",))), FAIL, "credentials.device_role_limited", "prof_admin"),
    ("routeros full", device("routeros", readers.routeros_policies(ROS_FULL, "full")), PASS,
     "admin.device_role", "full"),
    ("routeros read", device("routeros", readers.routeros_policies(ROS_READ, "read")), FAIL,
     "credentials.device_read_only", "read"),
    ("panos superuser", device("panos", readers.panos_role(PANOS.format("superuser"),
     ("superuser",))), PASS, "admin.device_role", "superuser"),
    ("panos superreader", device("panos", readers.panos_role(PANOS.format("superreader"),
     ("superuser",))), FAIL, "credentials.device_read_only", "superreader"),
    ("answer without a privilege", device("junos", status="unreadable",
     error="the device's answer did not state the privilege"), INC, "admin.unproven",
     "did not state"),
    ("level missing", device("ios", enable={"status": "not_needed"}), INC, "admin.unproven",
     "did not state a privilege level"),
    ("session closed", device("ios", status="error",
     error="the device closed the session during `show privilege`"), ERR, "admin.not_observed",
     "closed the session"),
    ("session hung", device("ios", status="timeout",
     error="no prompt within 8s after `show privilege`"), ERR, "admin.not_observed", "no prompt"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("observations", "verdict", "code", "words"),
    [row[1:] for row in DEVICE_TABLE],
    ids=[row[0] for row in DEVICE_TABLE],
)
def test_device_admin_table(
    observations: dict[str, Any], verdict: Verdict, code: str, words: str
) -> None:
    check = judge("admin", observations)
    assert check.evidence["outcome"] == code, check.reason
    assert words in check.reason, check.reason
    if verdict is PASS:
        assert_codes(check, PASS, ())
        assert check.evidence["state"] == "admin"
        return
    assert_codes(check, verdict, (code,), (IT if verdict is FAIL else MSP,))
    if verdict is FAIL:  # the contract's evidence: who, and since when
        params = check.findings[0].params
        assert (params["user"], params["observed_at"]) == ("netaudit", AT)
        assert catalogue()["code"][code]["fix"]["en"]


def test_level_and_role_are_the_findings_params() -> None:
    low = judge("admin", device("ios", level(7), enable={"status": "not_requested"}))
    assert dict(low.findings[0].params) == {
        "user": "netaudit", "observed_at": AT, "level": 7, "highest": 15,
    }  # fmt: skip
    limited = judge("admin", device("fortios", readers.fortios_profile(
        FORTI.format("prof_admin"), ("super_admin",))))  # fmt: skip
    assert limited.findings[0].params["role"] == "prof_admin"
    assert limited.findings[0].params["wanted"] == "super_admin"
    assert limited.evidence["state"] == "not_admin"
    wrong = judge("admin", device("ios", level(1), enable={"status": "wrong_secret"}))
    assert wrong.evidence["state"] == "auth_failed"


def test_device_evidence_names_the_device_and_never_the_password_hash() -> None:
    found = readers.fortios_profile(FORTI.format("super_admin"), ("super_admin",))
    check = judge("admin", device("fortios", found))
    assert check.evidence["device"] == {
        "platform": "fortios", "label": "Fortinet FortiOS", "version": "1.0", "model": "X1",
    }  # fmt: skip
    assert check.evidence["role"] == "super_admin"
    assert check.evidence["commands"][0]["lines"] == ['set accprofile "super_admin"']
    assert "ENC" not in repr(check.evidence)


def produced() -> list[Check]:
    return [judge("admin", row[1]) for row in DEVICE_TABLE]
