"""The payload, run for real as ``python3 -`` against loopback servers."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from payload_servers import A_OK, World, free_port, run_payload

from auditor.payload import build_program, parse_output

DNS_NAMES = [
    "ok.test", "www.test", "nx.test", "servfail.test", "refused.test", "badid.test",
    "tc.test", "sinkhole.test", "nodata.test", "silent.test", "garbage.test", "loop.test",
]  # fmt: skip


def full_plan(world: World) -> dict[str, Any]:
    tcp, udp = world.tcp, []
    for port in (world.echo.port, world.wrong.port, free_port(2)):
        udp.append({"check": "udp_5938", "host": "127.0.0.1", "port": port})
    tls = [
        {"check": "tls_443", "host": "localhost", "port": port}
        for port in (
            world.tls_good.port, world.tls_wrong_name.port, world.tls_rogue.port, tcp.full,
        )
    ]  # fmt: skip
    return {
        "plan_version": 1,
        "deadline_s": 8.0,
        "probe_timeout_s": 1.0,
        "tcp": [
            {"check": "tcp_80", "host": "127.0.0.1", "port": tcp.open},
            {"check": "tcp_443", "host": "127.0.0.1", "port": tcp.closed},
            {"check": "tcp_5938", "host": "127.0.0.1", "port": tcp.full},
            {"check": "tcp_5938", "host": "nx.test", "port": 5938},
        ],
        "udp": udp,
        "tls": tls,
        "dns": {"checks": ["dns_udp", "dns_tcp"], "names": DNS_NAMES,
                "resolv_conf": "/etc/resolv.conf"},
        "dns_system": {"check": "dns_system", "names": ["sys.test", "nx.test", "localhost"]},
    }  # fmt: skip


def observe(world: World, plan: dict[str, Any], python: str = sys.executable) -> dict[str, Any]:
    done = run_payload(python, build_program(plan), world.resolv_conf, world.pki["ca"])
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = parse_output(done.stdout, stderr=done.stderr, exit_status=done.returncode)
    return doc


@pytest.fixture(scope="module")
def doc(world: World) -> dict[str, Any]:
    started = time.monotonic()
    result = observe(world, full_plan(world))
    result["_wall_s"] = time.monotonic() - started
    return result


def by_port(items: list[dict[str, Any]], port: int) -> dict[str, Any]:
    (found,) = [item for item in items if item.get("port") == port]
    return found


def query(doc: dict[str, Any], resolver: str, name: str, transport: str) -> dict[str, Any]:
    (found,) = [
        q for q in doc["dns"]["queries"]
        if (q["resolver"], q["name"], q["transport"]) == (resolver, name, transport)
    ]  # fmt: skip
    return dict(found)


def test_document_header(doc: dict[str, Any]) -> None:
    assert doc["payload"] == "python" and doc["observations_version"] == 1
    assert doc["python"] == ".".join(map(str, sys.version_info[:3]))
    assert doc["uid"] == 0 and doc["hostname"] and doc["platform"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["started_at"])
    # all probes ran in parallel: the slowest is ~1 probe timeout, not the sum
    assert doc["duration_s"] < 3.0 and doc["_wall_s"] < 5.0


def test_tcp_outcomes(doc: dict[str, Any], world: World) -> None:
    opened = by_port(doc["tcp"], world.tcp.open)
    assert opened["status"] == "connected" and opened["address"] == "127.0.0.1"
    assert opened["local_address"] == "127.0.0.1" and opened["duration_s"] < 1
    closed = by_port(doc["tcp"], world.tcp.closed)
    assert (closed["status"], closed["errno_name"]) == ("refused", "ECONNREFUSED")
    full = by_port(doc["tcp"], world.tcp.full)
    assert full["status"] == "timeout" and full["phase"] == "connect"
    assert 0.9 <= full["duration_s"] < 2
    unresolved = by_port(doc["tcp"], 5938 if world.tcp.full != 5938 else -1)
    assert unresolved["status"] == "resolve_failed" and unresolved["gai_name"] == "EAI_NONAME"


def test_udp_outcomes(doc: dict[str, Any], world: World) -> None:
    echoed = by_port(doc["udp"], world.echo.port)
    assert echoed["status"] == "echoed" and re.fullmatch(r"[0-9a-f]{16}", echoed["nonce"])
    wrong = by_port(doc["udp"], world.wrong.port)
    assert wrong["status"] == "wrong_answer"
    assert bytes.fromhex(wrong["reply_hex"]) == b"not your nonce"
    (refused,) = [u for u in doc["udp"] if u["port"] not in (world.echo.port, world.wrong.port)]
    assert (refused["status"], refused["errno_name"]) == ("refused", "ECONNREFUSED")


def test_tls_verified_records_issuer_and_sni(doc: dict[str, Any], world: World) -> None:
    good = by_port(doc["tls"], world.tls_good.port)
    assert good["status"] == "verified", good
    assert good["issuer"]["commonName"] == "Auditor Test CA"
    assert good["subject"]["commonName"] == "localhost"
    assert "DNS:localhost" in good["sans"] and good["protocol"].startswith("TLS")
    assert re.fullmatch(r"[0-9a-f]{64}", good["sha256"]) and good["not_after"]
    assert "localhost" in world.tls_good.sni


def test_tls_untrusted_issuer_is_recorded(doc: dict[str, Any], world: World) -> None:
    rogue = by_port(doc["tls"], world.tls_rogue.port)
    assert rogue["status"] == "verify_failed" and rogue["phase"] == "handshake"
    assert rogue["verify_code"] == 20  # unable to get local issuer certificate
    presented = rogue["presented"]
    assert presented["issuer"]["commonName"] == "Auditor Rogue CA"
    assert presented["subject"] == {"commonName": "localhost", "organizationName": "Auditor Tests"}
    assert re.fullmatch(r"\d{12}Z", presented["not_after"])
    assert re.fullmatch(r"[0-9a-f]{64}", presented["sha256"])


def test_tls_wrong_name_and_silent_server(doc: dict[str, Any], world: World) -> None:
    wrong = by_port(doc["tls"], world.tls_wrong_name.port)
    assert wrong["status"] == "verify_failed" and wrong["verify_code"] == 62
    assert "mismatch" in wrong["verify_message"].lower()
    assert wrong["presented"]["issuer"]["commonName"] == "Auditor Test CA"
    silent = by_port(doc["tls"], world.tcp.full)  # never completes TCP, let alone TLS
    assert silent["status"] == "timeout"


def test_dns_resolv_conf(doc: dict[str, Any], world: World) -> None:
    assert doc["dns"]["resolvers"] == [world.dns.address, world.dead_resolver]
    assert doc["dns"]["problems"] == [] and doc["dns"]["resolv_conf"] == "/etc/resolv.conf"
    assert len(doc["dns"]["queries"]) == 2 * 2 * len(DNS_NAMES)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_dns_answers(doc: dict[str, Any], world: World, transport: str) -> None:
    def q(name: str) -> dict[str, Any]:
        return query(doc, world.dns.address, name, transport)

    ok = q("ok.test")
    assert (ok["status"], ok["rcode"], ok["id_ok"]) == ("answer", "NOERROR", True)
    assert ok["answers"] == [{"name": "ok.test", "type": "A", "ttl": 60, "address": A_OK}]
    assert [a["type"] for a in q("www.test")["answers"]] == ["CNAME", "A"]
    assert q("www.test")["answers"][0]["target"] == "ok.test"
    assert q("www.test")["answers"][1]["name"] == "ok.test"
    for name, rcode in (("nx.test", "NXDOMAIN"), ("servfail.test", "SERVFAIL"),
                        ("refused.test", "REFUSED"), ("nodata.test", "NOERROR")):  # fmt: skip
        assert (q(name)["status"], q(name)["rcode"], q(name)["answers"]) == ("answer", rcode, [])
    assert q("badid.test")["status"] == "id_mismatch" and q("badid.test")["id_ok"] is False
    assert q("tc.test")["status"] == ("truncated" if transport == "udp" else "answer")
    assert q("sinkhole.test")["answers"][0]["address"] == "0.0.0.0"
    assert q("silent.test")["status"] == "timeout"
    assert q("garbage.test")["status"] == "malformed"
    assert q("loop.test")["status"] == "malformed"
    assert "pointer" in q("loop.test")["error"]
    dead = query(doc, world.dead_resolver, "ok.test", transport)
    assert (dead["status"], dead["errno_name"]) == ("refused", "ECONNREFUSED")


def test_dns_system(doc: dict[str, Any]) -> None:
    results = {r["name"]: r for r in doc["dns_system"]["results"]}
    assert results["sys.test"]["status"] == "resolved"
    assert results["sys.test"]["addresses"] == [A_OK]
    assert results["localhost"]["addresses"][0] in ("127.0.0.1", "::1")
    assert results["nx.test"]["status"] == "resolve_failed"
    assert results["nx.test"]["gai_name"] == "EAI_NONAME"


def test_unfinished_probe_is_a_deadline_timeout(world: World) -> None:
    plan = {
        "plan_version": 1, "deadline_s": 1.5, "probe_timeout_s": 30.0,
        "tcp": [{"check": "tcp_5938", "host": "127.0.0.1", "port": world.tcp.full}],
    }  # fmt: skip
    started = time.monotonic()
    doc = observe(world, plan)
    assert time.monotonic() - started < 3.0
    (obs,) = doc["tcp"]
    assert (obs["status"], obs["phase"]) == ("timeout", "deadline")


def test_no_reflector_and_bad_plan(world: World) -> None:
    doc = observe(world, {"plan_version": 1, "deadline_s": 2, "probe_timeout_s": 1, "udp": []})
    assert doc["udp"] == [
        {"check": "udp_5938", "status": "not_sent", "reason": "no reflector configured"}
    ]
    bad = observe(world, {"plan_version": 99})
    assert "plan_version" in bad["error"] and "tcp" not in bad


def test_resolv_conf_problems(world: World, tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "; comment\nnameserver 127.0.0.9\nnameserver not-an-ip\nnameserver\n"
        "nameserver ::1\nnameserver 127.0.0.10\nnameserver 127.0.0.11\n"
    )
    plan = {"plan_version": 1, "deadline_s": 2, "probe_timeout_s": 1,
            "dns": {"checks": [], "names": [], "resolv_conf": str(conf)}}  # fmt: skip
    dns = observe(world, plan)["dns"]
    assert dns["resolvers"] == ["127.0.0.9", "::1", "127.0.0.10"]
    assert [p.split(":")[0] for p in dns["problems"]] == ["line 3", "line 4", "line 7"]
    plan["dns"]["resolv_conf"] = str(tmp_path / "missing")  # type: ignore[index]
    problems = observe(world, plan)["dns"]["problems"]
    assert problems == [f"cannot read {tmp_path / 'missing'}: No such file or directory"]


NFT_RULES = """
table inet auditor_probe_test {
  chain out {
    type filter hook output priority 0; policy accept;
    tcp dport 5938 drop
    tcp dport 5939 reject with icmpx type admin-prohibited
    udp dport 5938 drop
  }
}
"""


def test_local_firewall_and_no_route(tmp_path: Path) -> None:
    """In a fresh network namespace: the host's own output chain, and no route to the lab.

    As lab-notes.md says: a dropped UDP datagram fails send() with EPERM
    (blocked here), a dropped TCP SYN looks like a filtered port (timeout).
    """
    rules, conf = tmp_path / "rules.nft", tmp_path / "resolv.conf"
    rules.write_text(NFT_RULES)
    conf.write_text("nameserver 198.51.100.53\n")
    plan = {
        "plan_version": 1, "deadline_s": 4, "probe_timeout_s": 1,
        "tcp": [{"check": "tcp_5938", "host": "127.0.0.1", "port": 5938},
                {"check": "tcp_5938", "host": "127.0.0.1", "port": 5939},
                {"check": "tcp_80", "host": "198.51.100.1", "port": 80}],
        "udp": [{"check": "udp_5938", "host": "127.0.0.1", "port": 5938}],
        "dns": {"checks": ["dns_udp", "dns_tcp"], "names": ["ok.test"], "resolv_conf": str(conf)},
    }  # fmt: skip
    script = 'ip link set lo up && nft -f "$1" && exec "$0" -'
    done = subprocess.run(
        ["unshare", "--net", "sh", "-c", script, sys.executable, str(rules)],
        input=build_program(plan), capture_output=True, timeout=20, check=False,
    )  # fmt: skip
    doc = parse_output(done.stdout, stderr=done.stderr, exit_status=done.returncode)
    dropped, rejected, unreachable = doc["tcp"]
    assert dropped["status"] == "timeout"  # a dropped SYN is retried by the kernel: silence
    assert (rejected["status"], rejected["errno_name"]) == ("unreachable", "EHOSTUNREACH")
    assert (unreachable["status"], unreachable["errno_name"]) == ("unreachable", "ENETUNREACH")
    assert (doc["udp"][0]["status"], doc["udp"][0]["errno_name"]) == ("blocked_locally", "EPERM")
    assert {q["status"] for q in doc["dns"]["queries"]} == {"unreachable"}


def interpreters() -> list[str]:
    """Every CPython on this machine (pyenv's 2.7 .. 3.13 here), plus the running one."""
    found = {sys.executable}
    for candidate in Path("/root/.pyenv/versions").glob("*/bin/python"):
        found.add(str(candidate))
    return sorted(found)


@pytest.mark.parametrize("python", interpreters())
def test_every_python_gives_the_same_observations(world: World, python: str) -> None:
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[0] * 100 + sys.version_info[1])"],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip
    plan = {
        "plan_version": 1, "deadline_s": 6, "probe_timeout_s": 2,
        "tcp": [{"check": "tcp_80", "host": "127.0.0.1", "port": p}
                for p in (world.tcp.open, world.tcp.closed)],
        "udp": [{"check": "udp_5938", "host": "127.0.0.1", "port": world.echo.port}],
        "tls": [{"check": "tls_443", "host": "localhost", "port": p}
                for p in (world.tls_good.port, world.tls_rogue.port)],
        "dns": {"checks": ["dns_udp", "dns_tcp"], "names": ["www.test", "nx.test"],
                "resolv_conf": "/etc/resolv.conf"},
        "dns_system": {"check": "dns_system", "names": ["sys.test"]},
    }  # fmt: skip
    doc = observe(world, plan, python)
    if int(version) < 306:
        assert "too old" in doc["error"] and "tcp" not in doc
        return
    assert [t["status"] for t in doc["tcp"]] == ["connected", "refused"]
    assert doc["udp"][0]["status"] == "echoed"
    assert [t["status"] for t in doc["tls"]] == ["verified", "verify_failed"]
    assert doc["tls"][0]["issuer"]["commonName"] == "Auditor Test CA"
    assert doc["tls"][1]["presented"]["issuer"]["commonName"] == "Auditor Rogue CA"
    live = [q for q in doc["dns"]["queries"] if q["resolver"] == world.dns.address]
    assert sorted((q["name"], q["transport"], q["rcode"]) for q in live) == [
        ("nx.test", "tcp", "NXDOMAIN"), ("nx.test", "udp", "NXDOMAIN"),
        ("www.test", "tcp", "NOERROR"), ("www.test", "udp", "NOERROR"),
    ]  # fmt: skip
    assert doc["dns_system"]["results"][0]["addresses"] == [A_OK]


