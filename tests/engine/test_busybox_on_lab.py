"""End to end on the lab's ``busybox`` host: no Python, only a static BusyBox in a chroot.

The launcher finds no Python there, so the POSIX sh payload runs in the same
round trip. Its tools decide what can be proven: BusyBox nc tells connected,
refused and timed out apart; nslookup answers without a query id we could
check (never a pass); there is no DNS over TCP, no UDP datagram tool and no
openssl (error: not observable); root is uid 0; /proc is not mounted and no
TeamViewer is installed (fail).
"""

from __future__ import annotations

import pytest

from auditor.lab import Lab
from tests.engine.conftest import Audit

EXPECTED = {
    "tcp_5938": "pass",
    "udp_5938": "error",
    "tcp_80": "pass",
    "tcp_443": "pass",
    "tls_443": "error",
    "dns_udp": "inconclusive",
    "dns_tcp": "error",
    "dns_system": "inconclusive",
    "admin": "pass",
    "teamviewer": "fail",
}
CODES = {
    "udp_5938": ["probe.not_observable"],
    "tls_443": ["probe.not_observable"],
    "dns_udp": ["dns.answer_unverified"],
    "dns_tcp": ["probe.not_observable"],
    "dns_system": ["dns_system.unverified"],
    "teamviewer": ["teamviewer.not_installed"],
}
WORDS = {
    "udp_5938": "could not be observed on this host",
    "tls_443": "no openssl on this host",
    "dns_udp": "via nslookup, whose query id this auditor cannot check: not proven",
    "dns_tcp": "no tool on this host sends DNS over tcp",
    "dns_system": "by nslookup from resolv.conf",
    "admin": "uid 0",
    "teamviewer": "not installed",
}


@pytest.mark.lab
def test_host_has_no_python(lab: Lab) -> None:
    assert lab.run_in_host("busybox", ["python3", "-c", "0"]).returncode == 0  # the machine's
    probe = lab.run_in_msp(
        ["ssh", "-i", str(lab.client_key), "-o", f"UserKnownHostsFile={lab.known_hosts}",
         "-o", "BatchMode=yes", f"root@{lab.host('busybox').address}",
         "command -v python3 || echo none; ls /bin/busybox"],
        timeout=20,
    )  # fmt: skip
    assert probe.stdout.split() == ["none", "/bin/busybox"], probe.stderr


@pytest.mark.lab
def test_busybox_host_is_judged_by_the_sh_payload(lab_audit: Audit) -> None:
    host = lab_audit.host("busybox")
    assert (host["stage"], host["payload"]) == ("judged", "sh"), host["stage_reason"]
    checks = lab_audit.checks("busybox")
    assert {cid: c["verdict"] for cid, c in checks.items()} == EXPECTED
    for cid, words in WORDS.items():
        assert words in checks[cid]["reason"], (cid, checks[cid]["reason"])
    assert checks["admin"]["evidence"]["state"] == "admin"
    found = {cid: [f["code"] for f in c["findings"]] for cid, c in checks.items() if c["findings"]}
    assert found == CODES
    (unverified,) = checks["dns_udp"]["findings"]
    assert (unverified["owner"], unverified["params"]["tool"]) == ("msp", "nslookup")
    assert host["compliant"] is False
