"""The contract profile as typed, frozen data: one spec per probe kind.

Modelled on blackbox_exporter's config: every section is a frozen dataclass,
defaults sit next to the fields, and every field carries ``metadata`` with its
``doc`` and either ``parse`` (one value), ``each`` (every item of a list) or
``spec`` (a nested section). ``profile/load.py`` walks these declarations, so
validation, defaults and documentation come from one place.

Each check names its probe ``kind`` (``tcp``, ``udp``, ``tls``, ``dns``,
``dns_system``, ``admin``, ``teamviewer``); :data:`CHECK_KINDS` maps a kind
to its spec class. The ids are the profile's (``tcp_5938``, ``tcp_8443``):
a new requirement is a new entry, not new code. Validators live in
``profile/values.py``; cross-field rules sit in ``__post_init__`` and raise
``ValueError`` (reported at the section's line).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from auditor.model import CheckInfo, Role
from auditor.profile.values import (
    Applicability,
    Network,
    Reflector,
    parse_abs_path,
    parse_applicability,
    parse_cross_check,
    parse_host,
    parse_network,
    parse_port,
    parse_reflector,
    parse_schema_version,
    parse_seconds,
    parse_text,
    parse_transport,
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


# Every check kind carries these; ``title`` has no default on purpose.
_TITLE = _m("report title", spec=Title)
_LABEL = _m("short column label (default: the title)", spec=Title)
_APPLIES = _m("per-role applicability", spec=Applies)
_REASONS = _m("why it does not apply, per role", spec=Reasons)


class _Check:
    """What every check spec has: its kind, title, label and per-role applicability."""

    __slots__ = ()
    kind: ClassVar[str]
    title: Title
    label: Title | None
    applies: Applies
    reasons: Reasons

    def info(self, check_id: str) -> CheckInfo:
        label = self.label or self.title
        return CheckInfo(
            id=check_id,
            kind=self.kind,
            title={"de": self.title.de, "en": self.title.en},
            label={"de": label.de, "en": label.en},
        )


@dataclass(frozen=True, slots=True)
class TcpSpec(_Check):
    """Egress TCP: a completed handshake to every target on ``port``."""

    kind: ClassVar[str] = "tcp"
    title: Title = field(metadata=_TITLE)
    targets: tuple[str, ...] = field(metadata=_m("host names or addresses", each=parse_host))
    port: int = field(metadata=_m("destination port", parse=parse_port))
    label: Title | None = field(default=None, metadata=_LABEL)
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class UdpSpec(_Check):
    """Egress UDP: proven only by the reflector echoing the probe's nonce.

    No targets here: TeamViewer runs no public UDP responder, so the only honest
    target is the profile's ``reflector``; without one the judge says inconclusive.
    ``port`` is the destination port on the reflector (default: the reflector's
    own port, 5938 unless ``--reflector HOST:PORT`` says otherwise).
    """

    kind: ClassVar[str] = "udp"
    title: Title = field(metadata=_TITLE)
    port: int | None = field(default=None, metadata=_m("reflector port", parse=parse_port))
    label: Title | None = field(default=None, metadata=_LABEL)
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class TlsSpec(_Check):
    """TLS with SNI, validated against the host's own CA store (reveals interception)."""

    kind: ClassVar[str] = "tls"
    title: Title = field(metadata=_TITLE)
    targets: tuple[str, ...] = field(metadata=_m("host names to handshake with", each=parse_host))
    port: int = field(default=443, metadata=_m("destination port", parse=parse_port))
    label: Title | None = field(default=None, metadata=_LABEL)
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class DnsSpec(_Check):
    """Each resolver the host is configured with, over one transport, answers every name."""

    kind: ClassVar[str] = "dns"
    title: Title = field(metadata=_TITLE)
    names: tuple[str, ...] = field(metadata=_m("names that must resolve", each=parse_host))
    transport: str = field(default="udp", metadata=_m("udp or tcp", parse=parse_transport))
    resolv_conf: str = field(
        default="/etc/resolv.conf", metadata=_m("the host's resolver list", parse=parse_abs_path)
    )
    label: Title | None = field(default=None, metadata=_LABEL)
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class DnsSystemSpec(_Check):
    """The system resolver (what programs really use, /etc/hosts included)."""

    kind: ClassVar[str] = "dns_system"
    title: Title = field(metadata=_TITLE)
    names: tuple[str, ...] = field(metadata=_m("names that must resolve", each=parse_host))
    label: Title | None = field(default=None, metadata=_LABEL)
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class AdminSpec(_Check):
    """Administrative rights of the credentials we hold."""

    kind: ClassVar[str] = "admin"
    title: Title = field(metadata=_TITLE)
    label: Title | None = field(default=None, metadata=_LABEL)
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


