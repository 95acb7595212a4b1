"""Loading profiles: the bundled contract v5, overrides, and one-line file:line errors."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from auditor.errors import ProfileError
from auditor.model import CHECK_IDS
from auditor.profile import Applicability, Reflector, Timeouts, load_profile
from auditor.profile.load import BUNDLED

BUNDLED_TEXT = (Path(__file__).parents[2] / "auditor" / "profile" / BUNDLED).read_text("utf-8")


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def edited(old: str, new: str) -> str:
    assert BUNDLED_TEXT.count(old) == 1, old
    return BUNDLED_TEXT.replace(old, new)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_bundled_profile_is_contract_v5() -> None:
    profile = load_profile()
    assert profile.source == "bundled"
    assert profile.version == "5"
    assert profile.name.startswith("Servicevertrag")
    assert set(profile.checks) == set(CHECK_IDS)
    assert profile.reflector is None
    assert profile.expected_networks == ()
    assert profile.timeouts == Timeouts(connect_s=5.0, login_s=10.0, host_s=35.0, probe_s=4.0)
    assert profile.titles["tcp_5938"] == {"de": "TeamViewer 5938/TCP", "en": "TeamViewer 5938/TCP"}
    assert all(t["de"] and t["en"] for t in profile.titles.values())
    tcp = profile.checks["tcp_5938"]
    assert tcp.targets == (  # type: ignore[union-attr]
        "router1.teamviewer.com",
        "router2.teamviewer.com",
        "master1.teamviewer.com",
    )
    assert "get.teamviewer.com" in profile.checks["dns_udp"].names  # type: ignore[union-attr]
    tv = profile.checks["teamviewer"].applies
    assert (tv.server, tv.network, tv.workstation) == (
        Applicability.REQUIRED,
        Applicability.NOT_APPLICABLE,
        Applicability.IF_UNATTENDED,
    )


def test_file_profile_records_its_source(tmp_path: Path) -> None:
    path = write(tmp_path, BUNDLED_TEXT)
    assert load_profile(path).source == path


def test_overrides_replace_reflector_and_add_networks(tmp_path: Path) -> None:
    path = write(tmp_path, edited("expected_networks: []", "expected_networks: [10.0.0.0/8]"))
    profile = load_profile(
        path, reflector="203.0.113.20", expected_networks=["198.51.100.0/24", "10.0.0.0/8"]
    )
    assert profile.reflector == Reflector("203.0.113.20", 5938)
    assert profile.expected_networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("198.51.100.0/24"),
    )
    assert load_profile(reflector="[2001:db8::1]:443").reflector == Reflector("2001:db8::1", 443)
    assert str(load_profile(reflector="r.example.net:80").reflector) == "r.example.net:80"


def test_reflector_in_file(tmp_path: Path) -> None:
    path = write(tmp_path, edited("reflector: null", "reflector: witness.example.net:15938"))
    assert load_profile(path).reflector == Reflector("witness.example.net", 15938)


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("    port: 80\n", "    port: 70000\n", "port: 70000",
         "checks.tcp_80.port: 70000 is not a port (1-65535)"),
        ("    port: 80\n", "    port: '80'\n", "port: '80'",
         "checks.tcp_80.port: '80' is not a port (1-65535)"),
        ("expected_networks: []", "expected_networks: [10.0.0.1/8]", "expected_networks",
         "expected_networks[0]: '10.0.0.1/8' is not a CIDR network"),
        ("reflector: null", "reflector: host:99999", "reflector: host",
         "reflector: 99999 is not a port (1-65535)"),
        ("  probe_s: 4 ", "  probe_s: fast ", "probe_s: fast",
         "timeouts.probe_s: 'fast' is not a duration in seconds"),
        ("  login_s: 10 ", "  login_s: 10\n  logn_s: 3 ", "logn_s",
         "timeouts.logn_s: unknown key (known: connect_s, login_s, host_s, probe_s)"),
        ("schema_version: 1", "schema_version: 2", "schema_version",
         "schema_version: unsupported schema_version 2 (this auditor reads 1)"),
        ("schema_version: 1", "schema_version: '1'", "schema_version",
         "schema_version: '1' is not an integer"),
        ("network: not_applicable,", "network: maybe,", "network: maybe",
         "checks.teamviewer.applies.network: 'maybe' is not one of required, not_applicable"),
        ("  tcp_80:\n", "  tcp_8080:\n", "tcp_8080:",
         "checks.tcp_8080: unknown check id"),
        ("      - get.teamviewer.com\n", "      - get teamviewer\n", "- get teamviewer",
         "checks.dns_udp.names[3]: 'get teamviewer' is not a host name or IP address"),
        ("  host_s: 35 ", "  host_s: 12 ", "connect_s:",
         "timeouts: host_s 12 must be at least connect_s + login_s + probe_s (19)"),
        ("    resolv_conf: /etc/resolv.conf\n    applies: *egress\n    reasons: *egress_reasons\n"
         "  dns_system", "    resolv_conf: /run/resolv.conf\n    applies: *egress\n"
         "    reasons: *egress_reasons\n  dns_system", "resolv_conf: /run",
         "checks.dns_tcp.resolv_conf: must equal dns_udp's"),
    ],
)  # fmt: skip
def test_bad_values_name_file_line_and_path(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    text = edited(old, new)
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    error = str(info.value)
    assert "\n" not in error
    assert error.startswith(f"{path}:{line_of(text, needle)}: {message}"), error


def test_missing_schema_version_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, edited("schema_version: 1\n", ""))
    with pytest.raises(ProfileError, match=r"profile.yaml:\d+: schema_version: required key"):
        load_profile(path)


def test_missing_check_id_is_an_error(tmp_path: Path) -> None:
    start = BUNDLED_TEXT.index("  admin:\n")
    end = BUNDLED_TEXT.index("  teamviewer:\n")
    path = write(tmp_path, BUNDLED_TEXT[:start] + BUNDLED_TEXT[end:])
    with pytest.raises(ProfileError, match=r"checks: missing check ids admin$"):
        load_profile(path)


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    text = edited("  probe_s: 4 ", "  probe_s: [4 ")
    path = write(tmp_path, text)
    with pytest.raises(ProfileError, match=r"profile.yaml:\d+: YAML syntax: ") as info:
        load_profile(path)
    assert "\n" not in str(info.value)


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    text = edited("reflector: null", "reflector: null\nreflector: a.example")
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert (
        str(info.value)
        == f"{path}:{line_of(text, 'reflector: a.example')}: reflector: duplicate key"
    )


def test_not_a_mapping_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"profile.yaml:1: profile: expected a mapping"):
        load_profile(write(tmp_path, "- just a list\n"))
    with pytest.raises(ProfileError, match=r"nope.yaml: cannot read profile"):
        load_profile(str(tmp_path / "nope.yaml"))


def test_source_is_not_settable_from_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, BUNDLED_TEXT + "source: elsewhere\n")
    with pytest.raises(ProfileError, match=r"source: unknown key"):
        load_profile(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reflector": "r.example:0"}, "--reflector: 0 is not a port (1-65535)"),
        ({"reflector": "bad host"}, "--reflector: 'bad host' is not a host name or IP address"),
        ({"expected_networks": ["10.0.0.0/33"]}, "--expected-network: '10.0.0.0/33' is not a CIDR"),
    ],
)
def test_bad_overrides(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(None, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)
