"""Per-host sudo rule, TeamViewer stand-in and process table, seen over SSH as a session would."""

from __future__ import annotations

import pytest

from auditor.lab import HostSpec, Lab, LabError
from auditor.lab.hostfs import TV_VERSION, client_id


def ssh(lab: Lab, host: str, command: str) -> str:
    argv = [
        "ssh", "-i", str(lab.client_key), "-o", f"UserKnownHostsFile={lab.known_hosts}",
        "-o", "BatchMode=yes", f"root@{lab.host(host).address}", command,
    ]  # fmt: skip
    done = lab.run_in_msp(argv, timeout=20)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.lab
@pytest.mark.parametrize(
    ("host", "daemon", "package"),
    [
        ("good", True, "teamviewer-host"),
        ("sudopw", False, "teamviewer-host"),
        ("tvclient", True, "teamviewer"),
        ("tcp5938", False, None),
    ],
)
def test_each_host_has_its_own_teamviewer_and_process_table(
    lab: Lab, host: str, daemon: bool, package: str | None
) -> None:
    out = ssh(lab, host, "hostname; cat /proc/1/comm; cat /proc/*/comm 2>/dev/null | sort -u")
    lines = out.split()
    assert lines[:2] == [host, "sshd"]  # own UTS name; sshd is PID 1 of the host's PID namespace
    assert ("teamviewerd" in lines) is daemon
    query = "dpkg-query -W -f='${Package} ${Version}\\n' teamviewer-host teamviewer 2>/dev/null"
    assert ssh(lab, host, query + "; true").split() == ([package, TV_VERSION] if package else [])
    if package:
        conf = ssh(lab, host, "stat -c %a /opt/teamviewer/config/global.conf; "
                   "/opt/teamviewer/tv_bin/script/teamviewer info")  # fmt: skip
        assert conf.split()[0] == "600"
        assert client_id(lab.spec.host(host)) in conf


@pytest.mark.lab
@pytest.mark.parametrize(
    ("host", "rule"),
    [("good", None), ("sudonp", "NOPASSWD: ALL"), ("sudopw", "audit ALL=(ALL:ALL) ALL")],
)
def test_sudoers_is_per_host(lab: Lab, host: str, rule: str | None) -> None:
    text = ssh(lab, host, "cat /etc/sudoers")
    assert ("\naudit " in text) is (rule is not None)
    if rule:
        assert rule in text


def test_spec_rejects_unknown_sudo_and_teamviewer_values() -> None:
    with pytest.raises(LabError, match="sudo must be one of"):
        HostSpec("x", "C", sudo="sometimes")  # type: ignore[arg-type]
    with pytest.raises(LabError, match="teamviewer must be one of"):
        HostSpec("x", "C", teamviewer="maybe")  # type: ignore[arg-type]
