"""End to end on the lab: one fault per host, each with its exact verdicts and stage.

These are the verdicts the README's table promises. Anything not listed for a
host must pass (or be not applicable by role). The admin and TeamViewer
details (states, methods, fixes, the become password) are in
test_admin_teamviewer_on_lab.py.
"""

from __future__ import annotations

import pytest

from auditor.profile import load_profile
from tests.engine.conftest import TEST_TIMEOUTS, Audit

CHECK_IDS = tuple(load_profile().checks)
NET = ("tcp_5938", "tcp_80", "tcp_443", "tls_443", "dns_udp", "dns_tcp", "dns_system")
UNRESOLVED = {c: "error" for c in ("tcp_5938", "tcp_80", "tcp_443", "tls_443")}

# host -> (teamviewer verdict, {check: expected verdict where not pass})
EXPECTED: dict[str, tuple[str, dict[str, str]]] = {
    "good": ("pass", {}),
    "tcp5938": ("fail", {"tcp_5938": "fail"}),
    "rst443": ("fail", {"tcp_443": "fail", "tls_443": "fail"}),
    "udp53": ("fail", {**UNRESOLVED, "dns_udp": "fail", "dns_system": "fail"}),
    "tcp53": ("fail", {"dns_tcp": "fail"}),
    "hijack": ("not_applicable", {**UNRESOLVED, "dns_udp": "fail", "dns_tcp": "fail",
                                  "dns_system": "fail"}),
    "nxdomain": ("not_applicable", {**UNRESOLVED, "dns_udp": "fail", "dns_tcp": "fail",
                                    "dns_system": "fail"}),
    "servfail": ("not_applicable", {**UNRESOLVED, "dns_udp": "fail", "dns_tcp": "fail",
                                    "dns_system": "fail"}),
    "intercept": ("fail", {"tls_443": "fail"}),
    "userpw": ("inconclusive", {"admin": "fail"}),  # root-only config: assignment unread
    "udp5938": ("fail", {"udp_5938": "inconclusive"}),
    "behind": ("fail", {}),
    "sudonp": ("pass", {}),
    "sudopw": ("fail", {}),
    "sudopwwrong": ("fail", {"admin": "fail"}),
    "sudopwnone": ("fail", {"admin": "fail"}),
    "userbecome": ("inconclusive", {"admin": "fail"}),
    "tvclient": ("fail", {}),
    "ws": ("not_applicable", {}),
    "wsunattended": ("fail", {}),  # its TeamViewer Host was never assigned to a company
    "legacy": ("fail", {}),
    "dropbear": ("not_applicable", {}),
    "port2222": ("fail", {}),
}  # fmt: skip
COMPLIANT = {
    "good",
    "sudonp",
    "ws",
    "dropbear",
    "winok",
    "winpsrp",
    # network devices whose account has the highest privilege (test_devices_on_lab.py)
    "ios15",
    "eosadm",
    "junossu",
    "fortisuper",
    "rosfull",
    "panossu",
    "devslow",
}


@pytest.mark.lab
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_judged_host_has_exact_verdicts(lab_audit: Audit, name: str) -> None:
    teamviewer, special = EXPECTED[name]
    host = lab_audit.host(name)
    assert host["stage"] == "judged", host["stage_reason"]
    assert host["payload"] == "python"
    verdicts = {cid: c["verdict"] for cid, c in lab_audit.checks(name).items()}
    expected = {cid: special.get(cid, "pass") for cid in CHECK_IDS}
    expected["teamviewer"] = teamviewer
    assert verdicts == expected
    assert host["compliant"] is (name in COMPLIANT)