@dataclass(frozen=True, slots=True)
class TeamviewerSpec(_Check):
    """The TeamViewer Host module installed, running, and assigned to the MSP's company.

    ``cross_check``: ``required`` makes the check inconclusive unless the
    MSP's managed-device list (TeamViewer Web API, ``--teamviewer-api-token-file``)
    proves the assignment; ``optional`` judges the host's own record alone
    when no token is given, and the report says it was not cross-checked.
    """

    kind: ClassVar[str] = "teamviewer"
    title: Title = field(metadata=_TITLE)
    cross_check: str = field(
        default="optional",
        metadata=_m("optional or required: the API proves the MSP's assignment",
                    parse=parse_cross_check),
    )  # fmt: skip
    label: Title | None = field(default=None, metadata=_LABEL)
    applies: Applies = field(default_factory=Applies, metadata=_APPLIES)
    reasons: Reasons = field(default_factory=Reasons, metadata=_REASONS)


CheckSpec = TcpSpec | UdpSpec | TlsSpec | DnsSpec | DnsSystemSpec | AdminSpec | TeamviewerSpec

# The probe kinds a profile can ask for, and the spec each takes.
CHECK_KINDS: Mapping[str, type[CheckSpec]] = {
    cls.kind: cls
    for cls in (TcpSpec, UdpSpec, TlsSpec, DnsSpec, DnsSystemSpec, AdminSpec, TeamviewerSpec)
}
# Kinds whose payload section is one per host: at most one check of each.
SINGLE_KINDS: frozenset[str] = frozenset({"dns_system", "admin", "teamviewer"})


@dataclass(frozen=True, slots=True)
class Contract:
    """Which contract page this profile encodes."""

    name: str = field(metadata=_m("contract name", parse=parse_text))
    version: str = field(metadata=_m("version of the contract page", parse=parse_version))


def _seconds(default: float, doc: str) -> Any:
    return field(default=default, metadata=_m(doc, parse=parse_seconds))


# The diagnostic's id: what its plan items name as their check, and its key in
# ``HostResult.diagnostics``. No profile check may carry it.
ENDPOINTS_ID = "teamviewer_endpoints"
# Its probes run beside the contract's (docs/observations.md, "Timing"): bounded so
# that a plan stays far below the payloads' 256 probes.
MAX_ENDPOINT_PROBES = 128


