"""The values that cross stages of the data flow.

inventory -> Target -> (profile) Plan -> engine -> transport -> payload
-> observations -> judge -> Check -> HostResult -> results JSON / history / report.

Everything here is a frozen, slotted dataclass or an enum: once a stage has
produced a value, no later stage can change it behind its back. Secrets are
wrapped in :class:`Secret` so that no ``repr``, log line, traceback or JSON
dump can carry them by accident.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlunsplit

JSONValue = Any  # what json.loads may return; kept loose on purpose, checked by the schema


class Secret:
    """A credential that must never leave memory in clear text.

    ``repr``/``str``/``format`` all give ``***``; the clear value is only
    available through :meth:`reveal`, so every place that sends a secret to a
    host is greppable.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:  # pickling would write the clear value somewhere
        raise TypeError("Secret values cannot be pickled")


class Role(enum.StrEnum):
    """What a device is for; decides which requirements apply (requirements.md, Device roles)."""

    SERVER = "server"
    NETWORK = "network"
    WORKSTATION = "workstation"


class Connection(enum.StrEnum):
    """How the auditor reaches a host; names follow Ansible's ``ansible_connection``."""

    SSH = "ssh"
    WINRM = "winrm"
    NETWORK_CLI = "network_cli"
    LOCAL = "local"


class Stage(enum.StrEnum):
    """How far the audit of one host got, in order.

    ``inventory`` comes before everything: the host's own inventory entry was
    unusable (unknown role, vault value without password, ...). A host ends at
    the first stage that failed; ``judged`` means every stage succeeded and
    the checks carry real verdicts.
    """

    INVENTORY = "inventory"
    RESOLVE = "resolve"
    CONNECT = "connect"
    HOSTKEY = "hostkey"
    AUTH = "auth"
    ADMIN = "admin"
    PROBE = "probe"
    JUDGED = "judged"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class Verdict(enum.StrEnum):
    """The judge's word on one check.

    ``inconclusive`` means the probe ran but what it saw proves neither pass
    nor fail (e.g. UDP silence); ``error`` means nothing could be observed.
    Neither ever counts as passed.
    """

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


# How bad each verdict is, for "the worst one wins" (a proven failure is never
# hidden behind an item that could not be tested).
VERDICT_RANK: Mapping[Verdict, int] = {
    Verdict.NOT_APPLICABLE: -1,
    Verdict.PASS: 0,
    Verdict.INCONCLUSIVE: 1,
    Verdict.ERROR: 2,
    Verdict.FAIL: 3,
}


class Owner(enum.StrEnum):
    """Who must act on a finding; the order is the order of the report's task list."""

    CUSTOMER_IT = "customer_it"
    MSP = "msp"
    ISP = "isp"


class Severity(enum.StrEnum):
    """How a finding weighs beside its verdict.

    ``blocking`` stands between the host and compliance (every finding of a
    check that did not pass); ``security`` is a blocking finding that also
    means "possible attack" (a changed host key); a ``note`` is worth acting
    on but decides nothing (an SSH server reached only with outdated
    algorithms): it belongs to the host, never to a check.
    """

    SECURITY = "security"
    BLOCKING = "blocking"
    NOTE = "note"


ParamValue = str | int | float