@pytest.mark.lab
@pytest.mark.parametrize(
    ("name", "check", "words"),
    [
        ("tcp5938", "tcp_5938", "filtered"),
        ("rst443", "tcp_443", "rejected (RST)"),
        ("udp53", "dns_udp", "blocked by this host's firewall"),
        ("tcp53", "dns_tcp", "TCP"),
        ("hijack", "dns_udp", "0.0.0.0"),
        ("nxdomain", "dns_udp", "NXDOMAIN"),
        ("servfail", "dns_tcp", "SERVFAIL"),
        ("intercept", "tls_443", "TLS interception suspected"),
        ("intercept", "tls_443", "Rogue Intercept CA"),
        ("nxdomain", "tcp_443", "did not resolve"),
        ("hijack", "tcp_5938", "sinkhole"),
    ],
)
def test_reason_names_the_cause(lab_audit: Audit, name: str, check: str, words: str) -> None:
    assert words in lab_audit.checks(name)[check]["reason"]


@pytest.mark.lab
@pytest.mark.parametrize(
    ("name", "check", "code", "owner"),
    [
        ("tcp5938", "tcp_5938", "tcp.filtered", "customer_it"),
        ("rst443", "tcp_443", "tcp.refused", "customer_it"),
        ("rst443", "tls_443", "tcp.refused", "customer_it"),
        ("udp53", "dns_udp", "dns.blocked_locally", "customer_it"),
        ("udp53", "tcp_80", "target.unresolved", "customer_it"),
        ("tcp53", "dns_tcp", "dns.refused", "customer_it"),
        ("hijack", "dns_udp", "dns.sinkhole", "isp"),
        ("hijack", "tcp_5938", "target.sinkhole", "customer_it"),
        ("nxdomain", "dns_udp", "dns.nxdomain", "isp"),
        ("nxdomain", "tcp_443", "target.unresolved", "customer_it"),
        ("servfail", "dns_tcp", "dns.servfail", "isp"),
        ("intercept", "tls_443", "tls.intercepted", "customer_it"),
        ("udp5938", "udp_5938", "udp.no_answer", "customer_it"),
        ("userpw", "admin", "credentials.become_password_missing", "customer_it"),
    ],
)
def test_findings_name_the_cause_as_a_code(
    lab_audit: Audit, name: str, check: str, code: str, owner: str
) -> None:
    found = lab_audit.checks(name)[check]["findings"]
    assert [(f["code"], f["owner"]) for f in found] == [(code, owner)]
    assert found[0]["verdict"] == lab_audit.checks(name)[check]["verdict"]


@pytest.mark.lab
def test_interception_finding_names_the_issuer(lab_audit: Audit) -> None:
    (found,) = lab_audit.checks("intercept")["tls_443"]["findings"]
    assert found["params"]["issuer"] == "Rogue Intercept CA"
    assert found["targets"] == ["router1.teamviewer.com", "get.teamviewer.com"]


@pytest.mark.lab
def test_udp_5938_passes_only_on_the_echoed_nonce(lab_audit: Audit) -> None:
    udp = lab_audit.checks("good")["udp_5938"]
    assert udp["verdict"] == "pass"
    assert "echo" in udp["reason"]
    silent = lab_audit.checks("udp5938")["udp_5938"]
    assert silent["verdict"] == "inconclusive"
    assert "open or filtered, not proven" in silent["reason"]


@pytest.mark.lab
@pytest.mark.parametrize(
    ("name", "stage", "words", "code"),
    [
        ("nossh", "connect", "refused", "connect.refused"),
        ("behinddirect", "connect", "no answer", "connect.timeout"),
        ("hang", "probe", "did not start the payload within 4s", "probe.not_started"),
        ("wrongpw", "auth", "authentication refused", "credentials.refused"),
        (
            "nocreds",
            "auth",
            "no password, no key in the agent and no readable key file",
            "credentials.missing",
        ),
    ],
)
def test_unaudited_host_stops_at_its_stage(
    lab_audit: Audit, name: str, stage: str, words: str, code: str
) -> None:
    host = lab_audit.host(name)
    assert host["stage"] == stage
    assert words in host["stage_reason"]
    assert host["stage_finding"]["code"] == code
    assert host["compliant"] is False
    verdicts = {c["id"]: c["verdict"] for c in host["checks"]}
    assert "pass" not in verdicts.values()
    if name in ("wrongpw", "nocreds"):
        state = "auth_failed" if name == "wrongpw" else "credentials_missing"
        assert lab_audit.checks(name)["admin"]["verdict"] == "fail"
        assert lab_audit.checks(name)["admin"]["evidence"]["state"] == state


