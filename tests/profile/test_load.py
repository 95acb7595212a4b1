"""Loading profiles: the bundled contract v5, check kinds, schema 1, overrides, file:line errors."""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path

import pytest

from auditor.errors import ProfileError
from auditor.model import CheckInfo
from auditor.profile import Applicability, Reflector, Timeouts, load_profile
from auditor.profile.load import BUNDLED, V1_CHECKS
from auditor.profile.schema import CHECK_KINDS, DnsSpec, TcpSpec, UdpSpec

BUNDLED_TEXT = (Path(__file__).parents[2] / "auditor" / "profile" / BUNDLED).read_text("utf-8")
# The bundled contract v5 as it shipped with schema_version 1 (recorded, never edited).
SCHEMA1 = Path(__file__).with_name("contract-v5-schema1.yaml")
SCHEMA1_TEXT = SCHEMA1.read_text("utf-8")

# The bundled profile's checks in report order (the YAML's order) and their kinds.
V5_KINDS = {
    "teamviewer": "teamviewer",
    "tcp_5938": "tcp",
    "udp_5938": "udp",
    "tcp_80": "tcp",
    "tcp_443": "tcp",
    "tls_443": "tls",
    "dns_udp": "dns",
    "dns_tcp": "dns",
    "dns_system": "dns_system",
    "admin": "admin",
}
TV_TARGETS = ("router1.teamviewer.com", "router2.teamviewer.com", "master1.teamviewer.com")

