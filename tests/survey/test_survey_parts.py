"""The survey's pure parts: which networks may be searched, what answered, the draft inventory."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from auditor.errors import ConfigError
from auditor.inventory import load_inventory
from auditor.model import Connection, Role
from auditor.survey import discover as discover_module
from auditor.survey.classify import classify
from auditor.survey.discover import Found
from auditor.survey.draft import Logins, draft_inventory
from auditor.survey.networks import addresses, inside, parse_networks

BIN = Path(sys.executable).parent


def test_networks_are_bounded_unless_forced() -> None:
    assert [str(n) for n in parse_networks(["198.51.100.0/24", "203.0.113.7"])] == [
        "198.51.100.0/24", "203.0.113.7/32",
    ]  # fmt: skip
    assert str(parse_networks(["198.51.100.9/24"])[0]) == "198.51.100.0/24"  # host bits dropped
    with pytest.raises(ConfigError, match=r"10\.0\.0\.0/16 has 65536 addresses, more than a /20"):
        parse_networks(["10.0.0.0/16"])
    assert parse_networks(["10.0.0.0/16"], force=True)[0].num_addresses == 65536
    with pytest.raises(ConfigError, match=r"'198\.51\.100\.0/33' is not a network"):
        parse_networks(["198.51.100.0/33"])


def test_addresses_are_the_hosts_of_the_networks_once_each() -> None:
    nets = parse_networks(["198.51.100.0/30", "198.51.100.1/32", "203.0.113.8/31"])
    assert [str(a) for a in addresses(nets)] == [
        "198.51.100.1", "198.51.100.2", "203.0.113.8", "203.0.113.9",
    ]  # fmt: skip
    assert inside("198.51.100.2", nets) and not inside("198.51.100.4", nets)
    assert not inside("not an address", nets)


def test_the_pacer_spaces_attempts_by_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    """No clock in the assertion: the pacer's own schedule, read from the sleeps it asks for."""
    asked: list[float] = []

    async def record(delay: float) -> None:
        asked.append(round(delay, 6))

    async def five() -> None:
        pacer = discover_module._Pacer(rate=4.0)
        monkeypatch.setattr(discover_module.asyncio, "sleep", record)
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "time", lambda: 100.0)  # time stands still: slots pile up
        for _ in range(5):
            await pacer.wait()

    asyncio.run(five())
    assert asked == [0.25, 0.5, 0.75, 1.0]  # the first goes at once, then one per 1/4 s


FOUND = [
    Found("198.51.100.10", [22], "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", "srv1.acme.example"),
    Found("198.51.100.11", [22, 5985], "SSH-2.0-OpenSSH_for_Windows_8.1", "dc1"),
    Found("198.51.100.12", [22], "SSH-2.0-Cisco-1.25", "sw-core"),
    Found("198.51.100.13", [22], "SSH-2.0-ROSSSH", None),
    Found("198.51.100.14", [22], "SSH-2.0-dropbear_2022.83", "ap1"),
    Found("198.51.100.15", [443], None, "printer"),
    Found("198.51.100.16", [5986], None, "dc1"),  # the same name again
    Found("198.51.100.17", [22], None, None),  # something on 22 that is not SSH
]


def test_what_answered_is_named_as_a_technician_would() -> None:
    devices = {d.address: d for d in classify(FOUND)}
    got = {a: (d.name, d.kind, d.role, d.network_os, d.port) for a, d in devices.items()}
    assert got == {
        "198.51.100.10": ("srv1.acme.example", "ssh", Role.SERVER, None, None),
        "198.51.100.11": ("dc1", "winrm", Role.SERVER, None, 5985),  # WinRM wins over SSH
        "198.51.100.12": ("sw-core", "network_cli", Role.NETWORK, "cisco.ios.ios", None),
        "198.51.100.13": ("host-198-51-100-13", "network_cli", Role.NETWORK,
                          "community.routeros.routeros", None),
        "198.51.100.14": ("ap1", "ssh", Role.NETWORK, None, None),
        "198.51.100.15": ("printer", "web", Role.NETWORK, None, None),
        "198.51.100.16": ("dc1-2", "winrm", Role.SERVER, None, 5986),
        "198.51.100.17": ("host-198-51-100-17", "unknown", Role.NETWORK, None, None),
    }  # fmt: skip
    assert devices["198.51.100.12"].what == "SSH of a network device (Cisco-1.25)"


