"""``auditor survey`` and ``auditor check-here`` on the lab, as a technician runs them.

The survey searches the first 32 addresses of the customer LAN and the web
appliance's own address from the MSP namespace, with the lab's root key and
the Windows stand-ins' account. What this proves: exactly the hosts with a
management port open are found and told apart (OpenSSH, Dropbear, WinRM, a
web page); nothing outside the given networks gets a packet (nftables
counters in the MSP namespace); the draft inventory loads back with
ansible-inventory and the auditor, holds no secret, and its audit gives the
hand-made inventory's verdicts for the same hosts; a /16 is refused.
"""

from __future__ import annotations

import ipaddress
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from auditor.lab import Lab
from auditor.lab.netns import exec_argv as netns_exec
from auditor.lab.spec import REFLECTOR, WINDOWS_PASSWORD
from tests.engine.conftest import TEST_TIMEOUTS, Audit, write_msp_ssh_config, write_test_profile

SEARCHED = "198.51.100.0/27"  # .1 - .30: the first 21 lab hosts (.10 - .30)
ALSO = ("winok", "webui")  # searched on their own, as /32: a Windows server, a web appliance
BIN = Path(sys.executable).parent
WATCH = """table ip survey_watch {{
  chain out {{
    type filter hook output priority 0; policy accept;
    oifname "lo" accept
    ip daddr {{ {allowed} }} counter
    ip daddr != {{ {allowed} }} counter
  }}
}}
table ip6 survey_watch6 {{
  chain out {{
    type filter hook output priority 0; policy accept;
    meta l4proto {{ tcp, udp }} counter
  }}
}}
"""


def netns_argv(lab: Lab, argv: list[str]) -> list[str]:
    """``argv`` in the MSP namespace; ``ip netns exec`` execs it, so the pid is the auditor's."""
    return netns_exec(lab.msp_ns, argv)


def expected_found(lab: Lab) -> set[str]:
    """The hosts in the searched range with a management port: 22, WinRM, or HTTPS."""
    found = set()
    for host in lab.hosts:
        searched = ipaddress.ip_address(host.address) in ipaddress.ip_network(SEARCHED).hosts()
        if not searched and host.name not in ALSO:
            continue
        spec = host.spec
        ssh = spec.sshd and spec.ssh_port == 22 and not spec.ssh_only_from
        if ssh or spec.windows or spec.device or spec.web_ui:
            found.add(host.name)
    return found


