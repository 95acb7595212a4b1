"""The contract profile as typed, frozen data: one spec per probe kind.

Modelled on blackbox_exporter's config: every section is a frozen dataclass,
defaults sit next to the fields, and every field carries ``metadata`` with its
``doc`` and either ``parse`` (one value), ``each`` (every item of a list) or
``spec`` (a nested section). ``profile/load.py`` walks these declarations, so
validation, defaults and documentation come from one place.

Validators live in ``profile/values.py``. The loader checks that every id in
``auditor.model.CHECK_IDS`` has a spec; cross-field rules sit in
``__post_init__`` and raise ``ValueError`` (reported at the section's line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.model import Role
from auditor.profile.values import (
    Applicability,
    Network,
    Reflector,
    parse_abs_path,
    parse_applicability,
    parse_host,
    parse_network,
    parse_port,
    parse_reflector,
    parse_schema_version,
    parse_seconds,
    parse_text,
    parse_version,
)

# --- field declarations: metadata read by profile/load.py ---


def _m(doc: str, **kind: Any) -> dict[str, Any]:
    """Field metadata: ``doc`` plus one of ``parse``/``each``/``spec``/``checks``/``internal``."""
    return {"doc": doc, **kind}


@dataclass(frozen=True, slots=True)
class Title:
    """Short report heading for a check; German first (customers read German)."""

    de: str = field(metadata=_m("German title", parse=parse_text))
    en: str = field(metadata=_m("English title", parse=parse_text))


_REQUIRED = Applicability.REQUIRED


@dataclass(frozen=True, slots=True)
class Applies:
    """Per role: does the check apply (requirements.md, Device roles)."""

    server: Applicability = field(
        default=_REQUIRED, metadata=_m("servers", parse=parse_applicability)
    )
    network: Applicability = field(
        default=_REQUIRED,
        metadata=_m("switches, firewalls, NAS, routers", parse=parse_applicability),
    )
    workstation: Applicability = field(
        default=_REQUIRED, metadata=_m("workstations", parse=parse_applicability)
    )

    def for_role(self, role: Role) -> Applicability:
        return Applicability(getattr(self, role.value))


@dataclass(frozen=True, slots=True)
class Reasons:
    """Plain-English reason per role, shown when the check does not apply there."""

    server: str | None = field(default=None, metadata=_m("servers", parse=parse_text))
    network: str | None = field(default=None, metadata=_m("network devices", parse=parse_text))
    workstation: str | None = field(default=None, metadata=_m("workstations", parse=parse_text))

    def for_role(self, role: Role) -> str | None:
        value: str | None = getattr(self, role.value)
        return value


# Every check kind carries these three; ``title`` has no default on purpose.
_TITLE = _m("report title", spec=Title)
_APPLIES = _m("per-role applicability", spec=Applies)
_REASONS = _m("why it does not apply, per role", spec=Reasons)


@dataclass(frozen=True, slots=True)
class TcpSpec:
    """Egress TCP: a completed handshake to every target on ``port``."""

    title: Title = field(metadata=_TITLE)
    targets: tuple[str, ...] = field(metadata=_m("host names or addresses", each=parse_host))
    port: int = field(metadata=_m("destination port", parse=parse_port))
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class UdpSpec:
    """Egress UDP: proven only by the reflector echoing the probe's nonce.

    No targets here: TeamViewer runs no public UDP responder, so the only honest
    target is the profile's ``reflector``; without one the judge says inconclusive.
    """

    title: Title = field(metadata=_TITLE)
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class TlsSpec:
    """TLS with SNI, validated against the host's own CA store (reveals interception)."""

    title: Title = field(metadata=_TITLE)
    targets: tuple[str, ...] = field(metadata=_m("host names to handshake with", each=parse_host))
    port: int = field(default=443, metadata=_m("destination port", parse=parse_port))
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class DnsSpec:
    """Each resolver the host is configured with, over one transport, answers every name."""

    title: Title = field(metadata=_TITLE)
    names: tuple[str, ...] = field(metadata=_m("names that must resolve", each=parse_host))
    resolv_conf: str = field(
        default="/etc/resolv.conf", metadata=_m("the host's resolver list", parse=parse_abs_path)
    )
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class DnsSystemSpec:
    """The system resolver (what programs really use, /etc/hosts included)."""

    title: Title = field(metadata=_TITLE)
    names: tuple[str, ...] = field(metadata=_m("names that must resolve", each=parse_host))
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class SimpleSpec:
    """A check without parameters (admin rights, TeamViewer Host)."""

    title: Title = field(metadata=_TITLE)
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