def draft(tmp_path: Path) -> Path:
    logins = Logins(user="root", key_file="/srv/keys/survey key", password=True,
                    win_user="ACME\\audit", net_user="netaudit", net_password=True)  # fmt: skip
    text = draft_inventory("Bäckerei Sonnenschein & Co", classify(FOUND), logins,
                           header="Draft for the test\n(two lines)")  # fmt: skip
    path = tmp_path / "inventory.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_draft_loads_back_unchanged_with_ansible_and_the_auditor(tmp_path: Path) -> None:
    path = draft(tmp_path)
    listed = json.loads(subprocess.run(
        [BIN / "ansible-inventory", "-i", str(path), "--list"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout)  # fmt: skip
    hostvars = listed["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(["srv1.acme.example", "dc1", "sw-core",
                                       "host-198-51-100-13", "ap1", "dc1-2"])  # fmt: skip
    load = load_inventory([str(path)])
    assert load.problems == ()
    t = {target.name: target for target in load.targets}
    assert {target.customer for target in load.targets} == {"Bäckerei Sonnenschein & Co"}
    assert (t["dc1"].connection, t["dc1"].user, t["dc1"].port) == (
        Connection.WINRM, "ACME\\audit", 5985)  # fmt: skip
    assert t["dc1"].winrm is not None and t["dc1"].winrm.auth == ("ntlm",)
    assert (t["sw-core"].connection, t["sw-core"].user, t["sw-core"].role) == (
        Connection.NETWORK_CLI, "netaudit", Role.NETWORK)  # fmt: skip
    assert t["sw-core"].device is not None and t["sw-core"].device.platform == "ios"
    assert (t["srv1.acme.example"].user, t["srv1.acme.example"].key_file) == (
        "root", "/srv/keys/survey key")  # fmt: skip
    assert t["ap1"].role is Role.NETWORK and t["ap1"].connection is Connection.SSH
    assert all(target.password is None for target in load.targets)  # secrets are not written


def test_the_draft_names_the_vault_variables_and_lists_web_devices(tmp_path: Path) -> None:
    text = draft(tmp_path).read_text(encoding="utf-8")
    assert text.startswith("# Draft for the test\n# (two lines)\n")
    for placeholder in ("vault_baeckerei_sonnenschein_co_password",
                        "vault_baeckerei_sonnenschein_co_windows_password",
                        "vault_baeckerei_sonnenschein_co_network_password",
                        "vault_baeckerei_sonnenschein_co_enable_secret"):  # fmt: skip
        assert f'# ansible_password: "{{{{ {placeholder} }}}}"' in text or placeholder in text
    assert "# 198.51.100.15 (printer): only HTTPS answers" in text
    assert "# 198.51.100.17 (host-198-51-100-17): port 22 answers, but not as an SSH server" in text
    doc = yaml.safe_load(text)
    group = doc["all"]["children"]["baeckerei_sonnenschein_co"]
    assert set(group["children"]) == {"baeckerei_sonnenschein_co_servers",
                                      "baeckerei_sonnenschein_co_network"}  # fmt: skip


def test_an_empty_survey_still_writes_a_loadable_draft(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yml"
    path.write_text(draft_inventory("ACME", [], Logins(), header="nothing"), encoding="utf-8")
    assert load_inventory([str(path)]).targets == ()
    assert "# no device answered on a management port" in path.read_text(encoding="utf-8")