def test_judged_end_to_end(world: World, doc: dict[str, Any], tmp_path: Path) -> None:
    """Real observations through the real judge: a clean path passes, the broken one does not."""
    from ipaddress import ip_network

    from auditor.judge import judge_host
    from auditor.model import Verdict

    # the test servers listen on loopback: expected here, a sinkhole anywhere else
    lab = [ip_network("198.51.100.0/24"), ip_network("127.0.0.0/8")]
    broken = judge_host(full_plan(world), doc, expected_networks=lab)
    assert broken["tcp_80"].verdict is Verdict.PASS
    assert broken["tcp_443"].reason.endswith("was rejected (RST).")
    assert {c.verdict for k, c in broken.items() if k != "tcp_80"} == {Verdict.FAIL}
    assert "interception suspected" in broken["tls_443"].reason
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver {world.dns.address}\n")
    clean = {
        "plan_version": 1, "deadline_s": 6, "probe_timeout_s": 2,
        "tcp": [{"check": "tcp_80", "host": "localhost", "port": world.tcp.open}],
        "udp": [{"check": "udp_5938", "host": "127.0.0.1", "port": world.echo.port}],
        "tls": [{"check": "tls_443", "host": "localhost", "port": world.tls_good.port}],
        "dns": {"checks": ["dns_udp", "dns_tcp"], "names": ["ok.test", "www.test"],
                "resolv_conf": str(conf)},
        "dns_system": {"check": "dns_system", "names": ["sys.test"]},
    }  # fmt: skip
    checks = judge_host(clean, observe(world, clean), expected_networks=lab)
    assert {k: c.verdict for k, c in checks.items()} == dict.fromkeys(
        ["udp_5938", "tcp_80", "tls_443", "dns_udp", "dns_tcp", "dns_system"], Verdict.PASS
    )
    assert "'Auditor Test CA' (Auditor Tests)" in checks["tls_443"].reason
