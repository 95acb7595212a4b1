"""Network devices over their CLI, end to end on the lab: ``auditor run`` with the real
asyncssh client and scrapli's channel against the lab's emulated devices (auditor/lab/netdev.py).

What this proves: the inventory's network_cli variables reach the device as
Ansible's would (user, password, ansible_network_os, enable with
ansible_become_password); the dialog waits for each platform's prompt,
answers its pager, enters enable with the secret and reads the privilege the
device states; a wrong login, a wrong or missing enable secret, a lower
level (also behind a ``#`` prompt), a read-only or limited role, a slow
device, one that hangs and one that closes the session are each their own
outcome; the device is told nothing that changes its configuration and no
secret reaches the results or the report. What it cannot prove: that a real
switch answers as the emulator does (its answers follow the vendors'
documented formats; see the README).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.lab import Lab
from auditor.lab.spec import DEVICE_ENABLE_SECRET, DEVICE_PASSWORD
from auditor.profile import load_profile
from tests.engine.conftest import Audit

CHECK_IDS = tuple(load_profile().checks)

# host -> (admin verdict, the admin outcome code)
ADMIN = {
    "ios15": ("pass", "admin.device_level"),
    "ios1": ("fail", "credentials.device_level_low"),
    "ios7": ("fail", "credentials.device_level_low"),
    "iosbadsec": ("fail", "credentials.enable_secret_wrong"),
    "iosnosec": ("fail", "credentials.enable_refused"),
    "eosadm": ("pass", "admin.device_level"),
    "nxosop": ("fail", "credentials.device_read_only"),
    "junosro": ("fail", "credentials.device_read_only"),
    "junossu": ("pass", "admin.device_role"),
    "fortiprof": ("fail", "credentials.device_role_limited"),
    "fortisuper": ("pass", "admin.device_role"),
    "rosfull": ("pass", "admin.device_role"),
    "panossu": ("pass", "admin.device_role"),
    "devslow": ("pass", "admin.device_level"),
    "devhang": ("error", "admin.not_observed"),
    "devclose": ("error", "admin.not_observed"),
}
# What each platform's dialog sends, in order (the user is the lab's netaudit).
DIALOG = {
    "ios15": ["terminal length 0", "show version", "show privilege", "enable", "<secret>",
              "show privilege"],
    "ios1": ["terminal length 0", "show version", "show privilege"],
    "nxosop": ["terminal length 0", "show version", "show user-account netaudit"],
    "junosro": ["set cli screen-length 0", "set cli screen-width 511", "show version",
                "show cli authorization"],
    "fortiprof": ["get system status", "show system admin netaudit"],
    "rosfull": ["/system resource print",
                '/user print detail without-paging where name="netaudit"',
                '/user group print detail without-paging where name="full"'],
    "panossu": ["set cli pager off", "show system info", "show config running xpath "
                "mgt-config/users/entry[@name='netaudit']/permissions"],
}  # fmt: skip


def sent(lab: Lab, name: str) -> list[dict[str, object]]:
    """What the device received, line by line (the emulator never logs a typed secret)."""
    path = lab.state_dir / "hosts" / name / "netdev.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.lab
@pytest.mark.parametrize("name", sorted(ADMIN))
def test_device_admin_is_what_the_device_states(lab_audit: Audit, name: str) -> None:
    host = lab_audit.host(name)
    assert host["stage"] == "judged", host["stage_reason"]
    assert (host["connection"], host["payload"]) == ("network_cli", "device-cli")
    admin = lab_audit.checks(name)["admin"]
    verdict, code = ADMIN[name]
    assert (admin["verdict"], admin["evidence"]["outcome"]) == (verdict, code), admin["reason"]
    others = {cid: c["verdict"] for cid, c in lab_audit.checks(name).items() if cid != "admin"}
    assert others == {cid: "not_applicable" for cid in CHECK_IDS if cid != "admin"}
    assert host["compliant"] is (verdict == "pass")


@pytest.mark.lab
def test_the_device_names_itself_and_the_evidence_is_its_own_words(lab_audit: Audit) -> None:
    evidence = lab_audit.checks("fortiprof")["admin"]["evidence"]
    assert evidence["device"] == {"platform": "fortios", "label": "Fortinet FortiOS",
                                  "os": "FortiOS", "version": "v7.2.8,build1639",
                                  "model": "FortiGate-60F", "hostname": "fortiprof"}  # fmt: skip
    assert evidence["role"] == "prof_admin"
    assert evidence["commands"] == [
        {"command": "show system admin netaudit", "lines": ['set accprofile "prof_admin"']}
    ]
    ios = lab_audit.checks("ios15")["admin"]["evidence"]
    assert (ios["level_before_enable"], ios["level"], ios["enable"]["status"]) == (1, 15, "ok")
    seven = lab_audit.checks("ios7")["admin"]["findings"][0]["params"]
    assert (seven["level"], seven["highest"]) == (7, 15)  # a '#' prompt, but level 7


@pytest.mark.lab
def test_a_refused_device_login_is_credential_evidence(lab_audit: Audit) -> None:
    host = lab_audit.host("iosbadpw")
    assert (host["stage"], host["stage_finding"]["code"]) == ("auth", "credentials.refused")
    admin = lab_audit.checks("iosbadpw")["admin"]
    assert (admin["verdict"], admin["evidence"]["state"]) == ("fail", "auth_failed")


@pytest.mark.lab
def test_a_device_that_hangs_or_closes_is_named_with_the_command(lab_audit: Audit) -> None:
    hang = lab_audit.checks("devhang")["admin"]["reason"]
    assert "show privilege" in hang and "no prompt" in hang
    closed = lab_audit.checks("devclose")["admin"]["reason"]
    assert "closed the session during `show version`" in closed


@pytest.mark.lab
@pytest.mark.parametrize("name", sorted(DIALOG))
def test_the_dialog_is_exactly_the_platforms_read_only_commands(
    lab: Lab, lab_audit: Audit, name: str
) -> None:
    said = [str(entry["command"]) for entry in sent(lab, name)]
    assert said[: len(DIALOG[name])] == DIALOG[name]
    assert set(said[len(DIALOG[name]) :]) <= {"exit", ""}  # nothing after the dialog but a goodbye


@pytest.mark.lab
def test_enable_secret_is_typed_only_at_the_password_prompt(lab: Lab, lab_audit: Audit) -> None:
    typed = [e for e in sent(lab, "ios15") if e["command"] == "<secret>"]
    assert typed == [{"command": "<secret>", "matched": True}]
    wrong = [e for e in sent(lab, "iosbadsec") if e["command"] == "<secret>"]
    assert wrong[0] == {"command": "<secret>", "matched": False}
    assert not [e for e in sent(lab, "ios1") if e["command"] in ("enable", "<secret>")]


@pytest.mark.lab
def test_no_device_secret_reaches_results_or_report(lab_audit: Audit) -> None:
    for path in Path(lab_audit.out_dir).rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            for secret in (DEVICE_PASSWORD, DEVICE_ENABLE_SECRET, "ENC SH2"):
                assert secret not in text, (path.name, secret)
