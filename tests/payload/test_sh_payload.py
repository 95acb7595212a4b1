"""The POSIX sh payload, run for real under BusyBox sh and dash against loopback servers.

``busybox``: PATH holds only BusyBox applets (no getent, dig, openssl): what
a BusyBox-only device has. ``dash``: Debian's tools (dig, getent, openssl)
plus BusyBox's nc, since this machine has no other netcat.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from payload_servers import A_OK, World

from auditor.model import Secret
from auditor.payload import PLAN_VERSION, parse_output
from auditor.payload.launch import LAUNCH_COMMAND, STARTED
from auditor.payload.sh import build_launcher, build_sh_program, render_plan
from tests.payload.test_host_probe import full_plan

BUSYBOX = shutil.which("busybox") or "/usr/bin/busybox"
SHELLS = ("busybox", "dash")


def tool_dir(base: Path, kind: str) -> str:
    """PATH for ``kind``: BusyBox applets only, or the system plus BusyBox's nc."""
    bin_dir = base / f"bin-{kind}"
    bin_dir.mkdir(exist_ok=True)
    if kind == "busybox":
        applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
        for applet in applets.stdout.split():
            (bin_dir / applet).unlink(missing_ok=True)
            (bin_dir / applet).symlink_to(BUSYBOX)
        return str(bin_dir)
    (bin_dir / "nc").unlink(missing_ok=True)
    (bin_dir / "nc").symlink_to(BUSYBOX)
    return f"{bin_dir}:/usr/bin:/bin"