@pytest.mark.lab
def test_hanging_host_does_not_hold_up_the_others(lab_audit: Audit) -> None:
    hang = lab_audit.host("hang")
    t = TEST_TIMEOUTS
    payload_deadline = t["host_s"] - t["connect_s"] - t["login_s"]
    # it logs in, then never starts the payload: given up after the start wait
    # (min(login_s, 2 x probe_s)), not after the payload's whole deadline
    start_s = min(t["login_s"], 2 * t["probe_s"])
    assert start_s <= hang["duration_s"] < payload_deadline
    assert hang["stage_finding"]["params"] == {"timeout_s": start_s}


@pytest.mark.lab
def test_exit_code_says_some_hosts_were_not_audited(lab_audit: Audit) -> None:
    assert lab_audit.exit_code == 2
    hosts = lab_audit.document["hosts"]
    compliant = {h["name"] for h in hosts if h["compliant"]}
    assert compliant == COMPLIANT
    assert f"Testkunde GmbH: {len(compliant)}/{len(hosts)} hosts compliant" in lab_audit.stdout
    # the terminal names each host that needs something, and what
    lines = lab_audit.stdout.splitlines()
    assert any(line.split()[:3] == ["tcp5938", "judged", "fail:"] for line in lines if line.strip())
    assert any(line.split()[:2] == ["nossh", "connect"] for line in lines if line.strip())
    assert not any(line.split()[:1] == ["good"] for line in lines if line.strip())


@pytest.mark.lab
def test_unusable_inventory_entry_is_reported_and_the_others_audited(lab_audit: Audit) -> None:
    host = lab_audit.host("badrole")
    assert host["stage"] == "inventory"
    assert "toaster" in host["stage_reason"]
    assert "inventory.yml" in host["stage_reason"]
    assert host["stage_finding"]["code"] == "inventory.invalid"
    assert host["stage_finding"]["params"]["source"].endswith("inventory.yml")
    assert {c["verdict"] for c in host["checks"]} <= {"error", "not_applicable"}
    assert lab_audit.host("good")["stage"] == "judged"


@pytest.mark.lab
def test_secrets_never_reach_any_output(lab_audit: Audit, lab) -> None:  # type: ignore[no-untyped-def]
    from tests.engine.conftest import WRONG_BECOME_PASSWORD, WRONG_PASSWORD

    outputs = [lab_audit.stdout, lab_audit.stderr]
    outputs += [p.read_text(encoding="utf-8") for p in lab_audit.out_dir.iterdir() if p.is_file()]
    tv_password = "4c 61 62 2d 54 56"  # global.conf's PermanentPassword (lab/hostfs.py)
    for secret in (WRONG_PASSWORD, WRONG_BECOME_PASSWORD, lab.audit_password.reveal(), tv_password):
        assert all(secret not in text for text in outputs)


@pytest.mark.lab
@pytest.mark.parametrize(
    ("name", "server", "port"),
    [("good", "OpenSSH_9", 22), ("dropbear", "dropbear", 22), ("port2222", "OpenSSH_9", 2222)],
)
def test_access_says_how_each_host_was_reached(
    lab_audit: Audit,
    lab,
    name: str,
    server: str,
    port: int,  # type: ignore[no-untyped-def]
) -> None:
    access = lab_audit.host(name)["access"]
    assert (access["transport"], access["address"], access["port"]) == (
        "ssh", lab.host(name).address, port)  # fmt: skip
    assert (access["user"], access["auth"], access["key"]) == ("root", "file", str(lab.client_key))
    assert access["fingerprint"].startswith("SHA256:") and server in access["server"]
    assert access["host_key"].startswith("ssh-ed25519 SHA256:")
    assert lab_audit.host(name)["notes"] == []


