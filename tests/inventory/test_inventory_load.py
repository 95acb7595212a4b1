"""Ansible inventory features, each from real files, resolved to Targets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.inventory import InventoryLoad, load_inventory
from auditor.model import Connection, Role, Secret, Target

Write = Callable[[str, str], Path]


def by_name(load: InventoryLoad) -> dict[str, Target]:
    return {t.name: t for t in load.targets}


def test_ini_groups_children_ranges_and_inline_vars(write: Write) -> None:
    hosts = write(
        "acme.ini",
        """
        [web]
        web[01:03] ansible_user=deploy

        [db]
        db1 ansible_host=198.51.100.9 ansible_port=2222

        [acme:children]
        web
        db
        """,
    )
    load = load_inventory([str(hosts)])
    assert load.problems == ()
    assert [t.name for t in load.targets] == ["db1", "web01", "web02", "web03"]
    db1 = by_name(load)["db1"]
    assert (db1.address, db1.port, db1.customer) == ("198.51.100.9", 2222, "acme")
    assert db1.groups == ("db", "acme")
    assert db1.source == str(hosts)
    web02 = by_name(load)["web02"]
    assert (web02.address, web02.user, web02.port) == ("web02", "deploy", None)
    assert (web02.role, web02.connection, web02.unattended) == (Role.SERVER, Connection.SSH, False)


def test_yaml_inventory_with_children_and_group_vars(write: Write) -> None:
    hosts = write(
        "inv.yml",
        """
        all:
          children:
            globex:
              vars:
                ansible_user: admin
              children:
                linux:
                  hosts:
                    app[1:2]:
                      ansible_port: 2201
                    gw:
                      ansible_host: 203.0.113.1
                      auditor_role: network
        """,
    )
    load = load_inventory([str(hosts)])
    assert load.problems == ()
    targets = by_name(load)
    assert sorted(targets) == ["app1", "app2", "gw"]
    assert (targets["app2"].port, targets["app2"].user) == (2201, "admin")
    assert (targets["gw"].address, targets["gw"].role) == ("203.0.113.1", Role.NETWORK)
    assert {t.customer for t in load.targets} == {"globex"}


def test_several_sources_merge_like_ansible(write: Write) -> None:
    ini = write("a/hosts", "[acme]\nsrv1 ansible_host=198.51.100.5\n")
    yml = write("b/more.yml", "all:\n  hosts:\n    srv1:\n      ansible_user: ops\n    srv2:\n")
    load = load_inventory([str(ini), str(yml)])
    assert load.problems == ()
    srv1 = by_name(load)["srv1"]
    assert (srv1.address, srv1.user, srv1.customer) == ("198.51.100.5", "ops", "acme")
    # srv2 is only in ungrouped: its customer is the stem of the file that defined it
    assert by_name(load)["srv2"].customer == "more"


def test_host_vars_and_group_vars_folders_and_precedence(write: Write) -> None:
    hosts = write("inv/hosts", "[web]\nw1\nw2\n[acme:children]\nweb\n")
    write("inv/group_vars/all.yml", "ansible_user: from_all\nansible_port: 22\n")
    write("inv/group_vars/acme.yml", "ansible_user: from_parent\nansible_port: 2200\n")
    write("inv/group_vars/web/main.yml", "ansible_port: 2201\n")
    write("inv/host_vars/w2.yaml", "ansible_port: 2202\nansible_host: 198.51.100.22\n")
    load = load_inventory([str(hosts)])
    assert load.problems == ()
    w1, w2 = by_name(load)["w1"], by_name(load)["w2"]
    assert (w1.user, w1.port, w1.address) == ("from_parent", 2201, "w1")
    assert (w2.user, w2.port, w2.address) == ("from_parent", 2202, "198.51.100.22")


def test_directory_source_reads_every_file_and_its_vars(write: Write, tmp_path: Path) -> None:
    write("inv/10-acme.ini", "[acme]\na1\n")
    write("inv/20-globex.yml", "globex:\n  hosts:\n    g1:\n")
    write("inv/group_vars/globex.yml", "ansible_host: 203.0.113.7\n")
    write("inv/README.md", "not an inventory: ignored like Ansible does\n")
    load = load_inventory([str(tmp_path / "inv")])
    assert load.problems == ()
    assert [(t.customer, t.name, t.address) for t in load.targets] == [
        ("acme", "a1", "a1"),
        ("globex", "g1", "203.0.113.7"),
    ]


def test_jinja_templating_of_host_vars(write: Write, tmp_path: Path) -> None:
    hosts = write(
        "inv/hosts",
        """
        [web]
        web1 n=5
        web2 n=7
        """,
    )
    write(
        "inv/group_vars/web.yml",
        """
        ansible_host: "198.51.100.{{ n }}"
        ansible_ssh_private_key_file: "{{ inventory_dir }}/keys/{{ inventory_hostname }}"
        ansible_port: "{{ 2200 + n | int }}"
        """,
    )
    targets = by_name(load_inventory([str(hosts)]))
    assert targets["web1"].address == "198.51.100.5"
    assert targets["web2"].address == "198.51.100.7"
    assert targets["web2"].port == 2207
    assert targets["web1"].key_file == f"{tmp_path}/inv/keys/web1"


def test_vault_single_value_and_vault_file(write: Write, vault: Any) -> None:
    hosts = write("inv/hosts", "[acme]\ndb1\nweb1\n")
    write("inv/host_vars/db1.yml", vault.value("ansible_become_password", "s3cr3t-become") + "\n")
    write("inv/group_vars/acme/vault.yml", vault.encrypt("ansible_password: s3cr3t-login\n"))
    load = load_inventory([str(hosts)], vault_password_file=str(vault.password_file))
    assert load.problems == ()
    db1, web1 = by_name(load)["db1"], by_name(load)["web1"]
    assert db1.become_password == Secret("s3cr3t-become")
    assert db1.password == web1.password == Secret("s3cr3t-login")
    assert isinstance(db1.password, Secret)
    assert web1.become_password is None


def test_vault_file_made_by_the_ansible_vault_cli(write: Write, vault: Any, tmp_path: Path) -> None:
    import subprocess
    import sys

    plain = write("plain.yml", "ansible_password: from-cli\n")
    target = tmp_path / "inv/host_vars/h1.yml"
    target.parent.mkdir(parents=True)
    cli = Path(sys.executable).with_name("ansible-vault")
    subprocess.run(
        [cli, "encrypt", "--vault-password-file", vault.password_file, "--output", target, plain],
        check=True,
        capture_output=True,
        timeout=60,
    )
    hosts = write("inv/hosts", "h1\n")
    load = load_inventory([str(hosts)], vault_password_file=str(vault.password_file))
    assert load.problems == ()
    assert load.targets[0].password == Secret("from-cli")


def test_limit_uses_ansible_host_patterns(write: Write) -> None:
    hosts = write(
        "hosts",
        """
        [web]
        web[01:04]
        [db]
        db1
        [prod:children]
        web
        db
        [staging]
        web04
        """,
    )

    def names(limit: str) -> list[str]:
        return [t.name for t in load_inventory([str(hosts)], limit=limit).targets]

    assert names("web*:!web03") == ["web01", "web02", "web04"]
    assert names("db") == ["db1"]
    assert names("prod:&staging") == ["web04"]
    assert names("db1,web01") == ["db1", "web01"]


def test_ssh_arguments_in_ansibles_order(write: Write) -> None:
    """What Ansible's ssh plugin passes to OpenSSH, in its order (the first value wins there)."""
    hosts = write(
        "hosts",
        """
        a ansible_port=2222 ansible_user=ops ansible_ssh_private_key_file=/k/id
          ansible_ssh_common_args='-o KexAlgorithms=+diffie-hellman-group14-sha1 -o Port=22'
        b ansible_ssh_args='-o ControlMaster=no' ansible_ssh_extra_args='-J bastion'
          ansible_host_key_checking=false ansible_timeout=7
        c ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p -q -p 2200 ops@203.0.113.3"'
        """.replace("\n          ", " "),
    )
    load = load_inventory([str(hosts)])
    assert load.problems == ()
    args = {t.name: t.ssh_args for t in load.targets}
    default = ("-C", "-o", "ControlMaster=auto", "-o", "ControlPersist=60s")
    assert args["a"] == (
        *default, "-o", "Port=2222", "-o", "IdentityFile=/k/id", "-o", "User=ops",
        "-o", "KexAlgorithms=+diffie-hellman-group14-sha1", "-o", "Port=22",
    )  # fmt: skip
    assert args["b"] == (
        "-o", "ControlMaster=no", "-o", "StrictHostKeyChecking=no", "-o", "ConnectTimeout=7",
        "-J", "bastion",
    )  # fmt: skip
    assert args["c"][-2:] == ("-o", "ProxyCommand=ssh -W %h:%p -q -p 2200 ops@203.0.113.3")
    origins = dict(next(t for t in load.targets if t.name == "a").origins)
    assert origins["ansible_ssh_common_args"].endswith("hosts:1")  # line of the host entry