def run_sh(
    world: World,
    program: bytes,
    kind: str,
    path: str,
    *,
    no_python: bool = False,
    command: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``sh -s`` as the transport runs it, with the world's resolv.conf bound over /etc's.

    A PID namespace of its own keeps the process table (teamviewerd or not)
    independent of whatever else runs on this machine.

    ``no_python`` also hides /usr/bin/python3 (which the launcher tries by
    absolute path) behind a non-executable file, in this mount namespace only.
    """
    shell = [BUSYBOX, "sh", "-s"] if kind == "busybox" else ["dash", "-s"]
    if command is not None:  # what the transport really sends: the login shell runs it
        shell = [*shell[:-1], "-c", command]
    script = 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"'
    if no_python:
        script = f"mount --bind /dev/null /usr/bin/python3 && {script}"
    return subprocess.run(
        ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c", script, "x",
         str(world.resolv_conf), *shell],
        input=program, capture_output=True, timeout=30, check=False,
        env={"PATH": path, "SSL_CERT_FILE": str(world.pki["ca"])},
    )  # fmt: skip


def sh_plan(world: World) -> dict[str, Any]:
    return {**full_plan(world), "admin": {"check": "admin"}, "teamviewer": {"check": "teamviewer"}}


@pytest.fixture(scope="module", params=SHELLS)
def shdoc(request: pytest.FixtureRequest, world: World, tmp_path_factory: Any) -> dict[str, Any]:
    kind = request.param
    path = tool_dir(tmp_path_factory.mktemp(kind), kind)
    done = run_sh(world, build_sh_program(sh_plan(world)), kind, path)
    assert done.returncode == 0, done.stderr
    doc: dict[str, Any] = parse_output(done.stdout, stderr=done.stderr)
    doc["_kind"] = kind
    return doc


def item(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    (found,) = [i for i in items if all(i.get(k) == v for k, v in match.items())]
    return found


def test_header_says_which_payload_ran(shdoc: dict[str, Any]) -> None:
    assert shdoc["payload"] == "sh" and shdoc["observations_version"] == 1
    assert shdoc["uid"] == 0 and shdoc["plan_version"] == 2
    assert shdoc["duration_s"] < 8.0  # the plan deadline


def test_tcp_told_apart_where_nc_says_so(shdoc: dict[str, Any], world: World) -> None:
    tcp = shdoc["tcp"]
    assert item(tcp, port=world.tcp.open)["status"] == "connected"
    assert item(tcp, port=world.tcp.closed)["status"] == "refused"
    assert item(tcp, port=world.tcp.full)["status"] == "timeout"
    assert item(tcp, host="nx.test")["status"] == "resolve_failed"


def test_udp_is_not_observable_without_a_datagram_tool(shdoc: dict[str, Any]) -> None:
    assert {u["status"] for u in shdoc["udp"]} == {"not_observable"}


def test_tls_needs_openssl(shdoc: dict[str, Any], world: World) -> None:
    tls = shdoc["tls"]
    if shdoc["_kind"] == "busybox":
        assert {t["status"] for t in tls} == {"not_observable"}
        return
    good = item(tls, port=world.tls_good.port)
    assert good["status"] == "verified"
    assert good["issuer"]["commonName"] == "Auditor Test CA"
    assert item(tls, port=world.tls_wrong_name.port)["verify_message"] == "hostname mismatch"
    rogue = item(tls, port=world.tls_rogue.port)
    assert rogue["status"] == "verify_failed"
    assert rogue["presented"]["issuer"]["commonName"] == "Auditor Rogue CA"
    assert item(tls, port=world.tcp.full)["status"] == "timeout"


def test_dns_over_udp(shdoc: dict[str, Any], world: World) -> None:
    queries = [q for q in shdoc["dns"]["queries"] if q["transport"] == "udp"]
    mine = {q["name"]: q for q in queries if q["resolver"] == world.dns.address}
    assert shdoc["dns"]["resolvers"] == [world.dns.address, world.dead_resolver]
    assert mine["ok.test"]["status"] == "answer" and "id_ok" not in mine["ok.test"]
    assert mine["ok.test"]["answers"][0]["address"] == A_OK
    assert [r["type"] for r in mine["www.test"]["answers"]] == ["CNAME", "A"]
    for name, rcode in (("nx.test", "NXDOMAIN"), ("servfail.test", "SERVFAIL")):
        assert (mine[name]["status"], mine[name]["rcode"]) == ("answer", rcode)
    assert mine["silent.test"]["status"] == "timeout"
    assert mine["sinkhole.test"]["answers"][0]["address"] == "0.0.0.0"
    # both tools drop a reply with the wrong id and wait: it shows as silence
    assert mine["badid.test"]["status"] in ("timeout", "id_mismatch")
    expected_tc = "truncated" if shdoc["_kind"] == "dash" else "answer"  # nslookup cannot tell
    assert mine["tc.test"]["status"] == expected_tc


def test_dns_queries_follow_the_plans_transports(shdoc: dict[str, Any], world: World) -> None:
    queries = shdoc["dns"]["queries"]
    assert shdoc["dns"]["checks"] == ["dns_udp", "dns_tcp"]
    assert {(q["check"], q["transport"]) for q in queries} == {("dns_udp", "udp"),
                                                               ("dns_tcp", "tcp")}  # fmt: skip
    assert len(queries) == 2 * 2 * len(full_plan(world)["dns"]["names"])


def test_dns_over_tcp_needs_dig(shdoc: dict[str, Any], world: World) -> None:
    queries = [q for q in shdoc["dns"]["queries"] if q["transport"] == "tcp"]
    if shdoc["_kind"] == "busybox":
        assert {q["status"] for q in queries} == {"not_observable"}
        return
    mine = {q["name"]: q for q in queries if q["resolver"] == world.dns.address}
    assert mine["ok.test"]["tool"] == "dig" and mine["ok.test"]["status"] == "answer"
    assert mine["badid.test"]["status"] == "id_mismatch"
    assert mine["nx.test"]["rcode"] == "NXDOMAIN"


def test_dns_system(shdoc: dict[str, Any]) -> None:
    results = {r["name"]: r for r in shdoc["dns_system"]["results"]}
    method = "nslookup" if shdoc["_kind"] == "busybox" else "getent"
    assert results["sys.test"] == {**results["sys.test"], "status": "resolved",
                                   "addresses": [A_OK], "method": method}  # fmt: skip
    assert results["nx.test"]["status"] == "resolve_failed"


def test_admin_and_teamviewer_sections(shdoc: dict[str, Any]) -> None:
    assert shdoc["admin"]["euid"] == 0 and shdoc["admin"]["user"] == "root"
    tv = shdoc["teamviewer"]
    assert tv["service"]["running"] is False and tv["binaries"] == []
    assert [c["exists"] for c in tv["config"]] == [False, False]


def test_hostile_tool_output_is_escaped(world: World, tmp_path: Path) -> None:
    """An nc that prints quotes, backslashes, control and non-ASCII bytes, then exits 1.

    dash only: Debian's static BusyBox sh runs its own applets before PATH.
    """
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "nc").write_bytes(
        b'#!/bin/sh\ncase "$1" in -h) echo "usage -e PROG" >&2; exit 1;; esac\n'
        b"printf 'bad \"q\" \\\\ \\001\\033[1m \\377\\n' >&2; exit 1\n"
    )
    (fake / "nc").chmod(0o755)
    plan = {"plan_version": 2, "deadline_s": 5.0, "probe_timeout_s": 1.0,
            "tcp": [{"check": "tcp_80", "host": "127.0.0.1", "port": world.tcp.open}]}  # fmt: skip
    done = run_sh(world, build_sh_program(plan), "dash", f"{fake}:/usr/bin")
    (obs,) = parse_output(done.stdout)["tcp"]
    assert obs["status"] == "failed_indistinct"
    assert obs["error"] == 'bad "q" \\ [1m '


def test_launcher_runs_python_when_there_is_one(world: World, tmp_path: Path) -> None:
    py_dir = tmp_path / "py"
    py_dir.mkdir()
    (py_dir / "python3").symlink_to(sys.executable)
    plan = full_plan(world)
    done = run_sh(
        world, build_launcher(plan), "dash", f"{py_dir}:/usr/bin:/bin", command=LAUNCH_COMMAND
    )
    assert parse_output(done.stdout, stderr=done.stderr)["payload"] == "python"
    # the start marker first, then nothing: the sh half is a clean Python string, no warnings
    assert done.stderr == STARTED + b"\n"


def test_launcher_falls_back_to_sh_without_python(world: World, tmp_path: Path) -> None:
    plan = {"plan_version": 2, "deadline_s": 5.0, "probe_timeout_s": 1.0, "admin": {}}
    path = tool_dir(tmp_path, "busybox")
    done = run_sh(
        world, build_launcher(plan), "busybox", path, no_python=True, command=LAUNCH_COMMAND
    )
    doc = parse_output(done.stdout, stderr=done.stderr)
    assert (doc["payload"], doc["admin"]["euid"]) == ("sh", 0)


@pytest.mark.parametrize("kind", SHELLS)
@pytest.mark.parametrize("version", [1, 7])
def test_other_plan_versions_are_refused_in_the_document(
    world: World, tmp_path: Path, kind: str, version: int
) -> None:
    plan = {"plan_version": version, "deadline_s": 5.0, "probe_timeout_s": 1.0, "udp": [],
            "tcp": [{"check": "tcp_80", "host": "127.0.0.1", "port": world.tcp.open}]}  # fmt: skip
    assert render_plan(plan) == f"PLAN_VERSION={version}\n"  # nothing else reaches the host
    done = run_sh(world, build_sh_program(plan), kind, tool_dir(tmp_path, kind))
    doc = parse_output(done.stdout, stderr=done.stderr)
    assert doc["error"] == "bad plan: unsupported plan (plan_version must be 2)"
    assert doc["payload"] == "sh"
    assert "tcp" not in doc and "udp" not in doc


@pytest.mark.parametrize("kind", SHELLS)
def test_no_reflector_gives_an_empty_udp_section(world: World, tmp_path: Path, kind: str) -> None:
    plan = {"plan_version": 2, "deadline_s": 5.0, "probe_timeout_s": 1.0, "udp": []}
    done = run_sh(world, build_sh_program(plan), kind, tool_dir(tmp_path, kind))
    doc = parse_output(done.stdout, stderr=done.stderr)
    assert doc["udp"] == []
    assert "error" not in doc and "tcp" not in doc and "tls" not in doc


def test_dns_transport_is_rendered_from_the_plan() -> None:
    plan = {"plan_version": 2, "deadline_s": 5.0, "probe_timeout_s": 1.0,
            "dns": {"checks": ["resolver_udp", "resolver_tcp", "dns_tcp"],
                    "transport": {"resolver_udp": "udp", "resolver_tcp": "tcp", "dns_tcp": "udp"},
                    "names": ["ok.test"], "resolv_conf": "/etc/resolv.conf"}}  # fmt: skip
    lines = render_plan(plan).splitlines()
    assert "PLAN_DNS_CHECKS='resolver_udp resolver_tcp dns_tcp'" in lines
    assert "PLAN_DNS_TCP='resolver_tcp'" in lines  # the id decides nothing, the plan does


@pytest.mark.parametrize("kind", SHELLS)
def test_dns_transport_comes_from_the_plan(world: World, tmp_path: Path, kind: str) -> None:
    """resolver_tcp asks over TCP (dig +tcp; BusyBox cannot), a dns_tcp planned as udp over UDP."""
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver {world.dns.address}\n")
    tcp_name, udp_name = f"{kind}-tcp.transport.test", f"{kind}-udp.transport.test"
    plan = {"plan_version": 2, "deadline_s": 6.0, "probe_timeout_s": 1.0,
            "dns": {"checks": ["resolver_tcp", "dns_tcp"],
                    "transport": {"resolver_tcp": "tcp", "dns_tcp": "udp"},
                    "names": ["tc.test", tcp_name, udp_name], "resolv_conf": str(conf)}}  # fmt: skip
    done = run_sh(world, build_sh_program(plan), kind, tool_dir(tmp_path, kind))
    queries = parse_output(done.stdout, stderr=done.stderr)["dns"]["queries"]
    got = {(q["check"], q["name"]): q for q in queries}
    assert {(q["check"], q["transport"]) for q in queries} == {("resolver_tcp", "tcp"),
                                                               ("dns_tcp", "udp")}  # fmt: skip
    assert len(queries) == 2 * 3
    if kind == "busybox":  # no dig: TCP cannot be observed, UDP goes through nslookup
        assert {q["status"] for q in queries if q["transport"] == "tcp"} == {"not_observable"}
        assert got[("dns_tcp", "tc.test")]["status"] == "answer"  # nslookup cannot tell TC
        seen = {("udp", udp_name), ("udp", tcp_name)}
    else:
        assert got[("resolver_tcp", "tc.test")]["status"] == "answer"  # truncated over UDP
        assert got[("resolver_tcp", "tc.test")]["tool"] == "dig"
        assert got[("dns_tcp", "tc.test")]["status"] == "truncated"
        seen = {("tcp", tcp_name), ("tcp", udp_name), ("udp", tcp_name), ("udp", udp_name)}
    assert {e for e in world.dns.seen if e[1] in (tcp_name, udp_name)} == seen


@pytest.mark.parametrize(
    "bad",
    [
        {"tcp": [{"check": "tcp_80", "host": "x'; reboot; '", "port": 80}]},
        {"tcp": [{"check": "tcp_80", "host": "$(id)", "port": 80}]},
        {"tcp": [{"check": "tcp_80", "host": "ok", "port": "80; id"}]},
        {"dns": {"checks": ["dns_udp"], "names": ["a b"], "resolv_conf": "/etc/resolv.conf"}},
    ],
)
def test_unsafe_plan_values_never_reach_a_host(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"sh payload|port"):
        render_plan({"plan_version": 2, "deadline_s": 5.0, "probe_timeout_s": 1.0, **bad})


NASTY = "it's $(secret) ''' \\x41 \\N{x} `id` ä"


def test_become_password_is_spelled_in_octal_and_only_in_the_program() -> None:
    plan = {"plan_version": 2, "deadline_s": 5.0, "probe_timeout_s": 1.0}
    program = build_sh_program(plan, Secret(NASTY))
    octal = "".join(f"\\{b:03o}" for b in NASTY.encode())
    assert f"BECOME=\"$(printf '{octal}')\"\n".encode() in program
    assert b"secret" not in render_plan(plan).encode()
    assert json.dumps(plan)  # the plan itself stays secret-free


@pytest.mark.parametrize("kind", SHELLS)
def test_the_octal_become_password_reaches_sh_intact(
    world: World, kind: str, tmp_path: Path
) -> None:
    """The sh half decodes the password exactly (printf is a builtin: no argv holds it)."""
    program = build_sh_program({"plan_version": 2, "deadline_s": 5.0, "probe_timeout_s": 1.0},
                               Secret(NASTY))  # fmt: skip
    probe = program.replace(b'\nmain "$@" </dev/null', b'\nprintf "%s" "$BECOME"; exit 0', 1)
    assert probe != program
    path = tool_dir(tmp_path, kind)
    done = run_sh(world, probe, kind, path)
    assert done.stdout.decode() == NASTY


def test_launcher_with_a_nasty_become_password_still_compiles_as_python(
    world: World, tmp_path: Path
) -> None:
    py_dir = tmp_path / "py"
    py_dir.mkdir()
    (py_dir / "python3").symlink_to(sys.executable)
    program = build_launcher(full_plan(world), Secret(NASTY))
    done = run_sh(world, program, "dash", f"{py_dir}:/usr/bin:/bin", command=LAUNCH_COMMAND)
    assert parse_output(done.stdout, stderr=done.stderr)["payload"] == "python"


@pytest.mark.parametrize("kind", SHELLS)
def test_the_sh_payload_reads_device_management(world: World, tmp_path: Path, kind: str) -> None:
    """global.conf's DeviceManagementV2 entries, as the Python payload reads them."""
    conf = tmp_path / "global.conf"
    conf.write_text(
        '[int32] ClientID = 1234567890\n[strng] Version = "15.61.3"\n'
        '[strng] DeviceManagementV2\\ManagementId = "{6f1c0d6e-1111-4000-8000-000000000001}"\n'
        "[int32] DeviceManagementV2\\Unmanaged = 1\n[bin  ] PermanentPassword = 4c 61 62\n",
        encoding="ascii",
    )
    shell = [BUSYBOX, "sh", "-s"] if kind == "busybox" else ["dash", "-s"]
    script = ('mount -t tmpfs tv /opt && mkdir -p /opt/teamviewer/config && '
              'cp "$1" /opt/teamviewer/config/global.conf && shift && exec "$@"')  # fmt: skip
    done = subprocess.run(
        ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c", script, "x",
         str(conf), *shell],
        input=build_sh_program({"plan_version": PLAN_VERSION, "deadline_s": 10.0,
                                "probe_timeout_s": 2.0, "teamviewer": {"check": "teamviewer"}}),
        capture_output=True, timeout=30, check=False,
        env={"PATH": tool_dir(tmp_path, kind)},
    )  # fmt: skip
    doc = parse_output(done.stdout, stderr=done.stderr, exit_status=done.returncode)
    [found] = [c for c in doc["teamviewer"]["config"] if c["exists"]]
    assert (found["client_id"], found["management_id"], found["unmanaged"]) == (
        "1234567890", "{6f1c0d6e-1111-4000-8000-000000000001}", True)  # fmt: skip
    assert "4c 61 62" not in done.stdout.decode()