CheckSpec = TcpSpec | UdpSpec | TlsSpec | DnsSpec | DnsSystemSpec | SimpleSpec

# Which spec kind each fixed check id takes (auditor.model.CHECK_IDS).
CHECK_KINDS: Mapping[str, type[CheckSpec]] = {
    "tcp_5938": TcpSpec,
    "udp_5938": UdpSpec,
    "tcp_80": TcpSpec,
    "tcp_443": TcpSpec,
    "tls_443": TlsSpec,
    "dns_udp": DnsSpec,
    "dns_tcp": DnsSpec,
    "dns_system": DnsSystemSpec,
    "admin": SimpleSpec,
    "teamviewer": SimpleSpec,
}


@dataclass(frozen=True, slots=True)
class Contract:
    """Which contract page this profile encodes."""

    name: str = field(metadata=_m("contract name", parse=parse_text))
    version: str = field(metadata=_m("version of the contract page", parse=parse_version))


def _seconds(default: float, doc: str) -> Any:
    return field(default=default, metadata=_m(doc, parse=parse_seconds))


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Every wait's limit, in seconds.

    ``connect_s``: TCP to the management port; ``login_s``: authentication;
    ``host_s``: everything for one host (connect, login, payload);
    ``probe_s``: one network operation inside the payload. The payload's own
    deadline is what is left of ``host_s`` after a worst-case connect and
    login, so the host deadline always covers it.
    """

    connect_s: float = _seconds(5.0, "TCP connect to the management port")
    login_s: float = _seconds(10.0, "authentication")
    host_s: float = _seconds(35.0, "whole budget of one host")
    probe_s: float = _seconds(4.0, "one network operation in the payload")

    def __post_init__(self) -> None:
        if self.payload_s < self.probe_s:
            raise ValueError(
                f"host_s {self.host_s:g} must be at least connect_s + login_s + probe_s"
                f" ({self.connect_s + self.login_s + self.probe_s:g})"
            )

    @property
    def payload_s(self) -> float:
        """The payload's deadline: it must print its document before this elapses."""
        return self.host_s - self.connect_s - self.login_s


@dataclass(frozen=True, slots=True)
class Profile:
    """One version of the contract, loaded and validated; what plans are made from.

    ``checks`` holds one spec for every id in ``auditor.model.CHECK_IDS``;
    ``source`` is the file it came from or ``"bundled"``.
    """

    schema_version: int = field(metadata=_m("profile format", parse=parse_schema_version))
    contract: Contract = field(metadata=_m("contract name and version", spec=Contract))
    checks: Mapping[str, CheckSpec] = field(metadata=_m("spec per check id", checks=CHECK_KINDS))
    timeouts: Timeouts = field(default_factory=Timeouts, metadata=_m("limits", spec=Timeouts))
    reflector: Reflector | None = field(
        default=None, metadata=_m("provider reflector host[:port]", parse=parse_reflector)
    )
    expected_networks: tuple[Network, ...] = field(
        default=(), metadata=_m("CIDRs whose DNS answers are no sinkholes", each=parse_network)
    )
    source: str = field(default="bundled", metadata=_m("file it came from", internal=True))

    def __post_init__(self) -> None:
        udp, tcp = self.checks.get("dns_udp"), self.checks.get("dns_tcp")
        shared = isinstance(udp, DnsSpec) and isinstance(tcp, DnsSpec)
        if shared and udp.resolv_conf != tcp.resolv_conf:  # type: ignore[union-attr]
            raise ValueError(
                "dns_udp and dns_tcp must share resolv_conf (one resolver list per host)"
            )

    @property
    def name(self) -> str:
        return self.contract.name

    @property
    def version(self) -> str:
        return self.contract.version

    @property
    def titles(self) -> Mapping[str, Mapping[str, str]]:
        """Check id -> language (``de``, ``en``) -> report title."""
        return {
            check_id: {"de": spec.title.de, "en": spec.title.en}
            for check_id, spec in self.checks.items()
        }