@pytest.mark.lab
def test_an_outdated_server_allowed_by_the_inventory_is_audited_with_a_note(
    lab_audit: Audit,
) -> None:
    host = lab_audit.host("legacy")
    assert host["stage"] == "judged"
    access = host["access"]
    # hmac-sha1 is still among OpenSSH's defaults: the yardstick is OpenSSH's, not ours
    assert access["outdated"] == {"kex": "diffie-hellman-group14-sha1", "host_key": "ssh-rsa",
                                  "cipher": "aes128-cbc"}  # fmt: skip
    assert access["mac"] == "hmac-sha1"
    (note,) = host["notes"]
    assert (note["code"], note["severity"], note["owner"]) == (
        "ssh.outdated_algorithms_used", "note", "customer_it")  # fmt: skip
    assert "diffie-hellman-group14-sha1" in note["params"]["algorithms"]
    assert host["compliant"] is False  # TeamViewer is missing there; the note decides nothing


@pytest.mark.lab
def test_run_leaves_no_stray_traceback(lab_audit: Audit) -> None:
    """A host that stops early (hung, refused) ends its tasks cleanly: no asyncio noise
    such as "exception was never retrieved" reaches the technician's terminal."""
    assert lab_audit.host("hang")["stage"] == "probe"  # the run did have a cut-short host
    assert "never retrieved" not in lab_audit.stderr
    assert "Traceback" not in lab_audit.stderr


@pytest.mark.lab
@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("good", "direct"),
        ("rst443", "direct"),  # 443 refused, but every router answers on 5938
        ("busybox", "direct"),  # the sh payload, through BusyBox's nc
        ("winok", "direct"),  # the PowerShell payload (its network half measured for real)
        ("tcp5938", "fallback_443"),
        ("winuac", "fallback_443"),
        ("nxdomain", "unresolved"),
        ("hijack", "unresolved"),  # every name leads to 0.0.0.0
    ],
)
def test_teamviewer_endpoints_as_teamviewer_tries_them(
    lab_audit: Audit, name: str, outcome: str
) -> None:
    """Every router on 5938, 443 and 80 and every service endpoint on 443 resolves and
    answers in the lab; a host whose firewall drops 5938 still reaches them over 443."""
    host = lab_audit.host(name)
    found = host["diagnostics"]["teamviewer_endpoints"]
    assert found["outcome"] == outcome
    ports = {c["port"]: c for c in found["ports"]}
    notes = [n["code"] for n in host["notes"]]
    if outcome == "direct":
        refused = 443 if name == "rst443" else None  # its firewall answers 443 with RST
        for entry in found["endpoints"]:
            assert entry["result"] == ("refused" if entry["port"] == refused else "answered"), entry
        assert notes == []
    if outcome == "fallback_443":
        assert ports[5938]["routers"] == {"total": 16, "answered": 0,
                                          "not_answered": {"timeout": 16}}  # fmt: skip
        assert ports[443]["routers"]["answered"] == 16 == ports[80]["routers"]["answered"]
        assert ports[443]["services"] == {"total": 10, "answered": 10, "not_answered": {}}
        assert notes == ["teamviewer.endpoints_fallback"]
        # the contract's own verdict on 5938 stays what it was
        assert lab_audit.checks(name)["tcp_5938"]["verdict"] == "fail"
    if outcome == "unresolved":
        assert {e["result"] for e in found["endpoints"]} == {"dns"} and notes == []


@pytest.mark.lab
def test_no_teamviewer_endpoints_where_no_tcp_check_runs(lab_audit: Audit) -> None:
    assert "diagnostics" not in lab_audit.host("ios15")  # a device's CLI runs no probe
    assert "diagnostics" not in lab_audit.host("nossh")  # never audited