def test_connections_and_their_aliases(write: Write) -> None:
    hosts = write(
        "hosts",
        """
        s1 ansible_connection=smart ansible_host=198.51.100.1 ansible_ssh_host=198.51.100.2
        s2 ansible_connection=ansible.builtin.ssh ansible_password=a ansible_ssh_pass=b
        w1 ansible_connection=winrm ansible_user=Administrator ansible_winrm_port=5985
        w2 ansible_connection=psrp ansible_psrp_user=ps ansible_psrp_host=203.0.113.9
        n1 ansible_connection=ansible.netcommon.network_cli auditor_role=network ansible_network_os=cisco.ios.ios
        l1 ansible_connection=local
        """,
    )
    load = load_inventory([str(hosts)])
    assert load.problems == ()
    t = by_name(load)
    assert (t["s1"].connection, t["s1"].address) == (Connection.SSH, "198.51.100.2")
    assert t["s2"].password == Secret("b")  # ansible_ssh_pass outranks ansible_password
    assert (t["w1"].connection, t["w1"].user, t["w1"].port) == (
        Connection.WINRM,
        "Administrator",
        5985,
    )
    assert (t["w2"].connection, t["w2"].user, t["w2"].address) == (
        Connection.WINRM,
        "ps",
        "203.0.113.9",
    )
    assert (t["n1"].connection, t["n1"].role) == (Connection.NETWORK_CLI, Role.NETWORK)
    assert t["l1"].connection == Connection.LOCAL


