"""Windows servers over WinRM, end to end on the lab: the real pywinrm client through
``auditor run`` against the lab's WS-Management listeners (auditor/lab/wsman.py).

What this proves: the transport (NTLM with message encryption, Basic, HTTPS
with a trusted and with a self-signed certificate, 401, an account WinRM
denies, a dropped connection, a listener slower than any client waits), that
the command and stdin that reach the host are exactly the PowerShell bootstrap
and the shipped script with its plan, in more than one chunk, and that the
judge and the results carry the Windows facts. What it cannot prove: that the
PowerShell runs on Windows (the listener measures the network with the Python
payload in the host's namespace and answers the Windows facts from
auditor/lab/recorded_windows/; see the README).
"""

from __future__ import annotations

import json

import pytest

from auditor.lab import Lab
from auditor.lab.spec import WINDOWS_PASSWORD
from auditor.profile import load_profile
from tests.engine.conftest import TEST_TIMEOUTS, Audit

CHECK_IDS = tuple(load_profile().checks)
UNRESOLVED = {c: "error" for c in ("tcp_5938", "tcp_80", "tcp_443", "tls_443")}

# host -> {check: verdict where not pass}; every other check passes
JUDGED: dict[str, dict[str, str]] = {
    "winok": {},
    "winuac": {"admin": "fail", "teamviewer": "fail", "tcp_5938": "fail"},
    "windomain": {**UNRESOLVED, "teamviewer": "fail", "dns_udp": "fail", "dns_tcp": "fail",
                  "dns_system": "fail"},
    "winnoadm": {"admin": "fail", "teamviewer": "fail"},
    "winrid500": {"admin": "fail", "teamviewer": "fail"},  # its Host is marked unmanaged
}  # fmt: skip
# host -> (check, code, evidence that must be there)
CODES = [
    ("winok", "admin", "admin.token_admin", {"admin_group": "enabled", "account": "local"}),
    ("winuac", "admin", "credentials.uac_filtered",
     {"admin_group": "deny_only", "state": "not_admin", "elevated": False,
      "uac": {"enable_lua": 1, "local_account_token_filter_policy": None,
              "filter_administrator_token": None}}),
    ("winuac", "teamviewer", "teamviewer.service_stopped",
     {"start_mode": "Disabled", "product": "TeamViewer Host", "running": False}),
    ("winuac", "tcp_5938", "tcp.filtered", {}),
    ("winrid500", "teamviewer", "teamviewer.not_enrolled",
     {"running": True, "product": "TeamViewer Host"}),
    ("windomain", "admin", "admin.token_admin", {"domain_admins": True, "account": "domain"}),
    ("windomain", "teamviewer", "teamviewer.full_client", {"product": "TeamViewer"}),
    ("windomain", "dns_udp", "dns.sinkhole", {"resolvers_from": "adapters"}),
    ("winnoadm", "admin", "credentials.not_administrator", {"admin_group": "absent"}),
    ("winnoadm", "teamviewer", "teamviewer.not_installed", {"installed": False}),
    ("winrid500", "admin", "credentials.uac_filtered_builtin",
     {"account": "builtin_administrator"}),
    ("winok", "teamviewer", "teamviewer.host_running", {"custom_config_id": "6b3yjfa"}),
]  # fmt: skip
STOPPED = [
    ("winself", "hostkey", "winrm.certificate_untrusted"),
    ("win401", "auth", "credentials.refused"),
    ("windeny", "auth", "credentials.winrm_denied"),
    ("windrop", "connect", "winrm.connection_dropped"),
    ("winslow", "connect", "winrm.no_answer"),
]


@pytest.mark.lab
@pytest.mark.parametrize("name", sorted(JUDGED))
def test_windows_host_is_judged_from_the_powershell_payload(lab_audit: Audit, name: str) -> None:
    host = lab_audit.host(name)
    assert host["stage"] == "judged", host["stage_reason"]
    assert (host["connection"], host["payload"]) == ("winrm", "powershell")
    verdicts = {cid: c["verdict"] for cid, c in lab_audit.checks(name).items()}
    assert verdicts == {cid: JUDGED[name].get(cid, "pass") for cid in CHECK_IDS}
    assert host["compliant"] is (name == "winok")


@pytest.mark.lab
@pytest.mark.parametrize(("name", "check", "code", "facts"), CODES,
                         ids=[f"{n}-{c}" for n, c, _, _ in CODES])  # fmt: skip