@dataclass(frozen=True, slots=True)
class TeamviewerEndpoints:
    """The endpoints TeamViewer's own connectivity test tries: a diagnostic, not a check.

    TeamViewer connects to its routers on ``router_ports`` in order (5938, then
    443, then 80) and uses service endpoints (web API, login, downloads) on
    ``service_ports``. Wherever a TCP check runs, the payload connects to each
    of them too (pairs a check already probes are not probed twice); the
    judge says per port how many answered and whether TeamViewer connects
    directly (the first router port), falls back to a later one, or not at
    all. It changes no verdict: the contract's per-port checks decide.
    """

    routers: tuple[str, ...] = field(
        metadata=_m("TeamViewer router names, tried on every router port", each=parse_host)
    )
    router_ports: tuple[int, ...] = field(
        default=(5938, 443, 80),
        metadata=_m("router ports in TeamViewer's order: the direct port first", each=parse_port),
    )
    services: tuple[str, ...] = field(
        default=(), metadata=_m("service endpoint names", each=parse_host)
    )
    service_ports: tuple[int, ...] = field(
        default=(443,), metadata=_m("ports of the service endpoints", each=parse_port)
    )

    def __post_init__(self) -> None:
        for name in ("routers", "router_ports", "services", "service_ports"):
            values: tuple[object, ...] = getattr(self, name)
            twice = sorted({str(v) for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"{name}: {', '.join(twice)} listed twice")
        if not self.routers or not self.router_ports:
            raise ValueError("routers and router_ports must not be empty")
        if self.services and not self.service_ports:
            raise ValueError("services need service_ports")
        probes = len(self.routers) * len(self.router_ports)
        probes += len(self.services) * len(self.service_ports)
        if probes > MAX_ENDPOINT_PROBES:
            raise ValueError(f"{probes} endpoint probes, at most {MAX_ENDPOINT_PROBES}")

    def pairs(self) -> tuple[tuple[str, str, int], ...]:
        """(role, host, port) of every endpoint, router ports first in their order."""
        routers = [("router", h, p) for p in self.router_ports for h in self.routers]
        services = [("service", h, p) for p in self.service_ports for h in self.services]
        return tuple(dict.fromkeys((*routers, *services)))


HOST_SECTIONS_S = 8.0  # admin then TeamViewer, one command at a time (sudo, dpkg, pgrep)
PAYLOAD_SLACK_S = 2.0  # thread start, the document's JSON, its way back


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Every wait's limit, in seconds.

    ``connect_s``: TCP to the management port; ``login_s``: authentication;
    ``host_s``: everything for one host (connect, login, payload);
    ``probe_s``: one network operation inside the payload. The payload's own
    deadline (:attr:`payload_deadline_s`) is what its probes need, never more
    than what is left of ``host_s`` after a worst-case connect and login
    (:attr:`payload_s`), so the host deadline always covers it.
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
        """The most the payload may take: what is left of ``host_s`` after connect and login."""
        return self.host_s - self.connect_s - self.login_s

    @property
    def start_s(self) -> float:
        """How long after the login the host's shell may take to start the payload.

        Starting a command is an operation like any other on the host: two
        ``probe_s`` (a slow login script, a loaded host), at most ``login_s``.
        """
        return min(self.login_s, 2 * self.probe_s)

    @property
    def payload_deadline_s(self) -> float:
        """What the payload needs, from its own start: its longest chain of waits, plus slack.

        All probes run at once, each bounded by ``probe_s`` (a TLS probe that
        finds interception looks at the certificate within a second
        ``probe_s``); the host sections (admin, TeamViewer) run one command
        after another, sudo's delay after a refused password included
        (``HOST_SECTIONS_S``). ``PAYLOAD_SLACK_S`` covers threads and the
        document. Capped by :attr:`payload_s`.
        """
        chain = max(2 * self.probe_s, HOST_SECTIONS_S) + PAYLOAD_SLACK_S
        return min(self.payload_s, chain)


@dataclass(frozen=True, slots=True)
class Profile:
    """One version of the contract, loaded and validated; what plans are made from.

    ``checks`` maps check id -> spec in the file's order, which is the
    report's column order; ``source`` is the file it came from or ``"bundled"``.
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
    teamviewer_endpoints: TeamviewerEndpoints | None = field(
        default=None,
        metadata=_m("TeamViewer's own endpoints, a diagnostic", spec=TeamviewerEndpoints),
    )
    source: str = field(default="bundled", metadata=_m("file it came from", internal=True))

    def __post_init__(self) -> None:
        if not self.checks:
            raise ValueError("a profile needs at least one check")
        if self.teamviewer_endpoints is not None and ENDPOINTS_ID in self.checks:
            raise ValueError(f"{ENDPOINTS_ID} is the diagnostic's id, not a check id")
        lists = {spec.resolv_conf for spec in self.checks.values() if isinstance(spec, DnsSpec)}
        if len(lists) > 1:
            raise ValueError("every dns check must share resolv_conf (one resolver list per host)")
        for kind in SINGLE_KINDS:
            ids = [i for i, spec in self.checks.items() if spec.kind == kind]
            if len(ids) > 1:
                raise ValueError(f"at most one check of kind {kind} (found {', '.join(ids)})")

    @property
    def name(self) -> str:
        return self.contract.name

    @property
    def version(self) -> str:
        return self.contract.version

    @property
    def check_infos(self) -> tuple[CheckInfo, ...]:
        """Every check's id, kind and words, in report order (carried in every run)."""
        return tuple(spec.info(check_id) for check_id, spec in self.checks.items())
