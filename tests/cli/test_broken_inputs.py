"""Broken inventories and profiles as a user makes them: one line each, naming the file (and
line and host where there is one), never a traceback; fuzzed files never crash the loaders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.errors import ProfileError
from auditor.inventory import load_inventory
from auditor.profile.load import parse_profile
from tests.cli.test_cli import auditor

CASES: dict[str, tuple[str, bytes, str]] = {
    # name: (file name, content, a regex one problem line must match)
    "latin-1 bytes": ("hosts.yml", "all:\n  hosts:\n    büro:\n".encode("latin-1"),
                      r"hosts\.yml"),
    "BOM": ("hosts.ini", b"\xef\xbb\xbf[kunde]\nweb1 ansible_port=22x\n",
            r"hosts\.ini:1: starts with a byte order mark \(BOM\)"),
    "duplicate host, two customers": (
        "hosts.yml",
        b"all:\n  children:\n    a:\n      hosts:\n        web1: {auditor_customer: A}\n"
        b"    b:\n      hosts:\n        web1: {auditor_customer: B}\n",
        r"^$|hosts\.yml"),
    "BOM in YAML (Ansible reads it)": (
        "hosts.yml", b"\xef\xbb\xbfall:\n  hosts:\n    h1:\n      ansible_port: 99999\n",
        r"hosts\.yml:4: host h1: ansible_port 99999 is not a port number"),
    "cycle in children": (
        "hosts.ini", b"[a:children]\nb\n\n[b:children]\na\n\n[a]\nh1\n", r"hosts\.ini"),
    "unknown connection": (
        "hosts.ini", b"[k]\nh1 ansible_connection=telnet\n",
        r"hosts\.ini:2: host h1: ansible_connection 'telnet' is not supported"),
    "bad port": ("hosts.ini", b"[k]\nh1 ansible_port=70000\n",
                 r"hosts\.ini:2: host h1: ansible_port 70000 is not a port number"),
    "undefined template variable": (
        "hosts.ini", b'[k]\nh1 ansible_host="{{ nowhere }}"\n', r"hosts\.ini.* host h1: .*nowhere"),
    "binary garbage": ("hosts.yml", bytes(range(256)) * 4, r"hosts\.yml"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_a_broken_inventory_is_one_line_per_problem(tmp_path: Path, case: str) -> None:
    name, content, expected = CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    done = auditor("inventory", "-i", str(path))
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode in (0, 2, 4), done.stderr
    lines = done.stdout.splitlines() + done.stderr.splitlines()
    problems = [line.strip() for line in lines if str(path) in line]
    if expected != r"^$|hosts\.yml" or problems:
        assert any(re.search(expected, line) for line in problems), lines


def test_a_wrong_vault_password_names_the_file(tmp_path: Path) -> None:
    from auditor.inventory.isolation import isolate_ansible

    isolate_ansible()  # before ansible is imported here: the loaders' settings stay the auditor's
    from ansible.parsing.vault import VaultLib, VaultSecret

    vaulted = tmp_path / "hosts.yml"
    secret = VaultSecret(b"the-right-vault-password")
    vaulted.write_bytes(VaultLib([("default", secret)]).encrypt(b"all:\n  hosts:\n    h1:\n"))
    password = tmp_path / "vault-pass"
    password.write_text("Not-The-R1ght-One\n", encoding="ascii")
    done = auditor("inventory", "-i", str(vaulted), "--vault-password-file", str(password))
    said = done.stdout + done.stderr
    assert "Traceback" not in said and done.returncode in (2, 4)
    assert "Not-The-R1ght-One" not in said and "the-right-vault-password" not in said
    [line] = [line for line in said.splitlines() if str(vaulted) in line]
    assert "decrypt" in line.lower() or "vault" in line.lower(), line


def test_a_broken_profile_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_bytes(b"\xef\xbb\xbfschema_version: 2\nchecks:\n  tcp_80: {kind: tcp, port: x}\n")
    done = auditor("run", "-i", "h1,", "--profile", str(profile), "--no-history")
    assert done.returncode == 4 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"auditor: {profile}:")


FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
_TEXTY = st.one_of(
    st.binary(max_size=300),
    st.text(alphabet=st.sampled_from("[]{}:=,-_ \n\t#ab1'\"!|>&*?\\ü\x00"), max_size=300).map(
        lambda t: t.encode("utf-8")
    ),
)


@FUZZ
@given(content=_TEXTY, suffix=st.sampled_from([".ini", ".yml", ""]))
def test_no_inventory_file_crashes_the_loader(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"hosts{suffix}"
    path.write_bytes(content)
    load = load_inventory([str(path)])  # never raises
    for problem in load.problems:
        assert "\n" not in problem.one_line()


@FUZZ
@given(_TEXTY)
def test_no_profile_text_crashes_the_parser(content: bytes) -> None:
    try:
        parse_profile(content.decode("utf-8", "replace"), "fuzzed.yaml")
    except ProfileError as exc:
        assert str(exc).startswith("fuzzed.yaml") and "\n" not in str(exc)