@pytest.fixture(scope="module")
def survey(lab: Lab, lab_audit: Audit, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One survey of the lab, with the MSP namespace's outgoing packets counted."""
    work = tmp_path_factory.mktemp("survey")
    singles = [f"{lab.host(name).address}/32" for name in ALSO]
    allowed = ", ".join((SEARCHED, *singles))
    watch = lab.run_in_msp(["nft", "-f", "-"], input=WATCH.format(allowed=allowed))
    assert watch.returncode == 0, watch.stderr
    password = work / "windows-password"
    password.write_text(WINDOWS_PASSWORD + "\n")
    config = write_msp_ssh_config(lab, work)
    argv = [
        "env", "-u", "SSH_AUTH_SOCK", "-u", "AUDITOR_DB", f"HOME={work}",
        sys.executable, "-m", "auditor", "survey", SEARCHED, *singles,
        "--customer", "Neukunde AG", "--user", "root", "--key", str(lab.client_key),
        "--win-user", "audit", "--win-password-file", str(password),
        "--out", str(work / "out"), "--ssh-config", str(config),
        "--profile", str(write_test_profile(work / "profile.yaml")),
        "--reflector", REFLECTOR, "--expected-network", "203.0.113.0/24",
    ]  # fmt: skip
    try:
        done = lab.run_in_msp(argv, timeout=240)
        counters = json.loads(lab.run_in_msp(["nft", "-j", "list", "ruleset"]).stdout)
    finally:
        lab.run_in_msp(["nft", "delete", "table", "ip", "survey_watch"])
        lab.run_in_msp(["nft", "delete", "table", "ip6", "survey_watch6"])
    packets = [
        rule["rule"]["expr"][-1]["counter"]["packets"]
        for rule in counters["nftables"]
        if "rule" in rule and rule["rule"]["table"].startswith("survey_watch")
        and "counter" in rule["rule"]["expr"][-1]
    ]  # fmt: skip
    out = work / "out"
    return {"done": done, "out": out, "packets": packets,
            "results": json.loads((out / "results.json").read_text(encoding="utf-8")),
            "survey": json.loads((out / "survey.json").read_text(encoding="utf-8"))}  # fmt: skip


@pytest.mark.lab
def test_the_survey_finds_exactly_the_hosts_with_a_management_port(
    lab: Lab, survey: dict[str, Any]
) -> None:
    assert survey["done"].returncode in (1, 2), survey["done"].stderr
    devices = {d["name"]: d for d in survey["survey"]["devices"]}
    assert set(devices) == expected_found(lab)
    kinds = {name: d["kind"] for name, d in devices.items()}
    assert kinds["good"] == "ssh" and kinds["winok"] == "winrm" and kinds["webui"] == "web"
    assert (kinds["dropbear"], devices["dropbear"]["role"]) == ("ssh", "network")
    assert devices["good"]["ssh_banner"].startswith("SSH-2.0-OpenSSH_")
    assert f"survey: {len(devices)} devices answered" in survey["done"].stdout


@pytest.mark.lab
def test_no_packet_leaves_for_an_address_outside_the_networks(survey: dict[str, Any]) -> None:
    inside, outside, ipv6 = survey["packets"]
    assert inside > 100  # the search and the audits really went through the counted chain
    assert (outside, ipv6) == (0, 0)


@pytest.mark.lab
def test_the_draft_loads_back_and_holds_no_secret(survey: dict[str, Any]) -> None:
    inventory = survey["out"] / "inventory.yml"
    listed = json.loads(subprocess.run(
        [BIN / "ansible-inventory", "-i", str(inventory), "--list"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout)  # fmt: skip
    web = {d["name"] for d in survey["survey"]["devices"] if d["kind"] == "web"}
    names = {d["name"] for d in survey["survey"]["devices"]} - web
    assert set(listed["_meta"]["hostvars"]) == names  # the web appliance is a comment
    shown = subprocess.run(
        [BIN / "auditor", "inventory", "-i", str(inventory)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    for path in survey["out"].iterdir():
        if path.is_file():
            assert WINDOWS_PASSWORD not in path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.lab
def test_the_survey_audit_agrees_with_the_hand_made_inventory(
    survey: dict[str, Any], lab_audit: Audit
) -> None:
    """Same host, same role, both fully audited: the same verdict for every check."""
    compared = 0
    for host in survey["results"]["hosts"]:
        mine = lab_audit.host(host["name"])
        if host["stage"] != "judged" or mine["stage"] != "judged" or host["role"] != mine["role"]:
            continue
        theirs = {c["id"]: c["verdict"] for c in mine["checks"]}
        assert {c["id"]: c["verdict"] for c in host["checks"]} == theirs, host["name"]
        compared += 1
    assert compared >= 12


@pytest.mark.lab
def test_the_survey_report_is_marked_and_lists_the_web_appliance(survey: dict[str, Any]) -> None:
    page = (survey["out"] / "neukunde-ag.html").read_text(encoding="utf-8")
    assert "Bestandsaufnahme vor Vertragsbeginn" in page
    assert 'data-address="' in page and "Nur HTTPS antwortet" in page


@pytest.mark.lab
def test_a_network_larger_than_a_20_is_refused(lab: Lab) -> None:
    done = lab.run_in_msp([sys.executable, "-m", "auditor", "survey", "10.0.0.0/16",
                           "--customer", "X", "--out", "/nonexistent"])  # fmt: skip
    assert done.returncode == 4
    assert done.stderr.strip() == (
        "auditor: survey: 10.0.0.0/16 has 65536 addresses, more than a /20 (4096); "
        "give smaller networks, or --force"
    )


@pytest.mark.lab
def test_check_here_in_a_host_gives_that_hosts_verdicts(
    lab: Lab, lab_audit: Audit, tmp_path: Path
) -> None:
    argv = [
        sys.executable, "-m", "auditor", "check-here", "--customer", "Testkunde GmbH",
        "--out", str(tmp_path / "out"), "--profile", str(write_test_profile(tmp_path / "p.yaml")),
        "--reflector", REFLECTOR, "--expected-network", "203.0.113.0/24",
    ]  # fmt: skip
    done = lab.run_in_host("tcp5938", argv, timeout=120)
    assert done.returncode == 1, done.stderr  # audited, and TCP 5938 fails there
    results = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    (host,) = results["hosts"]
    assert (host["connection"], host["stage"]) == ("local", "judged")
    here = {c["id"]: c["verdict"] for c in host["checks"] if c["id"] != "teamviewer"}
    there = {c["id"]: c["verdict"] for c in lab_audit.host("tcp5938")["checks"]
             if c["id"] != "teamviewer"}  # fmt: skip
    assert here == there and here["tcp_5938"] == "fail"
    page = next((tmp_path / "out").glob("testkunde-gmbh.html")).read_text(encoding="utf-8")
    assert "Prüfung vor Ort auf diesem Rechner" in page
    assert TEST_TIMEOUTS["probe_s"] == 2  # the test profile's timeouts, as for the lab audit


@pytest.mark.lab
def test_ctrl_c_stops_the_search_and_keeps_what_was_found(lab: Lab, tmp_path: Path) -> None:
    """Two addresses first (they answer at once), then a slow /24: Ctrl-C during the /24."""
    first = f"{lab.host('good').address}/31"  # good and tcp5938
    argv = netns_argv(lab, [
        sys.executable, "-m", "auditor", "survey", first, "198.51.100.0/24", "--rate", "8",
        "--customer", "Neukunde AG", "--user", "root", "--out", str(tmp_path / "out"),
    ])  # fmt: skip
    survey = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    inventory = tmp_path / "out" / "inventory.yml"
    try:
        time.sleep(6)  # the first two addresses take a second at 8 attempts/s; the /24 minutes
        survey.send_signal(signal.SIGINT)
        _, err = survey.communicate(timeout=30)
    finally:
        survey.kill()
    assert survey.returncode == 130, err
    assert "interrupted; the draft inventory holds what was found so far" in err
    text = inventory.read_text(encoding="utf-8")
    assert "interrupted" in text.splitlines()[1]
    hosts = json.loads(subprocess.run(
        [BIN / "ansible-inventory", "-i", str(inventory), "--list"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout)["_meta"]["hostvars"]  # fmt: skip
    assert {"good", "tcp5938"} <= set(hosts)
    assert not (tmp_path / "out" / "results.json").exists()  # nothing audited, nothing claimed
