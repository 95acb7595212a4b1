"""Bad inventory input: one line naming file, line and host; other hosts never lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.inventory import InventoryLoad, load_inventory

Write = Callable[[str, str], Path]

GOOD = "[acme]\ngood1 ansible_host=198.51.100.1\n"


def lines(load: InventoryLoad) -> list[str]:
    text = [p.one_line() for p in load.problems]
    assert all("\n" not in t for t in text)
    return text


def names(load: InventoryLoad) -> list[str]:
    return [t.name for t in load.targets]


def test_missing_source_does_not_stop_the_others(write: Write, tmp_path: Path) -> None:
    good = write("good.ini", GOOD)
    missing = str(tmp_path / "nope.ini")
    load = load_inventory([missing, str(good)])
    assert lines(load) == [f"{missing}: inventory source not found"]
    assert names(load) == ["good1"]


def test_no_source_at_all() -> None:
    assert lines(load_inventory([])) == ["-i: no inventory source given"]


def test_ini_syntax_error_has_file_and_line_and_drops_only_that_file(write: Write) -> None:
    good = write("good.ini", GOOD)
    bad = write("bad.ini", "[web]\nweb1\nweb2 ansible_port\n[db]\ndb1\n")
    load = load_inventory([str(bad), str(good)])
    assert lines(load) == [
        f"{bad}:3: not a valid INI inventory: "
        "Expected key=value host variable assignment, got: ansible_port"
    ]
    assert names(load) == ["good1"]  # no half-parsed web1 from the broken file


def test_ini_bad_section_header_line(write: Write) -> None:
    bad = write("bad.ini", "[web]\nweb1\n\n[web:vars\nx=1\n")
    (problem,) = load_inventory([str(bad)]).problems
    assert (problem.source, problem.line, problem.host) == (str(bad), 4, None)
    assert problem.message.startswith("not a valid INI inventory: ")


def test_yaml_syntax_error_has_file_and_line(write: Write) -> None:
    good = write("good.ini", GOOD)
    bad = write("bad.yml", "all:\n  hosts:\n    a1:\n      x: [1, 2\n    b1:\n")
    load = load_inventory([str(good), str(bad)])
    (problem,) = load.problems
    assert (problem.source, problem.line, problem.host) == (str(bad), 5, None)
    assert problem.one_line().startswith(
        f"{bad}:5: not a valid YAML inventory: YAML parsing failed"
    )
    assert names(load) == ["good1"]


def test_directory_with_one_bad_file_keeps_the_good_files(write: Write, tmp_path: Path) -> None:
    write("inv/a.ini", GOOD)
    bad = write("inv/b.yml", "all: [\n")
    write("inv/group_vars/acme.yml", "ansible_user: ops\n")
    load = load_inventory([str(tmp_path / "inv")])
    assert [p.source for p in load.problems] == [str(bad)]
    assert [(t.name, t.user) for t in load.targets] == [("good1", "ops")]


HOST_VALUE_CASES = [
    (
        "r1 auditor_role=printer",
        "auditor_role 'printer' is not one of server, network, workstation",
    ),
    ('e1 ansible_host=""', "ansible_host is set but empty"),
    ("p1 ansible_port=2x", "ansible_port '2x' is not a port number (1-65535)"),
    ("p2 ansible_port=70000", "ansible_port 70000 is not a port number (1-65535)"),
    (
        "c1 ansible_connection=docker",
        "ansible_connection 'docker' is not supported (ssh, winrm, psrp, network_cli, local)",
    ),
    (
        "u1 auditor_unattended=maybe",
        "auditor_unattended 'maybe' is not a boolean (yes/no, true/false, 1/0)",
    ),
    (
        """j1 ansible_ssh_common_args='-o HostKeyAlias=fw1 -o ControlMaster=auto'""",
        "ansible_ssh_common_args: option '-o HostKeyAlias=fw1' changes how the host is reached "
        "and is not supported by the auditor",
    ),
]


@pytest.mark.parametrize(("line", "message"), HOST_VALUE_CASES)
def test_bad_host_value_is_a_problem_for_that_host_only(
    write: Write, line: str, message: str
) -> None:
    hosts = write("hosts", f"[acme]\ngood1\n{line}\ngood2\n")
    load = load_inventory([str(hosts)])
    host = line.split()[0]
    assert lines(load) == [f"{hosts}:3: host {host}: {message}"]
    (problem,) = load.problems
    assert (problem.host, problem.customer) == (host, "acme")
    # the host is still reported (by the engine, at stage inventory), the others load
    assert names(load) == sorted(["good1", host, "good2"])
    assert load.problems_for(host) == load.problems
    assert load.problems_for("good1") == ()


def test_bad_port_in_host_vars_names_that_file_and_line(write: Write) -> None:
    hosts = write("inv/hosts", "[acme]\nh1\nh2\n")
    hv = write("inv/host_vars/h1.yml", "ansible_user: ops\nansible_port: 99999\n")
    load = load_inventory([str(hosts)])
    assert lines(load) == [f"{hv}:2: host h1: ansible_port 99999 is not a port number (1-65535)"]


def test_unparsable_host_vars_file_affects_only_that_host(write: Write) -> None:
    hosts = write(
        "inv/hosts", "[acme]\nh1 ansible_host=198.51.100.1\nh2 ansible_host=198.51.100.2\n"
    )
    hv = write("inv/host_vars/h1.yml", "ansible_user: ops\nansible_port: [1,\n  y: }\n")
    load = load_inventory([str(hosts)])
    (problem,) = load.problems
    assert (problem.source, problem.line, problem.host, problem.customer) == (
        str(hv),
        3,
        "h1",
        "acme",
    )
    assert problem.message.startswith("unparsable variables file: YAML parsing failed")
    assert [(t.name, t.address) for t in load.targets] == [
        ("h1", "h1"),  # its variables could not be read at all
        ("h2", "198.51.100.2"),
    ]


def test_vault_value_without_password(write: Write, vault: Any) -> None:
    hosts = write("inv/hosts", "[acme]\ndb1 ansible_host=198.51.100.3\nweb1\n")
    hv = write("inv/host_vars/db1.yml", "x: 1\n" + vault.value("ansible_become_password", "pw"))
    load = load_inventory([str(hosts)])
    assert lines(load) == [
        f"{hv}:2: host db1: ansible_become_password is vault-encrypted but "
        "no vault password was given (--vault-password-file)"
    ]
    assert load.problems[0].customer == "acme"
    db1 = load.targets[0]
    assert (db1.name, db1.address, db1.become_password) == ("db1", "198.51.100.3", None)
    assert names(load) == ["db1", "web1"]


def test_vault_file_without_password(write: Write, vault: Any) -> None:
    hosts = write("inv/hosts", "[acme]\nweb1\n[other]\nfree1\n")
    secret = write("inv/group_vars/acme/vault.yml", vault.encrypt("ansible_password: pw\n"))
    load = load_inventory([str(hosts)])
    assert lines(load) == [
        f"{secret}: host web1: variables file is vault-encrypted but "
        "no vault password was given (--vault-password-file)"
    ]
    assert names(load) == ["web1", "free1"]


def test_wrong_vault_password(write: Write, vault: Any, tmp_path: Path) -> None:
    hosts = write("inv/hosts", "[acme]\ndb1\nweb1\nfree1\n")
    hv = write("inv/host_vars/db1.yml", vault.value("ansible_password", "pw"))
    gv = write("inv/host_vars/web1.yml", vault.encrypt("ansible_password: pw\n"))
    wrong = write("wrong.txt", "not the password\n")
    load = load_inventory([str(hosts)], vault_password_file=str(wrong))
    assert lines(load) == [
        f"{hv}:1: host db1: ansible_password is vault-encrypted but "
        "the given vault password does not decrypt it",
        f"{gv}: host web1: variables file is vault-encrypted but "
        "the given vault password does not decrypt it",
    ]
    assert names(load) == ["db1", "free1", "web1"]


def test_missing_vault_password_file(write: Write, tmp_path: Path) -> None:
    hosts = write("hosts", GOOD)
    missing = str(tmp_path / "no-such-pass")
    load = load_inventory([str(hosts)], vault_password_file=missing)
    assert lines(load) == [f"{missing}: vault password file not found"]
    assert names(load) == ["good1"]


def test_undefined_template_variable(write: Write) -> None:
    hosts = write("inv/hosts", "[acme]\nh1\nh2 ansible_host=198.51.100.2\n")
    write("inv/host_vars/h1.yml", 'ansible_host: "10.0.0.{{ nosuchvar }}"\n')
    load = load_inventory([str(hosts)])
    (problem,) = load.problems
    assert (problem.host, problem.line) == ("h1", 1)
    assert problem.message.startswith("ansible_host: ")
    assert "nosuchvar" in problem.message
    assert names(load) == ["h1", "h2"]


def test_limit_that_matches_nothing(write: Write) -> None:
    hosts = write("hosts", GOOD)
    load = load_inventory([str(hosts)], limit="web*")
    assert (load.targets, lines(load)) == ((), ["--limit: 'web*' matches no host"])
    # Ansible's implicit localhost is never audited unless written down
    assert load_inventory([str(hosts)], limit="localhost").targets == ()


def test_extensionless_yaml_file_reports_the_yaml_error(write: Write) -> None:
    hosts = write("hosts", "all:\n  hosts:\n    a1:\n      x: [1,\n")
    (problem,) = load_inventory([str(hosts)]).problems
    assert problem.message.startswith("not a valid YAML inventory: ")
    assert problem.line is not None


def test_a_later_load_never_reuses_an_earlier_vault_password(write: Write, vault: Any) -> None:
    hosts = write("inv/hosts", "db1\n")
    write("inv/host_vars/db1.yml", vault.value("ansible_password", "pw"))
    first = load_inventory([str(hosts)], vault_password_file=str(vault.password_file))
    assert first.problems == ()
    second = load_inventory([str(hosts)])
    assert [p.message for p in second.problems] == [
        "ansible_password is vault-encrypted but no vault password was given "
        "(--vault-password-file)"
    ]
