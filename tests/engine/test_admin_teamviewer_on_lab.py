"""Admin rights and TeamViewer Host on the lab: states, methods, fixes, and the become password.

Hosts and inventory entries: tests/conftest.py (lab hosts) and
tests/engine/conftest.py (``add_admin_hosts``: who logs in how).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from auditor.lab import Lab
from auditor.lab.hostfs import TV_VERSION, client_id, management_id
from auditor.lab.inventory import write_inventory
from tests.engine.conftest import (
    WRONG_BECOME_PASSWORD,
    Audit,
    add_admin_hosts,
    add_extra_hosts,
    audit_lab,
)


@pytest.mark.lab
@pytest.mark.parametrize(
    ("name", "verdict", "state", "method", "words", "code"),
    [
        ("good", "pass", "admin", "uid0", "uid 0", "admin.uid0"),
        ("sudonp", "pass", "admin", "sudo_nopasswd", "sudo without a password", "admin.sudo_nopasswd"),
        ("sudopw", "pass", "admin", "sudo_password", "sudo with the become password", "admin.sudo_password"),
        ("sudopwwrong", "fail", "not_admin", None, "wrong become password", "credentials.become_password_wrong"),
        ("sudopwnone", "fail", "not_admin", None, "sudo asks for a password we do not hold", "credentials.become_password_missing"),
        ("userpw", "fail", "not_admin", None, "sudo asks for a password we do not hold", "credentials.become_password_missing"),
        ("userbecome", "fail", "not_admin", None, "not in sudoers", "credentials.not_in_sudoers"),
        ("wrongpw", "fail", "auth_failed", None, "credentials we hold were refused", "credentials.refused"),
        ("nocreds", "fail", "credentials_missing", None, "no usable credentials", "credentials.missing"),
    ],
)  # fmt: skip
def test_admin_state_is_evidence_with_time_and_user(
    lab_audit: Audit,
    name: str,
    verdict: str,
    state: str,
    method: str | None,
    words: str,
    code: str,
) -> None:
    check = lab_audit.checks(name)["admin"]
    assert (check["verdict"], check["evidence"]["state"]) == (verdict, state)
    assert check["evidence"].get("method") == method
    assert check["evidence"]["outcome"] == code
    codes = [f["code"] for f in check["findings"]]
    assert codes == ([] if verdict == "pass" else [code])
    if codes:  # the contract's evidence: who, since when
        params = check["findings"][0]["params"]
        assert params["user"] == "audit"
        assert params["observed_at"] == check["evidence"]["observed_at"]
    assert words in check["reason"].lower()
    assert check["evidence"]["user"] == ("root" if name == "good" else "audit")
    observed = datetime.fromisoformat(check["evidence"]["observed_at"])
    assert observed.utcoffset() is not None  # with offset: evidence for the contract's delays


@pytest.mark.lab
def test_running_host_module_names_package_version_and_id(lab_audit: Audit, lab: Lab) -> None:
    cases = [
        ("good", "direct"),  # root
        ("sudonp", "sudo_nopasswd"),
        ("userpw", None),  # global.conf is root-only and audit has no sudo: ID from `info`
        ("wsunattended", "direct"),
    ]
    for name, via in cases:
        evidence = lab_audit.checks(name)["teamviewer"]["evidence"]
        spec = lab.spec.host({"wsunattended": "ws", "userpw": "good"}.get(name, name))
        assert evidence["package"] == "teamviewer-host"
        assert evidence["version"] == TV_VERSION
        assert evidence["client_id"] == client_id(spec)  # config via sudo, else `teamviewer info`
        assert (evidence["running"], evidence["config_via"]) == (True, via)


@pytest.mark.lab
def test_device_management_is_recorded_as_the_config_says(lab_audit: Audit, lab: Lab) -> None:
    """DeviceManagementV2 from global.conf, read directly, through sudo or not at all."""
    expected = {
        "good": {"management_id": management_id(lab.spec.host("good")), "unmanaged": False},
        "sudonp": {"management_id": management_id(lab.spec.host("sudonp")), "unmanaged": False},
        "sudopw": {"management_id": management_id(lab.spec.host("sudopw")), "unmanaged": True},
        "wsunattended": {"management_id": None, "unmanaged": None},  # never assigned
    }
    for name, management in expected.items():
        assert lab_audit.checks(name)["teamviewer"]["evidence"]["management"] == management
    assert expected["sudonp"]["management_id"] != management_id(  # another company's id
        dataclasses.replace(lab.spec.host("sudonp"), teamviewer_managed="msp")
    )
    assert "management" not in lab_audit.checks("userpw")["teamviewer"]["evidence"]  # unread
    windows = lab_audit.checks("winok")["teamviewer"]["evidence"]["management"]  # the registry
    assert windows == {"management_id": management_id(lab.spec.host("winok")), "unmanaged": False}


@pytest.mark.lab
def test_stopped_host_module_fails_with_the_fix(lab_audit: Audit, lab: Lab) -> None:
    check = lab_audit.checks("sudopw")["teamviewer"]
    assert check["verdict"] == "fail"
    assert "not running" in check["reason"]
    assert [f["code"] for f in check["findings"]] == ["teamviewer.not_running"]
    assert check["findings"][0]["owner"] == "customer_it"
    assert check["evidence"]["config_via"] == "sudo_password"  # read with the become password
    assert check["evidence"]["client_id"] == client_id(lab.spec.host("sudopw"))


@pytest.mark.lab
@pytest.mark.parametrize(
    ("name", "verdict", "words"),
    [
        ("intercept", "fail", "not installed"),
        ("tvclient", "fail", "not the teamviewer host module"),
        ("ws", "not_applicable", "unattended access was not requested"),
        ("servfail", "not_applicable", "network devices cannot run teamviewer"),
    ],
)
def test_teamviewer_by_role_and_package(
    lab_audit: Audit, name: str, verdict: str, words: str
) -> None:
    check = lab_audit.checks(name)["teamviewer"]
    assert check["verdict"] == verdict
    assert words in check["reason"].lower()


def _scan(secrets: list[bytes], stop: threading.Event, seen: dict[str, list[str]]) -> None:
    """Read every process's argv and environment, machine-wide, until ``stop``."""
    for _ in range(100_000):  # bounded; ends long before at ``stop``
        if stop.is_set():
            return
        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes()
                env = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            if b"\0-S\0-k\0" in argv:
                seen["sudo_stdin"].append(pid)
            if any(s in argv or s in env for s in secrets):
                seen["leaks"].append(f"{pid}: {argv[:80]!r}")
        time.sleep(0.005)


