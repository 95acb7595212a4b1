"""The lab's pure parts: spec validation, firewall rules, DNS answers, files it writes."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest

from auditor.lab import Fault, HostSpec, LabError, LabSpec
from auditor.lab.firewall import ruleset
from auditor.lab.internet import servfail
from auditor.lab.inventory import group_name, write_known_hosts
from auditor.lab.procs import _proc_net_hex
from auditor.lab.spec import RESOLVER_GOOD
from auditor.model import Secret


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("udp", 53, "reset"), "reset exists only for tcp"),
        (("tcp", 0, "drop"), "port 0 out of range"),
        (("sctp", 1, "drop"), "proto must be tcp or udp"),
        (("tcp", 80, "reject"), "action must be drop, reset or icmp"),
    ],
)
def test_bad_fault_is_refused(args: tuple[str, int, str], message: str) -> None:
    with pytest.raises(LabError, match=message):
        Fault(*args)  # type: ignore[arg-type]


def test_spec_addresses_and_checks() -> None:
    spec = LabSpec((HostSpec("a", "K"), HostSpec("b", "K")))
    assert dict(spec.addresses) == {"a": "198.51.100.10", "b": "198.51.100.11"}
    assert spec.host("b").resolvers == (RESOLVER_GOOD,)
    with pytest.raises(LabError, match="duplicate host names a"):
        LabSpec((HostSpec("a", "K"), HostSpec("a", "L")))
    with pytest.raises(LabError, match="one password"):
        LabSpec(
            (HostSpec("a", "K", password=Secret("x")), HostSpec("b", "K", password=Secret("y")))
        )
    with pytest.raises(LabError, match="name must match"):
        HostSpec("Bad_Name", "K")
    with pytest.raises(LabError, match="needs plain sshd"):
        HostSpec("a", "K", python=False, hang_after_auth=True)


def test_password_never_in_spec_repr() -> None:
    spec = LabSpec((HostSpec("a", "K", password=Secret("hunter2-secret")),))
    assert "hunter2-secret" not in repr(spec)
    assert spec.audit_password is not None and spec.audit_password.reveal() == "hunter2-secret"


def test_ruleset_per_fault_and_interception() -> None:
    assert ruleset(HostSpec("a", "K")) == ""
    rules = ruleset(
        HostSpec("a", "K", faults=(Fault("tcp", 5938), Fault("tcp", 443, "reset"),
                                   Fault("udp", 53, "icmp")), intercept_tls=True)
    )  # fmt: skip
    assert "ip daddr != 198.51.100.0/24 tcp dport 5938 drop" in rules
    assert "tcp dport 443 reject with tcp reset" in rules
    assert "udp dport 53 reject with icmp type port-unreachable" in rules
    assert "tcp dport 443 dnat to 203.0.113.66" in rules


def test_servfail_keeps_id_question_and_rd() -> None:
    question = b"\x07router1\x07example\x03com\x00\x00\x01\x00\x01"
    query = struct.pack("!HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0) + question
    answer = servfail(query)
    assert answer is not None
    qid, flags, *counts = struct.unpack("!HHHHHH", answer[:12])
    assert (qid, flags & 0x800F, flags & 0x0100, counts) == (0xBEEF, 0x8002, 0x0100, [1, 0, 0, 0])
    assert answer[12:] == question
    assert servfail(b"short") is None
    assert servfail(query[:-3]) is None  # truncated question


def test_group_names_and_known_hosts(tmp_path: Path) -> None:
    assert group_name("Bäckerei Sonnenschein") == "baeckerei_sonnenschein"
    assert group_name("Kanzlei Weber & Partner") == "kanzlei_weber_partner"
    path = tmp_path / "known_hosts"
    write_known_hosts(
        path,
        [("198.51.100.10", "ssh-ed25519 AAAAkey root@a", 22),
         ("198.51.100.11", "ssh-rsa AAAArsa root@b", 2222)],
    )  # fmt: skip
    assert path.read_text().splitlines() == [
        "198.51.100.10 ssh-ed25519 AAAAkey",
        "[198.51.100.10]:22 ssh-ed25519 AAAAkey",
        "[198.51.100.11]:2222 ssh-rsa AAAArsa",
    ]


def test_proc_net_address_format_matches_the_kernel() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        table = Path("/proc/self/net/tcp").read_text()
    assert f" {_proc_net_hex('127.0.0.1', port)} 00000000:0000 0A " in table
