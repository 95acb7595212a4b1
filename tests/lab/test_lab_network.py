"""The lab is what it claims: checked from the msp and host namespaces with plain tools."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from auditor.lab import Lab, write_inventory
from auditor.lab.build import LabHost
from auditor.lab.inventory import LEGACY_ARGS
from auditor.lab.netns import pids_in, root_lab_routes
from auditor.lab.spec import (
    DEVICE_ENABLE_SECRET,
    DEVICE_PASSWORD,
    DEVICE_USER,
    RESOLVER_GOOD,
    RESOLVER_HIJACK,
    RESOLVER_NXDOMAIN,
    RESOLVER_SERVFAIL,
    TV_ROUTER1,
    WINDOWS_PASSWORD,
)

pytestmark = pytest.mark.lab
PY = "/usr/bin/python3"  # the hosts' own Python, as the payload would use it

CONNECT = """
import errno, socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), float(sys.argv[3])).close()
    print("open")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
"""

TLS = """
import socket, ssl, sys
ctx = ssl.create_default_context()
try:
    with socket.create_connection((sys.argv[1], 443), 3) as raw:
        with ctx.wrap_socket(raw, server_hostname=sys.argv[1]) as s:
            print("ok", dict(x[0] for x in s.getpeercert()["issuer"])["commonName"])
except ssl.SSLCertVerificationError as e:
    print("verify-failed", e.verify_message)
