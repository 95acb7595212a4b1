"""network_cli hosts: the platform, enable, and the role, read as Ansible reads them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditor.inventory import load_inventory
from auditor.model import Connection, DeviceOptions, Role

Write = Callable[[str, str], Path]


def test_platform_become_and_default_role(write: Write) -> None:
    hosts = write(
        "hosts",
        """
        [acme]
        sw1 ansible_connection=network_cli ansible_network_os=cisco.ios.ios ansible_become=yes ansible_become_method=enable ansible_become_password=s3cret
        fw1 ansible_connection=ansible.netcommon.network_cli ansible_network_os=FortiOS
        rt1 ansible_connection=network_cli ansible_network_os=community.routeros.routeros ansible_become=no
        """,
    )
    load = load_inventory([str(hosts)])
    assert load.problems == ()
    t = {target.name: target for target in load.targets}
    assert t["sw1"].device == DeviceOptions("ios", "cisco.ios.ios", become=True)
    assert t["sw1"].become_password is not None and t["sw1"].become_password.reveal() == "s3cret"
    assert t["fw1"].device == DeviceOptions("fortios", "FortiOS", become=False)
    assert t["rt1"].device == DeviceOptions("routeros", "community.routeros.routeros")
    assert {target.role for target in load.targets} == {Role.NETWORK}
    assert {target.connection for target in load.targets} == {Connection.NETWORK_CLI}


def test_each_device_problem_is_one_line_naming_the_variable(write: Write) -> None:
    hosts = write(
        "hosts",
        """
        [acme]
        good ansible_connection=network_cli ansible_network_os=junos
        noos ansible_connection=network_cli
        odd ansible_connection=network_cli ansible_network_os=vyos.vyos.vyos
        sudo ansible_connection=network_cli ansible_network_os=eos ansible_become=yes ansible_become_method=sudo
        srv ansible_connection=network_cli ansible_network_os=nxos auditor_role=server
        """,
    )
    load = load_inventory([str(hosts)])
    by_host = {p.host: p.one_line() for p in load.problems}
    assert "good" not in by_host
    assert "noos" in by_host and "needs ansible_network_os" in by_host["noos"]
    assert "cisco.ios.ios" in by_host["noos"]  # says what is supported
    assert "'vyos.vyos.vyos' is not supported" in by_host["odd"]
    assert "ansible_become_method 'sudo'" in by_host["sudo"]
    assert "auditor_role 'server' does not fit" in by_host["srv"]
    assert all("\n" not in line and str(hosts) in line for line in by_host.values())
    # every host is still listed: a broken entry is reported, never lost
    assert sorted(t.name for t in load.targets) == ["good", "noos", "odd", "srv", "sudo"]
