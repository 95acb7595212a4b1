"""``auditor inventory --host NAME``: effective SSH settings, each with where it came from."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import auditor


def write(tmp_path: Path) -> tuple[Path, Path]:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        "[acme]\n"
        "fw1 ansible_host=198.51.100.5 ansible_user=admin "
        "ansible_ssh_common_args='-o KexAlgorithms=+diffie-hellman-group14-sha1'\n"
        "srv1 ansible_host=198.51.100.6\n"
    )
    config = tmp_path / "ssh_config"
    config.write_text(f"Host 198.51.100.5\n    Port 2200\n    IdentityFile {tmp_path}/fw_key\n")
    return inventory, config


def test_each_setting_names_its_source(tmp_path: Path) -> None:
    inventory, config = write(tmp_path)
    done = auditor("inventory", "-i", str(inventory), "--host", "fw1", "--ssh-config",
                   str(config), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (shown,) = json.loads(done.stdout)
    settings = {s["keyword"]: (s["value"], s["origin"]) for s in shown["settings"]}
    assert settings["hostname"] == ("198.51.100.5", f"inventory ansible_host ({inventory}:2)")
    assert settings["port"] == ("2200", f"ssh_config ({config})")
    assert settings["user"] == ("admin", f"inventory ansible_user ({inventory}:2)")
    assert settings["identityfile"][1] == f"ssh_config ({config})"
    kex, origin = settings["kexalgorithms"]
    assert kex.endswith("diffie-hellman-group14-sha1")
    assert origin == f"inventory ansible_ssh_common_args ({inventory}:2)"
    assert settings["ciphers"][1] == "OpenSSH default"
    assert "-o KexAlgorithms=+diffie-hellman-group14-sha1" in " ".join(shown["ssh_args"])


def test_text_view_and_errors(tmp_path: Path) -> None:
    inventory, config = write(tmp_path)
    done = auditor("inventory", "-i", str(inventory), "--host", "srv1", "--ssh-config", str(config))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("srv1  (acme · server · ssh)")
    assert "← OpenSSH default" in done.stdout and "port" in done.stdout
    missing = auditor("inventory", "-i", str(inventory), "--host", "nope")
    assert missing.returncode == 4 and missing.stderr.strip().count("\n") == 0
    assert "no host nope" in missing.stderr
    broken = tmp_path / "broken_config"
    broken.write_text("Host *\n    NoSuchOption yes\n")
    bad = auditor("inventory", "-i", str(inventory), "--host", "srv1", "--ssh-config", str(broken))
    assert bad.returncode == 2 and "OpenSSH refuses the settings" in bad.stderr
    assert bad.stderr.strip().count("\n") == 0


def test_a_windows_host_shows_its_winrm_settings(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        "[acme]\n"
        "dc1 ansible_host=198.51.100.20 ansible_connection=winrm ansible_winrm_transport=ntlm "
        "ansible_winrm_ca_trust_path=/etc/msp/ca.pem\n"
    )
    done = auditor("inventory", "-i", str(inventory), "--host", "dc1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("dc1  (acme · server · winrm)")
    assert "winrm plugin" in done.stdout and "ssh args" not in done.stdout
    shown = json.loads(auditor("inventory", "-i", str(inventory), "--host", "dc1", "--json").stdout)
    settings = {s["keyword"]: (s["value"], s["origin"]) for s in shown[0]["settings"]}
    assert settings["endpoint"][0] == "https://198.51.100.20:5986/wsman"
    assert settings["auth"] == ("ntlm", f"inventory ansible_winrm_transport ({inventory}:2)")
    assert settings["cert_validation"] == ("validate", "winrm plugin default")


def test_a_network_device_shows_its_platform_and_enable(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(
        "[acme]\n"
        "sw1 ansible_host=198.51.100.7 ansible_connection=network_cli "
        "ansible_network_os=cisco.ios.ios ansible_become=yes ansible_become_method=enable\n"
    )
    done = auditor("inventory", "-i", str(inventory), "--host", "sw1", "--json")
    assert done.returncode == 0, done.stderr
    (shown,) = json.loads(done.stdout)
    settings = {s["keyword"]: (s["value"], s["origin"]) for s in shown["settings"]}
    assert settings["platform"] == (
        "Cisco IOS / IOS XE (cisco.ios.ios)",
        f"inventory ansible_network_os ({inventory}:2)",
    )
    value, origin = settings["enable"]
    assert value.startswith("yes, but no ansible_become_password")  # said before any login
    assert origin == f"inventory ansible_become ({inventory}:2)"
    assert settings["hostname"][0] == "198.51.100.7"  # then the SSH settings as for any host