"""


def ssh_argv(lab: Lab, user: str, addr: str, *extra: str) -> list[str]:
    return [
        "ssh", "-i", str(lab.client_key), "-o", f"UserKnownHostsFile={lab.known_hosts}",
        "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=3", *extra, f"{user}@{addr}",
    ]  # fmt: skip


def connect(lab: Lab, host: str, addr: str, port: int, timeout: float = 1.0) -> str:
    out = lab.run_in_host(host, [PY, "-c", CONNECT, addr, str(port), str(timeout)], timeout=10)
    return out.stdout.strip()


def dig(lab: Lab, server: str, *opts: str) -> str:
    argv = ["dig", f"@{server}", "+tries=1", "+time=2", *opts, "router1.teamviewer.com"]
    return lab.run_in_msp(argv, timeout=10).stdout


def test_root_namespace_has_no_lab_route(lab: Lab) -> None:
    assert root_lab_routes() == []
    addrs = subprocess.run(["ip", "-4", "addr"], capture_output=True, text=True).stdout
    assert "198.51.100." not in addrs and "203.0.113." not in addrs


def host_options(host: LabHost) -> list[str]:
    """What an OpenSSH user needs for this host: its port, the old algorithms it offers."""
    options = ["-p", str(host.spec.ssh_port)]
    return [*options, *shlex.split(LEGACY_ARGS)] if host.spec.ssh_legacy else options


def test_ssh_root_login_with_lab_key_and_known_hosts(lab: Lab) -> None:
    hosts = [h for h in lab.hosts if h.spec.sshd and not h.spec.hang_after_auth]
    hosts = [h for h in hosts if h.spec.windows is None]  # WinRM: test_windows_on_lab.py
    hosts = [h for h in hosts if h.spec.device is None]  # a CLI: tests/lab/test_netdev.py
    hosts = [h for h in hosts if not h.spec.ssh_only_from]  # see the next test
    logins = {  # all at once: a login costs ~0.5 s here, mostly waiting
        h.name: subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                lab.msp_ns,
                *ssh_argv(lab, "root", h.address, "-o", "BatchMode=yes", *host_options(h)),
                "id -u",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for h in hosts
    }
    results = {name: (p.communicate(timeout=20), p.returncode) for name, p in logins.items()}
    assert {name: (out.strip(), rc) for name, ((out, _), rc) in results.items()} == {
        h.name: ("0", 0) for h in hosts
    }
    legacy = lab.host("legacy")  # and without the old algorithms OpenSSH refuses it
    plain = subprocess.run(
        ["ip", "netns", "exec", lab.msp_ns,
         *ssh_argv(lab, "root", legacy.address, "-o", "BatchMode=yes"), "id -u"],
        capture_output=True, text=True, timeout=20, check=False,
    )  # fmt: skip
    assert plain.returncode == 255 and "no matching" in plain.stderr


def test_host_behind_a_jump_host_refuses_direct_ssh(lab: Lab) -> None:
    behind = lab.host("behind")
    argv = ssh_argv(lab, "root", behind.address, "-o", "BatchMode=yes", "-o", "ConnectTimeout=2")
    direct = lab.run_in_msp([*argv, "id -u"], timeout=20)
    assert direct.returncode == 255
    assert "timed out" in direct.stderr
    probe = f"import socket; print(socket.create_connection(('{behind.address}', 22), 3).recv(4))"
    from_jump = lab.run_in_host("good", ["python3", "-c", probe], timeout=20)
    assert "SSH-" in from_jump.stdout


def test_password_user_logs_in_by_password_only(lab: Lab, tmp_path: Path) -> None:
    assert lab.audit_password is not None
    askpass = f"{tmp_path}/askpass"
    with open(askpass, "w") as fh:
        fh.write(f"#!/bin/sh\necho '{lab.audit_password.reveal()}'\n")
    os.chmod(askpass, 0o700)
    opts = ("-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1")
    argv = ["env", f"SSH_ASKPASS={askpass}", "SSH_ASKPASS_REQUIRE=force", "setsid", "-w"]
    good = lab.run_in_msp(
        [*argv, *ssh_argv(lab, "audit", lab.host("good").address, *opts), "id -un"]
    )
    assert (good.returncode, good.stdout.strip()) == (0, "audit"), good.stderr
    # a host without password in its spec does not accept passwords at all
    other = lab.run_in_msp(
        [*argv, *ssh_argv(lab, "audit", lab.host("udp53").address, *opts), "true"]
    )
    assert other.returncode == 255 and "Permission denied" in other.stderr


def test_sshd_down_host_refuses(lab: Lab) -> None:
    out = lab.run_in_msp([PY, "-c", CONNECT, lab.host("nossh").address, "22", "2"])
    assert out.stdout.strip() == "ECONNREFUSED"


def test_hang_host_authenticates_then_never_returns(lab: Lab, tmp_path: Path) -> None:
    argv = [*ssh_argv(lab, "root", lab.host("hang").address, "-v", "-o", "BatchMode=yes"), "true"]
    log = tmp_path / "ssh.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", lab.msp_ns, *argv], stdout=subprocess.DEVNULL, stderr=err
        )
    try:
        for _ in range(100):  # up to 10 s for the login itself
            if "Authenticated to" in log.read_text() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert "Authenticated to" in log.read_text()
        time.sleep(1.0)
        assert proc.poll() is None  # logged in, command sent, nothing ever comes back
    finally:
        proc.kill()
        proc.wait(timeout=5)


@pytest.mark.parametrize(
    ("server", "expect"),
    [
        (
            RESOLVER_GOOD,
            f"status: NOERROR.*\nrouter1.teamviewer.com.\\s+\\d+\\s+IN\\s+A\\s+{TV_ROUTER1}",
        ),
        (
            RESOLVER_HIJACK,
            r"status: NOERROR.*\nrouter1.teamviewer.com.\s+\d+\s+IN\s+A\s+0\.0\.0\.0",
        ),
        (RESOLVER_NXDOMAIN, "status: NXDOMAIN"),
        (RESOLVER_SERVFAIL, "status: SERVFAIL"),
    ],
)
@pytest.mark.parametrize("transport", ["+notcp", "+tcp"])
def test_resolvers_over_udp_and_tcp(lab: Lab, server: str, expect: str, transport: str) -> None:
    out = dig(lab, server, transport, "+noall", "+comments", "+answer")
    assert re.search(expect, out, re.S), out


def test_good_resolver_answers_like_an_authoritative_server(lab: Lab) -> None:
    """AAAA of a name it has an A for: NOERROR without data (never REFUSED: glibc then waits
    out its retry, and the audit would blame the host's DNS); unknown names: NXDOMAIN."""
    aaaa = dig(lab, RESOLVER_GOOD, "+noall", "+comments", "+answer", "-t", "AAAA")
    assert "status: NOERROR" in aaaa and "IN\tAAAA" not in aaaa, aaaa
    argv = ["dig", f"@{RESOLVER_GOOD}", "+tries=1", "+time=2", "no-such.teamviewer.com"]
    assert "status: NXDOMAIN" in lab.run_in_msp(argv, timeout=10).stdout


def test_internet_servers_run_ahead_of_the_hosts(lab: Lab) -> None:
    """Resolvers, targets and reflector are scheduled before the hosts' payloads, and the
    targets accept a fleet's connections at once: the lab's internet is never the limit."""
    servers = pids_in([lab.inet_ns])
    assert len(servers) >= 5  # three dnsmasq, internet.py, the reflector
    assert {os.sched_getscheduler(pid) for pid in servers} == {os.SCHED_RR}
    hosts = pids_in([h.ns for h in lab.hosts])
    assert hosts and os.SCHED_RR not in {os.sched_getscheduler(pid) for pid in hosts}
    listening = lab.run_in(lab.inet_ns, ["ss", "-ltnH", "sport", "= :5938"]).stdout.split("\n")
    backlogs = {line.split()[2] for line in listening if f"{TV_ROUTER1}:5938" in line}
    assert backlogs == {"4096"}


def test_host_sees_its_own_resolv_conf_hosts_and_ca(lab: Lab) -> None:
    code = (
        "import socket; print(open('/etc/resolv.conf').read().split()[1]); "
        "print(socket.gethostbyname('router1.teamviewer.com')); "
        "print(socket.gethostbyname('hijack'))"
    )
    hijack = lab.run_in_host("hijack", [PY, "-c", code]).stdout.split()
    assert hijack == [RESOLVER_HIJACK, "0.0.0.0", "127.0.1.1"]
    good = lab.run_in_host("good", [PY, "-c", code.replace("'hijack'", "'good'")]).stdout.split()
    assert good == [RESOLVER_GOOD, TV_ROUTER1, "127.0.1.1"]
    # an SSH session inherits the same view: sshd itself was started by ip netns exec
    argv = [*ssh_argv(lab, "root", lab.host("nxdomain").address), "cat /etc/resolv.conf"]
    assert lab.run_in_msp(argv).stdout.strip() == f"nameserver {RESOLVER_NXDOMAIN}"


def test_tcp_faults_look_like_real_firewalls(lab: Lab) -> None:
    assert connect(lab, "good", TV_ROUTER1, 5938) == "open"
    assert connect(lab, "tcp5938", TV_ROUTER1, 5938) == "timeout"
    assert connect(lab, "tcp5938", TV_ROUTER1, 443) == "open"
    assert connect(lab, "rst443", TV_ROUTER1, 443) == "ECONNREFUSED"
    assert connect(lab, "tcp53", RESOLVER_GOOD, 53) == "ECONNREFUSED"
    assert connect(lab, "udp53", RESOLVER_GOOD, 53) == "open"


def test_udp53_drop_fails_sendto_on_the_host(lab: Lab) -> None:
    code = (
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "try:\n    s.sendto(b'x' * 12, ('203.0.113.53', 53)); print('sent')\n"
        "except PermissionError:\n    print('EPERM')"
    )
    assert lab.run_in_host("udp53", [PY, "-c", code]).stdout.strip() == "EPERM"
    assert lab.run_in_host("good", [PY, "-c", code]).stdout.strip() == "sent"


def test_tcp_targets_echo_and_answer_http(lab: Lab) -> None:
    code = (
        "import socket; s = socket.create_connection(('203.0.113.10', 5938), 2); "
        "s.sendall(b'nonce-42'); print(s.recv(64).decode()); "
        "h = socket.create_connection(('203.0.113.11', 80), 2); "
        "h.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'); "
        "print(h.recv(200).split()[1].decode())"
    )
    assert lab.run_in_host("good", [PY, "-c", code]).stdout.split() == ["nonce-42", "200"]


def test_tls_verifies_with_lab_ca_and_fails_when_intercepted(lab: Lab) -> None:
    ok = lab.run_in_host("good", [PY, "-c", TLS, "get.teamviewer.com"]).stdout.strip()
    assert ok == "ok Auditor Lab CA"
    bad = lab.run_in_host("intercept", [PY, "-c", TLS, "get.teamviewer.com"]).stdout.strip()
    assert bad.startswith("verify-failed")
    # what the intercept host really talks to is the rogue box with the rogue CA
    seen = lab.run_in_host(
        "intercept",
        ["openssl", "s_client", "-connect", f"{TV_ROUTER1}:443", "-showcerts"],
        input="",
        timeout=10,
    )
    assert "i:CN = Rogue Intercept CA" in seen.stdout
    openssl = lab.run_in_host(
        "good",
        ["openssl", "s_client", "-connect", f"{TV_ROUTER1}:443", "-verify_return_error",
         "-servername", "router1.teamviewer.com", "-brief"],
        input="", timeout=10,
    )  # fmt: skip
    assert openssl.returncode == 0 and "Verification: OK" in openssl.stderr


def test_known_hosts_and_inventory(lab: Lab, tmp_path: Path) -> None:
    lines = lab.known_hosts.read_text().splitlines()
    with_sshd = [h for h in lab.hosts if h.spec.sshd and h.spec.windows is None]
    on_22 = [h for h in with_sshd if h.spec.ssh_port == 22]
    assert len(lines) == len(with_sshd) + len(on_22)
    for h in with_sshd:
        kind = "ssh-rsa" if h.spec.ssh_legacy else "ssh-ed25519"
        port = h.spec.ssh_port
        assert (port != 22) ^ any(line.startswith(f"{h.address} {kind} ") for line in lines)
        assert any(line.startswith(f"[{h.address}]:{port} {kind} ") for line in lines)
    doc = yaml.safe_load(write_inventory(lab, tmp_path / "inv.yml").read_text())
    hosts = doc["all"]["children"]["testkunde_gmbh"]["hosts"]
    assert list(hosts) == [h.name for h in lab.spec.hosts if not h.web_ui]  # web: not Ansible's
    assert hosts["good"] == {
        "ansible_host": "198.51.100.10",
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(lab.client_key),
        "auditor_customer": "Testkunde GmbH",
        "auditor_role": "server",
    }
    assert hosts["port2222"]["ansible_port"] == 2222
    assert hosts["legacy"]["ansible_ssh_common_args"].endswith(LEGACY_ARGS)
    assert hosts["winuac"] == {  # a Windows server, as an MSP's inventory has it
        "ansible_connection": "winrm",
        "ansible_host": lab.host("winuac").address,
        "ansible_port": 5986,
        "ansible_user": "audit",
        "ansible_password": WINDOWS_PASSWORD,
        "ansible_winrm_transport": "ntlm",
        "auditor_customer": "Testkunde GmbH",
        "auditor_role": "server",
        "ansible_winrm_ca_trust_path": str(lab.ca_cert),
    }
    assert hosts["ios15"] == {  # a switch: network_cli, its OS, enable with the secret
        "ansible_connection": "network_cli",
        "ansible_network_os": "cisco.ios.ios",
        "ansible_host": lab.host("ios15").address,
        "ansible_user": DEVICE_USER,
        "ansible_password": DEVICE_PASSWORD,
        "auditor_customer": "Testkunde GmbH",
        "auditor_role": "network",
        "ansible_become": "yes",
        "ansible_become_method": "enable",
        "ansible_become_password": DEVICE_ENABLE_SECRET,
    }
    group_vars = doc["all"]["children"]["testkunde_gmbh"]["vars"]
    assert group_vars == {"auditor_report_to": ["it@testkunde-gmbh.example"]}


def test_reflector_echoes_a_udp_nonce(lab: Lab) -> None:
    code = (
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2); "
        "s.sendto(b'nonce-4711', ('reflector.lab.test', 5938)); print(s.recvfrom(64)[0].decode())"
    )
    assert lab.reflector_running
    assert lab.run_in_host("good", [PY, "-c", code]).stdout.strip() == "nonce-4711"


def test_audit_password_is_written_nowhere(lab: Lab) -> None:
    assert lab.audit_password is not None
    secret = lab.audit_password.reveal().encode()
    written = [p for p in lab.state_dir.rglob("*") if p.is_file() and not p.is_symlink()]
    written += [p for p in Path("/etc/netns").rglob("*") if p.is_file() and p.stat().st_size < 1e5]
    assert written and [p for p in written if secret in p.read_bytes()] == []
