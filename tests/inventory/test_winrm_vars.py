"""Windows hosts' WinRM settings, read as Ansible's winrm and psrp plugins read them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.inventory import load_inventory
from auditor.inventory.winrm_vars import explain, psrp_options, winrm_options
from auditor.model import Connection, WinrmOptions

Write = Callable[[str, str], Path]


def winrm(values: dict[str, Any], port: int | None = None, user: str | None = "audit") -> Any:
    options, problems = winrm_options(values, port, user)
    return options, [p.message for p in problems]


@pytest.mark.parametrize(
    ("values", "port", "user", "endpoint", "auth"),
    [
        ({}, None, "audit", "https://w1:5986/wsman", ("ssl",)),  # the plugin's defaults
        ({}, 5985, "audit", "http://w1:5985/wsman", ("plaintext",)),  # 5985 means http
        ({}, 5985, "audit@CORP.EXAMPLE", "http://w1:5985/wsman", ("kerberos",)),  # a UPN
        ({"ansible_winrm_scheme": "http"}, 8080, "audit", "http://w1:8080/wsman", ("plaintext",)),
        ({"ansible_winrm_transport": "ntlm, basic"}, 5985, "a", "http://w1:5985/wsman",
         ("ntlm", "basic")),
        ({"ansible_winrm_transport": ["credssp"], "ansible_winrm_path": "/custom"}, None, "a",
         "https://w1:5986/custom", ("credssp",)),
    ],
)  # fmt: skip
def test_endpoint_and_transports_as_the_winrm_plugin_derives_them(
    values: dict[str, Any], port: int | None, user: str, endpoint: str, auth: tuple[str, ...]
) -> None:
    options, problems = winrm(values, port, user)
    assert problems == []
    assert (options.endpoint("w1"), options.auth) == (endpoint, auth)


def test_pywinrm_arguments_pass_through() -> None:
    options, problems = winrm({
        "ansible_winrm_server_cert_validation": "ignore",
        "ansible_winrm_ca_trust_path": "/etc/msp/ca.pem",
        "ansible_winrm_message_encryption": "always",
        "ansible_winrm_operation_timeout_sec": "40",
        "ansible_winrm_read_timeout_sec": 50,
        "ansible_winrm_send_cbt": "false",
        "ansible_winrm_proxy": "http://proxy:3128",
    })  # fmt: skip
    assert problems == []
    assert (options.cert_validation, options.ca_trust_path, options.message_encryption) == (
        "ignore", "/etc/msp/ca.pem", "always")  # fmt: skip
    assert (options.operation_timeout_s, options.read_timeout_s) == (40, 50)
    assert (options.send_cbt, options.proxy, options.plugin) == (
        False,
        "http://proxy:3128",
        "winrm",
    )


def test_connection_timeout_sets_both_timeouts_like_ansible() -> None:
    options, _ = winrm(
        {"ansible_winrm_connection_timeout": 60, "ansible_winrm_read_timeout_sec": 5}
    )
    assert (options.operation_timeout_s, options.read_timeout_s) == (60, 70)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ansible_winrm_scheme": "ftp"}, "ansible_winrm_scheme 'ftp' is not one of http, https"),
        ({"ansible_winrm_transport": "magic"}, "ansible_winrm_transport 'magic' is not one of"),
        ({"ansible_winrm_server_cert_validation": "maybe"},
         "ansible_winrm_server_cert_validation 'maybe' is not one of validate, ignore"),
        ({"ansible_winrm_message_encryption": "sometimes"},
         "ansible_winrm_message_encryption 'sometimes' is not one of auto, always, never"),
        ({"ansible_winrm_operation_timeout_sec": "soon"},
         "ansible_winrm_operation_timeout_sec 'soon' is not a whole number of seconds"),
        ({"ansible_winrm_operation_timeout_sec": 30},
         "the read timeout (30s) must exceed the operation timeout (30s)"),
        ({"ansible_winrm_transport": "certificate"},
         "certificate authentication needs both a cert_pem and a cert_key_pem"),
    ],
)  # fmt: skip
def test_values_the_plugin_would_refuse_are_problems(values: dict[str, Any], message: str) -> None:
    _, problems = winrm(values)
    assert any(p.startswith(message) for p in problems), problems


def test_psrp_settings_map_onto_the_same_listener() -> None:
    options, problems = psrp_options({"ansible_psrp_cert_validation": "ignore",
                                      "ansible_psrp_ca_cert": "/ca.pem",
                                      "ansible_psrp_read_timeout": 40}, 5985)  # fmt: skip
    assert problems == ()
    assert (options.endpoint("w1"), options.auth, options.plugin) == (
        "http://w1:5985/wsman", ("ntlm",), "psrp")  # negotiate, done as NTLM  # fmt: skip
    assert (options.cert_validation, options.ca_trust_path, options.read_timeout_s) == (
        "ignore", "/ca.pem", 40)  # fmt: skip
    https, _ = psrp_options({"ansible_psrp_protocol": "https"}, None)
    assert https.endpoint("w1") == "https://w1:5986/wsman"
    _, jea = psrp_options({"ansible_psrp_configuration_name": "JEA-Audit"}, None)
    assert "cannot use a custom session configuration" in jea[0].message


def test_an_ipv6_endpoint_is_bracketed() -> None:
    assert WinrmOptions(scheme="http", port=5985).endpoint("2001:db8::7") == (
        "http://[2001:db8::7]:5985/wsman"
    )


def test_explain_names_the_variable_and_its_line_or_the_default() -> None:
    options, _ = winrm({"ansible_winrm_transport": "ntlm"}, 5985)
    rows = {row[0]: row for row in explain(options, "w1", {"ansible_winrm_transport": "hosts:4"})}
    assert rows["auth"] == ("auth", "ntlm", "inventory ansible_winrm_transport (hosts:4)")
    assert rows["cert_validation"][2] == "winrm plugin default"


def test_a_windows_inventory_through_ansible_core(write: Write) -> None:
    """Variables from group vars and host lines, as ansible-core resolves them."""
    hosts = write("inv/hosts", """
        [windows]
        dc1 ansible_host=198.51.100.20 ansible_winrm_transport=ntlm
        fs1 ansible_host=198.51.100.21 ansible_winrm_server_cert_validation=sometimes
        ps1 ansible_host=198.51.100.22 ansible_connection=psrp ansible_psrp_protocol=http
        [windows:vars]
        ansible_connection=winrm
        ansible_port=5985
        ansible_user=audit
        ansible_password=secret
        """)  # fmt: skip
    load = load_inventory([str(hosts)])
    by_name = {t.name: t for t in load.targets}
    dc1 = by_name["dc1"]
    assert dc1.connection is Connection.WINRM and dc1.winrm is not None
    assert (dc1.winrm.endpoint(dc1.address), dc1.winrm.auth) == (
        "http://198.51.100.20:5985/wsman", ("ntlm",))  # fmt: skip
    assert by_name["ps1"].winrm is not None and by_name["ps1"].winrm.plugin == "psrp"
    (problem,) = load.problems
    assert problem.host == "fs1" and problem.line == 3
    assert "ansible_winrm_server_cert_validation 'sometimes'" in problem.one_line()
    assert problem.one_line().startswith(f"{hosts}:3:")