@pytest.mark.lab
def test_become_password_never_in_argv_environment_or_outputs(
    lab: Lab, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("become")
    inventory = write_inventory(lab, work / "inventory.yml")
    add_extra_hosts(inventory, lab, lab.audit_password.reveal())
    add_admin_hosts(inventory, lab, lab.audit_password.reveal())
    secrets = [lab.audit_password.reveal().encode(), WRONG_BECOME_PASSWORD.encode()]
    seen: dict[str, list[str]] = {"sudo_stdin": [], "leaks": []}
    stop = threading.Event()
    scanner = threading.Thread(target=_scan, args=(secrets, stop, seen), daemon=True)
    scanner.start()
    try:
        audit = audit_lab(lab, work, "-l", "sudopw:sudopwwrong", inventory=inventory)
    finally:
        stop.set()
        scanner.join(10)
    assert seen["sudo_stdin"], "the scan never saw sudo -S running: it proves nothing"
    assert seen["leaks"] == []
    assert audit.checks("sudopw")["admin"]["evidence"]["method"] == "sudo_password"
    assert audit.checks("sudopwwrong")["admin"]["evidence"]["state"] == "not_admin"
    outputs = [audit.stdout, audit.stderr]
    outputs += [p.read_text(encoding="utf-8") for p in audit.out_dir.rglob("*") if p.is_file()]
    for secret in secrets:
        assert all(secret.decode() not in text for text in outputs)