TCP_8443 = """\
  tcp_8443:
    kind: tcp
    title: {de: "Fernwartung 8443/TCP", en: "Remote maintenance 8443/TCP"}
    targets: [portal.example.net, 203.0.113.80]
    port: 8443
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def edited(old: str, new: str, text: str = BUNDLED_TEXT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    (line,) = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return line


def load_error(tmp_path: Path, text: str) -> tuple[str, str]:
    """(path, the one-line error) of a profile that must not load."""
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    error = str(info.value)
    assert "\n" not in error
    return path, error


def test_bundled_profile_is_contract_v5() -> None:
    profile = load_profile()
    assert profile.source == "bundled"
    assert profile.schema_version == 2
    assert profile.version == "5"
    assert profile.name.startswith("Servicevertrag")
    assert tuple(profile.checks) == tuple(V5_KINDS)  # the YAML order is the report order
    assert profile.reflector is None
    assert profile.expected_networks == ()
    assert profile.timeouts == Timeouts(connect_s=5.0, login_s=10.0, host_s=35.0, probe_s=4.0)
    tcp = profile.checks["tcp_5938"]
    assert isinstance(tcp, TcpSpec)
    assert (tcp.targets, tcp.port) == (TV_TARGETS, 5938)
    udp = profile.checks["udp_5938"]
    assert isinstance(udp, UdpSpec) and udp.port is None  # the reflector's port
    dns_udp, dns_tcp = profile.checks["dns_udp"], profile.checks["dns_tcp"]
    assert isinstance(dns_udp, DnsSpec) and isinstance(dns_tcp, DnsSpec)
    assert (dns_udp.transport, dns_tcp.transport) == ("udp", "tcp")
    assert "get.teamviewer.com" in dns_udp.names
    tv = profile.checks["teamviewer"].applies
    assert (tv.server, tv.network, tv.workstation) == (
        Applicability.REQUIRED,
        Applicability.NOT_APPLICABLE,
        Applicability.IF_UNATTENDED,
    )


def test_check_infos_carry_kind_title_and_label_in_report_order() -> None:
    infos = load_profile().check_infos
    assert all(isinstance(info, CheckInfo) for info in infos)
    assert [(info.id, info.kind) for info in infos] == list(V5_KINDS.items())
    by_id = {info.id: info for info in infos}
    assert by_id["tcp_5938"].title == {"de": "TeamViewer 5938/TCP", "en": "TeamViewer 5938/TCP"}
    assert by_id["tcp_5938"].label == {"de": "5938 TCP", "en": "5938 TCP"}
    assert by_id["admin"].label == {"de": "Admin-Zugang", "en": "Admin access"}
    assert all(set(i.title) == set(i.label) == {"de", "en"} for i in infos)
    assert all(i.title["de"] and i.title["en"] and i.label["de"] and i.label["en"] for i in infos)


def test_extra_check_of_a_known_kind_loads_in_place(tmp_path: Path) -> None:
    """A new requirement is a profile entry: tcp_8443 needs no code."""
    text = edited("  tls_443:\n", TCP_8443 + "  tls_443:\n")
    profile = load_profile(write(tmp_path, text))
    ids = list(profile.checks)
    assert ids == [*list(V5_KINDS)[:5], "tcp_8443", *list(V5_KINDS)[5:]]
    spec = profile.checks["tcp_8443"]
    assert isinstance(spec, TcpSpec)
    assert (spec.targets, spec.port) == (("portal.example.net", "203.0.113.80"), 8443)
    assert spec.applies.server is Applicability.REQUIRED  # the defaults
    (info,) = [i for i in profile.check_infos if i.id == "tcp_8443"]
    title = {"de": "Fernwartung 8443/TCP", "en": "Remote maintenance 8443/TCP"}
    assert info == CheckInfo("tcp_8443", "tcp", title, title)  # label defaults to the title


def test_any_check_ids_and_fewer_checks_are_allowed_in_schema_2(tmp_path: Path) -> None:
    text = (
        "schema_version: 2\n"
        "contract: {name: Minimal, version: '1'}\n"
        "checks:\n"
        "  rights:\n"
        "    kind: admin\n"
        "    title: {de: Rechte, en: Rights}\n"
        "    label: {de: R, en: R}\n"
        "  resolver_tcp:\n"
        "    kind: dns\n"
        "    transport: tcp\n"
        "    title: {de: DNS, en: DNS}\n"
        "    names: [a.example]\n"
    )
    profile = load_profile(write(tmp_path, text))
    assert [(i.id, i.kind, i.label["en"]) for i in profile.check_infos] == [
        ("rights", "admin", "R"),
        ("resolver_tcp", "dns", "DNS"),
    ]
    dns = profile.checks["resolver_tcp"]
    assert isinstance(dns, DnsSpec)
    assert (dns.transport, dns.resolv_conf) == ("tcp", "/etc/resolv.conf")


def test_dns_transport_defaults_to_udp(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, edited("    transport: udp\n", "")))
    spec = profile.checks["dns_udp"]
    assert isinstance(spec, DnsSpec) and spec.transport == "udp"


def test_udp_port_may_be_set(tmp_path: Path) -> None:
    text = edited("    kind: udp\n", "    kind: udp\n    port: 15938\n")
    spec = load_profile(write(tmp_path, text)).checks["udp_5938"]
    assert isinstance(spec, UdpSpec) and spec.port == 15938


def test_schema_1_profile_still_loads_with_the_same_checks() -> None:
    """A profile written before kinds: its fixed ids give the kinds and the DNS transports."""
    old = load_profile(str(SCHEMA1))
    new = load_profile()
    assert old.schema_version == 1
    assert tuple(old.checks) == tuple(V1_CHECKS)  # the file's order
    assert {i.id: i.kind for i in old.check_infos} == V5_KINDS
    assert {i: spec.kind for i, spec in old.checks.items()} == {
        check_id: kind for check_id, (kind, _) in V1_CHECKS.items()
    }
    for check_id, spec in old.checks.items():
        assert type(spec) is CHECK_KINDS[V5_KINDS[check_id]]
        # the same requirement as the bundled schema 2 profile, only without short labels
        # (and teamviewer's older title: it now also names the assignment to the MSP)
        title = spec.title if check_id == "teamviewer" else new.checks[check_id].title
        assert spec == dataclasses.replace(new.checks[check_id], label=None, title=title), check_id
    dns_tcp = old.checks["dns_tcp"]
    assert isinstance(dns_tcp, DnsSpec) and dns_tcp.transport == "tcp"
    (info,) = [i for i in old.check_infos if i.id == "dns_system"]
    assert info.label == info.title == {"de": "Namensauflösung des Systems",
                                        "en": "System name resolution"}  # fmt: skip
    assert (old.timeouts, old.reflector, old.version) == (new.timeouts, None, "5")


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


KNOWN_KINDS = "tcp, udp, tls, dns, dns_system, admin, teamviewer"


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
        ("schema_version: 2", "schema_version: 3", "schema_version",
         "schema_version: unsupported schema_version 3 (this auditor reads 1, 2)"),
        ("schema_version: 2", "schema_version: '2'", "schema_version",
         "schema_version: '2' is not an integer"),
        ("network: not_applicable,", "network: maybe,", "network: maybe",
         "checks.teamviewer.applies.network: 'maybe' is not one of required, not_applicable"),
        ("      - get.teamviewer.com\n", "      - get teamviewer\n", "- get teamviewer",
         "checks.dns_udp.names[3]: 'get teamviewer' is not a host name or IP address"),
        ("  host_s: 35 ", "  host_s: 12 ", "connect_s:",
         "timeouts: host_s 12 must be at least connect_s + login_s + probe_s (19)"),
        # check kinds and their keys
        ("    kind: tls\n", "    kind: quic\n", "kind: quic",
         f"checks.tls_443.kind: unknown kind 'quic' (known: {KNOWN_KINDS})"),
        ("    kind: tls\n", "", 'title: {de: "TLS 443',
         "checks.tls_443.kind: required key missing"),
        ("    kind: tls\n", "    kind: [tls]\n", "kind: [tls]",
         "checks.tls_443.kind: ['tls'] is not a kind"),
        ("    transport: tcp\n", "    transport: quic\n", "transport: quic",
         "checks.dns_tcp.transport: 'quic' is not one of udp, tcp"),
        ("    kind: udp\n", "    kind: udp\n    port: 0\n", "port: 0",
         "checks.udp_5938.port: 0 is not a port (1-65535)"),
        ("    kind: udp\n", "    kind: udp\n    targets: [a.example]\n", "targets: [a.example]",
         "checks.udp_5938.targets: unknown key (known: title, port, label, applies, reasons)"),
        ('    kind: admin\n', '    kind: admin\n    port: 22\n', "port: 22",
         "checks.admin.port: unknown key (known: title, label, applies, reasons)"),
        ('    label: {de: "80 TCP", en: "80 TCP"}\n', '    label: {de: "80 TCP"}\n',
         'label: {de: "80 TCP"}', "checks.tcp_80.label.en: required key missing"),
        # check ids
        ("  tcp_80:\n", "  TCP-80:\n", "TCP-80:",
         "checks.TCP-80: 'TCP-80' is not a check id (lower-case letters, digits and _"),
        ("  tcp_80:\n", "  8080:\n", "8080:", "key 8080 is not a string"),
        ("  tcp_80:\n", f"  t{'x' * 40}:\n", "txxxx",
         f"checks.t{'x' * 40}: 't{'x' * 40}' is not a check id"),
    ],
)  # fmt: skip
def test_bad_values_name_file_line_and_path(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    text = edited(old, new)
    path, error = load_error(tmp_path, text)
    assert error.startswith(f"{path}:{line_of(text, needle)}: {message}"), error


def test_check_id_pattern_allows_the_longest_id(tmp_path: Path) -> None:
    longest = "t" + "x" * 39
    profile = load_profile(write(tmp_path, edited("  tcp_80:\n", f"  {longest}:\n")))
    assert longest in profile.checks


def test_two_checks_of_a_single_kind_are_refused(tmp_path: Path) -> None:
    extra = "  admin2:\n    kind: admin\n    title: {de: Zweiter, en: Second}\n"
    path, error = load_error(tmp_path, BUNDLED_TEXT + extra)
    assert error.startswith(f"{path}:"), error
    assert (
        error
        == f"{path}:{line_of(BUNDLED_TEXT + extra, 'admin2:')}: checks.admin2: at most one check of kind admin (already: admin)"
    )


@pytest.mark.parametrize("kind", ["dns_system", "teamviewer"])
def test_at_most_one_check_of_each_single_kind(tmp_path: Path, kind: str) -> None:
    extra = f"  second:\n    kind: {kind}\n    title: {{de: x, en: x}}\n    names: [a.example]\n"
    if kind != "dns_system":
        extra = extra.replace("    names: [a.example]\n", "")
    _, error = load_error(tmp_path, BUNDLED_TEXT + extra)
    assert f"checks.second: at most one check of kind {kind} (already: {kind})" in error, error


def test_dns_checks_must_share_resolv_conf(tmp_path: Path) -> None:
    text = edited(
        "    resolv_conf: /etc/resolv.conf\n    applies: *egress\n    reasons: *egress_reasons\n"
        "  dns_system",
        "    resolv_conf: /run/resolv.conf\n    applies: *egress\n"
        "    reasons: *egress_reasons\n  dns_system",
    )
    path, error = load_error(tmp_path, text)
    assert error.startswith(f"{path}:"), error
    assert error.endswith(
        ": every dns check must share resolv_conf (one resolver list per host)"
    ), error


def test_a_profile_needs_a_check(tmp_path: Path) -> None:
    text = BUNDLED_TEXT[: BUNDLED_TEXT.index("checks:\n")] + "checks: {}\n"
    path, error = load_error(tmp_path, text)
    assert error.startswith(f"{path}:") and error.endswith(": a profile needs at least one check")


@pytest.mark.parametrize("rule", ["single_kind", "resolv_conf"])
def test_cross_check_rules_name_the_offending_check(tmp_path: Path, rule: str) -> None:
    if rule == "single_kind":
        text = BUNDLED_TEXT + "  admin2:\n    kind: admin\n    title: {de: Z, en: S}\n"
        lines = {line_of(text, "admin2:")}
    else:
        text = edited("    names: *dns_names\n    resolv_conf: /etc/resolv.conf\n",
                      "    names: *dns_names\n    resolv_conf: /run/resolv.conf\n")  # fmt: skip
        lines = {line_of(text, "  dns_tcp:"), line_of(text, "resolv_conf: /run")}
    path, error = load_error(tmp_path, text)
    line = int(error.removeprefix(f"{path}:").split(":", 1)[0])
    assert line in lines, error
    assert error.split(": ", 2)[1].startswith("checks"), error


def test_missing_schema_version_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, edited("schema_version: 2\n", ""))
    with pytest.raises(ProfileError, match=r"profile.yaml:\d+: schema_version: required key"):
        load_profile(path)


def test_schema_2_may_leave_out_a_contract_v5_check(tmp_path: Path) -> None:
    start = BUNDLED_TEXT.index("  admin:\n")
    profile = load_profile(write(tmp_path, BUNDLED_TEXT[:start]))
    assert tuple(profile.checks) == tuple(V5_KINDS)[:-1]


def test_schema_1_needs_every_contract_v5_check_id(tmp_path: Path) -> None:
    start = SCHEMA1_TEXT.index("  admin:\n")
    end = SCHEMA1_TEXT.index("  teamviewer:\n")
    text = SCHEMA1_TEXT[:start] + SCHEMA1_TEXT[end:]
    path, error = load_error(tmp_path, text)
    assert error == f"{path}:{line_of(text, 'tcp_5938:')}: checks: missing check ids admin"


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("  tls_443:\n", "  tls_443:\n    kind: tls\n", "kind: tls",
         "checks.tls_443.kind: needs schema_version 2"),
        ("  admin:\n", "  admin:\n    kind: admin\n", "kind: admin",
         "checks.admin.kind: needs schema_version 2"),
        ("  tcp_80:\n", "  tcp_8080:\n", 'title: {de: "HTTP 80/TCP"',  # its section's line
         "checks.tcp_8080: unknown check id (schema_version 1 knows only the contract v5 ids"),
        ("  tcp_80:\n", "  Tcp80:\n", "Tcp80:", "checks.Tcp80: 'Tcp80' is not a check id"),
    ],
)  # fmt: skip
def test_schema_1_errors(tmp_path: Path, old: str, new: str, needle: str, message: str) -> None:
    text = edited(old, new, SCHEMA1_TEXT)
    path, error = load_error(tmp_path, text)
    assert error.startswith(f"{path}:{line_of(text, needle)}: {message}"), error


def test_schema_1_transport_key_is_not_silently_overridden(tmp_path: Path) -> None:
    text = edited("  dns_udp:\n", "  dns_udp:\n    transport: tcp\n", SCHEMA1_TEXT)
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value).startswith(f"{path}:{line_of(text, 'transport: tcp')}: ")


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


def test_duplicate_check_id_is_an_error(tmp_path: Path) -> None:
    text = BUNDLED_TEXT + TCP_8443 + TCP_8443.replace("8443/TCP", "8443/TCP again")
    path, error = load_error(tmp_path, text)
    second = [i for i, line in enumerate(text.splitlines(), 1) if line == "  tcp_8443:"][1]
    assert error == f"{path}:{second}: tcp_8443: duplicate key"


def test_not_a_mapping_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"profile.yaml:1: profile: expected a mapping"):
        load_profile(write(tmp_path, "- just a list\n"))
    with pytest.raises(ProfileError, match=r"nope.yaml: cannot read profile"):
        load_profile(str(tmp_path / "nope.yaml"))


def test_check_section_must_be_a_mapping(tmp_path: Path) -> None:
    text = edited("  tcp_80:\n", "  tcp_80: [1]\n  tcp_80x:\n")
    path, error = load_error(tmp_path, text)
    assert (
        error
        == f"{path}:{line_of(text, 'tcp_80: [1]')}: checks.tcp_80: expected a mapping, got a list"
    )


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