@dataclass(frozen=True, slots=True)
class Finding:
    """The judge's word on *why* a check did not pass, in no language yet.

    ``code`` is stable (``tcp.filtered``, ``dns.answer_unverified``,
    ``credentials.refused``) and is what reports, mail, history and metrics
    map to words; ``params`` name what the words need (port, resolver,
    issuer...), ``targets`` the items it concerns (target names, DNS names).
    ``verdict`` is always the verdict of the check that carries the finding;
    a stage finding (why a host was not audited) carries ``error``, or
    ``fail`` when the credentials were proven refused or missing.
    """

    code: str
    verdict: Verdict
    owner: Owner
    severity: Severity = Severity.BLOCKING
    targets: tuple[str, ...] = ()
    params: Mapping[str, ParamValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """One requirement as the profile declares it: id, probe kind and its words.

    Carried in every run (and its results document) so that reports, history
    and mail can name a check without the profile file it came from.
    ``title`` and ``label`` map a language (``de``, ``en``) to the full title
    and the short column label.
    """

    id: str
    kind: str
    title: Mapping[str, str]
    label: Mapping[str, str]


DEFAULT_OPERATION_TIMEOUT_S = 20  # pywinrm's Protocol defaults
DEFAULT_READ_TIMEOUT_S = 30


@dataclass(frozen=True, slots=True)
class WinrmOptions:
    """Everything the WinRM transport needs about one host, except its secret.

    ``auth`` lists pywinrm transports to try in order. ``ca_trust_path``
    None means "as pywinrm does by default" (the environment's
    REQUESTS_CA_BUNDLE, else certifi's bundle). ``proxy`` None means
    pywinrm's default (the environment's proxy variables); ``no_proxy``
    True means no proxy at all. ``plugin`` names the connection plugin whose
    variables were read (``winrm`` or ``psrp``).
    """

    scheme: str = "https"
    port: int = 5986
    path: str = "/wsman"
    auth: tuple[str, ...] = ("ssl",)
    cert_validation: str = "validate"
    ca_trust_path: str | None = None
    message_encryption: str = "auto"
    operation_timeout_s: int = DEFAULT_OPERATION_TIMEOUT_S
    read_timeout_s: int = DEFAULT_READ_TIMEOUT_S
    cert_pem: str | None = None
    cert_key_pem: str | None = None
    send_cbt: bool = True
    proxy: str | None = None
    no_proxy: bool = False
    kerberos_delegation: bool = False
    kerberos_hostname_override: str | None = None
    service: str = "HTTP"
    credssp_disable_tlsv1_2: bool = False
    plugin: str = "winrm"

    def endpoint(self, address: str) -> str:
        """``https://host:5986/wsman`` (an IPv6 address in brackets, as Ansible writes it)."""
        host = f"[{address}]" if ":" in address and not address.startswith("[") else address
        return urlunsplit((self.scheme, f"{host}:{self.port}", self.path, "", ""))


@dataclass(frozen=True, slots=True)
class DeviceOptions:
    """How a network device's CLI is driven (``ansible_connection: network_cli``).

    ``platform`` is the auditor's key for ``ansible_network_os`` (``ios``,
    ``nxos``, ``eos``, ``junos``, ``fortios``, ``routeros``, ``panos``:
    ``devices/platforms.py``); ``network_os`` is the value as the inventory
    wrote it. ``become`` is ``ansible_become`` with ``ansible_become_method:
    enable``: enter enable mode with ``ansible_become_password`` as the secret.
    """

    platform: str
    network_os: str
    become: bool = False


@dataclass(frozen=True, slots=True)
class Target:
    """One host to audit, with Ansible's variable precedence already applied.

    ``address`` is ``ansible_host`` or, as in Ansible, the inventory name.
    Secrets are :class:`Secret`; ``key_file`` is a path, not key material.
    """

    name: str
    address: str
    customer: str
    role: Role = Role.SERVER
    connection: Connection = Connection.SSH
    port: int | None = None
    user: str | None = None
    password: Secret | None = None
    key_file: str | None = None
    become_password: Secret | None = None
    unattended: bool = False
    report_to: tuple[str, ...] = ()  # auditor_report_to: who gets the customer's report
    report_cc: tuple[str, ...] = ()  # auditor_report_cc
    site: str = "default"  # auditor_site: the vantage point (worker queue) that reaches the host
    groups: tuple[str, ...] = ()
    source: str = ""
    # The OpenSSH arguments Ansible would put before the host name (inventory/ssh_args.py),
    # per inventory variable that gave them, and where each variable the auditor read was
    # set (name, "file:line").
    ssh_pieces: tuple[tuple[str, tuple[str, ...]], ...] = ()
    origins: tuple[tuple[str, str], ...] = ()
    private_key: Secret | None = None  # ansible_private_key: key material itself (2.19)
    key_passphrase: Secret | None = None  # ansible_private_key_passphrase: for private_key only
    # How a Windows host's WinRM listener is reached (inventory/winrm_vars.py); None otherwise.
    winrm: WinrmOptions | None = None
    # How a network device's CLI is driven (inventory/device_vars.py); None otherwise.
    device: DeviceOptions | None = None

    @property
    def ssh_args(self) -> tuple[str, ...]:
        """The OpenSSH arguments in Ansible's order (``ssh -G ARGS HOST``)."""
        return tuple(arg for _, args in self.ssh_pieces for arg in args)

    def secrets_set(self) -> dict[str, str]:
        """Which secrets the inventory holds for this host, masked, for display."""
        return {
            name: "***"
            for name, value in (
                ("password", self.password),
                ("become_password", self.become_password),
                ("private_key", self.private_key),
                ("key_passphrase", self.key_passphrase),
            )
            if value
        }


SITE_SOURCE = "site "  # the source of a scheduled run's "not audited" problems: "site NAME"
INTERRUPTED_SOURCE = "interrupted"  # the source of an interrupted run's "not audited" problems


@dataclass(frozen=True, slots=True)
class InventoryProblem:
    """A piece of inventory the auditor could not use.

    ``host`` is set when the problem belongs to one host (that host is then
    reported at stage ``inventory``); otherwise it concerns a whole source.
    """

    source: str
    message: str
    host: str | None = None
    line: int | None = None
    customer: str | None = None

    @property
    def not_audited(self) -> bool:
        """A gap of the run, not of the inventory: hosts a site's worker did not audit
        (source ``site NAME``), or hosts an interrupted run did not finish."""
        gap = self.source.startswith(SITE_SOURCE) or self.source == INTERRUPTED_SOURCE
        return gap and self.host is None and self.line is None

    def one_line(self) -> str:
        where = self.source + (f":{self.line}" if self.line else "")
        who = f" host {self.host}:" if self.host else ""
        return f"{where}:{who} {self.message}"


@dataclass(frozen=True, slots=True)
class Check:
    """The verdict on one requirement for one host, with the evidence behind it.

    ``reason`` is the judge's technical sentence (English, for logs and the
    terminal); ``findings`` say, as codes, why the check did not pass: none
    for a pass or not-applicable check, at least one otherwise, each with
    this check's verdict.
    """

    id: str
    verdict: Verdict
    reason: str
    evidence: Mapping[str, JSONValue] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class HostResult:
    """Everything the run learned about one host. Never an exception."""

    name: str
    customer: str
    role: Role
    address: str
    connection: Connection
    stage: Stage
    stage_reason: str
    checks: tuple[Check, ...]
    started_at: str
    duration_s: float
    payload: str | None = None
    security_finding: str | None = None  # e.g. a changed host key: never audited, always reported
    stage_finding: Finding | None = None  # why the audit stopped; None exactly when judged
    # How the auditor reached the host (address, user, key fingerprint, algorithms): evidence.
    access: Mapping[str, JSONValue] = field(default_factory=dict)
    notes: tuple[Finding, ...] = ()  # severity note: worth acting on, decide nothing
    # What the judge worked out beside the checks, deciding no verdict, by diagnostic id:
    # ``teamviewer_endpoints`` (judge/endpoints.py). Empty when none was observed.
    diagnostics: Mapping[str, JSONValue] = field(default_factory=dict)

    @property
    def compliant(self) -> bool:
        """True only when the audit got through and every applicable check passed."""
        if self.stage is not Stage.JUDGED:
            return False
        applicable = [c for c in self.checks if c.verdict is not Verdict.NOT_APPLICABLE]
        return bool(applicable) and all(c.verdict is Verdict.PASS for c in applicable)


@dataclass(frozen=True, slots=True)
class RunResult:
    """One audit run: what the results JSON document, history and reports are made from."""

    run_id: str
    started_at: str
    finished_at: str
    auditor_version: str
    profile_name: str
    profile_version: str
    inventory_sources: tuple[str, ...]
    hosts: tuple[HostResult, ...]
    checks: tuple[CheckInfo, ...]  # the profile's requirements, in report order
    problems: tuple[InventoryProblem, ...] = ()
    # The site values the verdicts depend on, so a report re-rendered from JSON judges alike.
    expected_networks: tuple[str, ...] = ()
    reflector: str | None = None
    # What the run knew of the MSP's TeamViewer company (teamviewer/directory.py, record()):
    # state checked/failed/not_checked, devices, error, source. None: older results.
    teamviewer_api: Mapping[str, JSONValue] | None = None