def test_customer_role_and_unattended(write: Write) -> None:
    hosts = write(
        "hosts",
        """
        loose1
        [acme]
        a1 auditor_customer="ACME GmbH" auditor_role=Workstation auditor_unattended=yes
        a2 auditor_unattended=off
        a3 auditor_unattended=True
        [linux:children]
        acme
        """,
    )
    load = load_inventory([str(hosts)])
    assert load.problems == ()
    t = by_name(load)
    assert (t["a1"].customer, t["a1"].role, t["a1"].unattended) == (
        "ACME GmbH",
        Role.WORKSTATION,
        True,
    )
    # acme is a child of linux, so linux is the group directly below all
    assert (t["a2"].customer, t["a2"].unattended) == ("linux", False)
    assert t["a3"].unattended is True
    assert t["loose1"].customer == "hosts"  # ungrouped: the inventory file's stem
    # sorted by customer ("ACME GmbH" < "hosts" < "linux"), then name
    assert [x.name for x in load.targets] == ["a1", "loose1", "a2", "a3"]


def test_host_list_source(write: Write) -> None:
    load = load_inventory(["198.51.100.7,198.51.100.8,"])
    assert load.problems == ()
    assert [(t.name, t.customer) for t in load.targets] == [
        ("198.51.100.7", "ungrouped"),
        ("198.51.100.8", "ungrouped"),
    ]


def test_unattended_truthiness_matches_ansible() -> None:
    from ansible.module_utils.parsing.convert_bool import boolean

    from auditor.inventory.targets import HostVar, ResolvedHost, to_target

    for raw in ("yes", "No", "on", "OFF", "1", "0", "true", "f", "y", "T", 1, 0, True, False):
        host = ResolvedHost("h", "/x/hosts", vars={"auditor_unattended": HostVar(raw)})
        target, problems = to_target(host)
        assert problems == ()
        assert target.unattended is boolean(raw), raw