def test_windows_facts_reach_the_judge(
    lab_audit: Audit, name: str, check: str, code: str, facts: dict[str, object]
) -> None:
    found = lab_audit.checks(name)[check]
    evidence = found["evidence"]
    outcomes = [evidence.get("outcome")] + [q.get("outcome") for q in evidence.get("queries", [])]
    assert code in outcomes + [f["code"] for f in found["findings"]]
    assert {k: evidence.get(k) for k in facts} == facts


@pytest.mark.lab
@pytest.mark.parametrize(("name", "stage", "code"), STOPPED)
def test_windows_host_stops_at_the_stage_that_failed(
    lab_audit: Audit, name: str, stage: str, code: str
) -> None:
    host = lab_audit.host(name)
    assert (host["stage"], host["stage_finding"]["code"]) == (stage, code), host["stage_reason"]
    assert "pass" not in {c["verdict"] for c in host["checks"]}
    admin = lab_audit.checks(name)["admin"]
    if stage == "auth":  # a refused or denied login is evidence about the credentials
        state = "auth_failed" if code == "credentials.refused" else "not_admin"
        assert (admin["verdict"], admin["evidence"]["state"]) == ("fail", state)
    else:
        assert admin["verdict"] == "error"


@pytest.mark.lab
def test_an_untrusted_certificate_is_named_not_called_unreachable(lab_audit: Audit) -> None:
    host = lab_audit.host("winself")
    params = host["stage_finding"]["params"]
    assert params["reason"] == "self-signed certificate"
    assert params["issuer"] == params["subject"] == "CN=WINSELF"
    assert host["access"]["certificate"]["self_signed"] is True
    trusted = lab_audit.host("winuac")["access"]
    assert trusted["certificate"]["issuer"] == "CN=Auditor Lab CA"
    assert (trusted["scheme"], trusted["encrypted"]) == ("https", "tls")


@pytest.mark.lab
def test_access_says_how_windows_hosts_were_reached(lab_audit: Audit) -> None:
    ok = lab_audit.host("winok")["access"]
    assert (ok["transport"], ok["auth_used"], ok["encrypted"]) == ("winrm", "ntlm", "message")
    assert ok["endpoint"].endswith(":5985/wsman")
    assert lab_audit.host("winok")["notes"] == []
    (note,) = lab_audit.host("windomain")["notes"]
    assert (note["code"], note["params"]["auth"]) == ("winrm.unencrypted", "basic")


@pytest.mark.lab
def test_a_certificate_the_inventory_says_to_ignore_is_audited_with_a_note(
    lab_audit: Audit,
) -> None:
    host = lab_audit.host("winignore")
    assert host["stage"] == "judged", host["stage_reason"]
    (note,) = host["notes"]
    assert (note["code"], note["params"]["port"]) == ("winrm.certificate_not_checked", 5986)
    assert host["access"]["certificate"]["self_signed"] is True  # still recorded as evidence


@pytest.mark.lab
def test_a_psrp_inventory_entry_reaches_the_same_listener(lab_audit: Audit) -> None:
    host = lab_audit.host("winpsrp")
    assert (host["stage"], host["payload"]) == ("judged", "powershell"), host["stage_reason"]
    access = host["access"]
    assert (access["plugin"], access["auth_used"], access["encrypted"]) == (
        "psrp", "ntlm", "message")  # negotiate, done as NTLM  # fmt: skip
    assert host["compliant"] is True


@pytest.mark.lab
def test_the_listener_got_exactly_the_auditors_payload_in_chunks(lab: Lab) -> None:
    """What reached each judged host: the bootstrap command and the shipped script with
    its plan (the listener decodes and compares both), sent in more than one Send."""
    for name in JUDGED:
        log = lab.state_dir / "hosts" / name / "wsman.jsonl"
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        finished = [e for e in entries if e["action"] == "finished"]  # winok: twice (winpsrp)
        assert finished, name
        for run in finished:
            assert run["auditor_payload"] is True and run["exit_code"] == 0, name
            assert run["stdin_chunks"] >= 2, name
        actions = [e["action"] for e in entries]
        assert actions.count("create") == actions.count("delete") == len(finished), name


@pytest.mark.lab
def test_a_slow_listener_costs_its_own_budget_only(lab_audit: Audit) -> None:
    slow = lab_audit.host("winslow")
    assert slow["duration_s"] < TEST_TIMEOUTS["connect_s"] + TEST_TIMEOUTS["login_s"] + 3


@pytest.mark.lab
def test_the_windows_password_never_leaves_the_inventory(lab_audit: Audit) -> None:
    written = [p.read_text(encoding="utf-8") for p in lab_audit.out_dir.iterdir() if p.is_file()]
    for text in (*written, lab_audit.stdout, lab_audit.stderr):
        assert WINDOWS_PASSWORD not in text
