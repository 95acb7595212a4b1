"""Per-host plan: which checks apply to this host and the document its payload runs.

The plan document (``Plan.payload_input()``) is the fixed contract between
``profile/`` and ``payload/`` (docs/observations.md): version 2, one section
per probe kind, each item naming the check it serves, times in seconds
(float), only applicable checks appear, and it never carries a secret (a
Plan is built from the profile and the target's role and flags only, never
its credentials). Items of a diagnostic (the TeamViewer endpoints) ride in
the ``tcp`` section under the diagnostic's id, and ``diagnostics`` lists that
id: they decide no verdict, so a payload that must queue its probes runs
them last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from auditor.model import Role, Target
from auditor.payload import PLAN_VERSION
from auditor.payload.delivery import FLAVOUR_OF, Flavour
from auditor.profile.schema import (
    ENDPOINTS_ID,
    DnsSpec,
    DnsSystemSpec,
    Profile,
    TcpSpec,
    TeamviewerEndpoints,
    Timeouts,
    TlsSpec,
    UdpSpec,
)
from auditor.profile.values import Applicability

_S = TypeVar("_S")

__all__ = ["PLAN_VERSION", "Plan", "Timeouts", "plan_for"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to check on one host, and within which limits.

    ``applicable``: check ids in the profile's order; ``not_applicable``: check
    id -> plain-English reason. ``needs_probe``: applicable checks the profile
    marks ``if_probe_runs``; they apply because this host runs the probe (a
    NAS or appliance with a shell, over SSH). On a device reached over its CLI
    (flavour ``device``) they are ``not_applicable`` instead, with the
    profile's reason, so the report says which checks were possible. Every check id
    is in exactly one of ``applicable`` and ``not_applicable``. ``flavour``
    is the payload this host runs (``payload/delivery.py``), from its connection.
    """

    host: str
    role: Role
    applicable: tuple[str, ...]
    not_applicable: Mapping[str, str]
    needs_probe: Mapping[str, str]
    timeouts: Timeouts
    profile: Profile = field(repr=False)
    flavour: Flavour = Flavour.POSIX
    # Why each not-applicable check is so, as a code the report words: ``role`` (the
    # contract does not ask it of this role), ``unattended`` (no unattended access asked),
    # ``no_probe`` (a device reached over its CLI runs no probe).
    not_applicable_why: Mapping[str, str] = field(default_factory=dict)

    def payload_input(self, deadline_s: float | None = None) -> dict[str, Any]:
        """The plan document sent to the payload (JSON-able, see module docstring).

        ``deadline_s`` (the engine's remaining budget, seconds) lowers the
        payload deadline below what the probes need (``timeouts.payload_deadline_s``),
        never raises it.
        """
        limit = self.timeouts.payload_deadline_s
        doc: dict[str, Any] = {
            "plan_version": PLAN_VERSION,
            "deadline_s": float(limit if deadline_s is None else min(deadline_s, limit)),
            "probe_timeout_s": float(self.timeouts.probe_s),
        }
        if self._applicable(TcpSpec):
            doc["tcp"] = self._endpoints(TcpSpec)
            extra = self._diagnostic(doc["tcp"])
            if extra:
                doc["tcp"] += extra
                doc["diagnostics"] = [ENDPOINTS_ID]  # a payload that queues runs these last
        if self._applicable(UdpSpec):
            doc["udp"] = self._udp()  # empty without a reflector: the judge says inconclusive
        if self._applicable(TlsSpec):
            doc["tls"] = self._endpoints(TlsSpec)
        dns = self._applicable(DnsSpec)
        if dns:
            names = dict.fromkeys(name for _, spec in dns for name in spec.names)
            doc["dns"] = {
                "checks": [check_id for check_id, _ in dns],
                "transport": {check_id: spec.transport for check_id, spec in dns},
                "names": list(names),  # what the payload asks; each check is held to its own
                "names_of": {check_id: list(spec.names) for check_id, spec in dns},
                "resolv_conf": dns[0][1].resolv_conf,
            }
        for check_id, system in self._applicable(DnsSystemSpec):
            doc["dns_system"] = {"check": check_id, "names": list(system.names)}
        for check_id in self.applicable:
            kind = self.profile.checks[check_id].kind
            if kind in ("admin", "teamviewer"):
                doc[kind] = {"check": check_id}
        return doc

    def _applicable(self, kind: type[_S]) -> list[tuple[str, _S]]:
        """(check id, spec) of every applicable check of one kind, in profile order."""
        return [
            (check_id, spec)
            for check_id in self.applicable
            if isinstance(spec := self.profile.checks[check_id], kind)
        ]

    def _endpoints(self, kind: type[TcpSpec] | type[TlsSpec]) -> list[dict[str, Any]]:
        return [
            {"check": check_id, "host": host, "port": spec.port}
            for check_id, spec in self._applicable(kind)
            for host in spec.targets
        ]

    @property
    def endpoints(self) -> TeamviewerEndpoints | None:
        """The TeamViewer endpoints diagnostic, when this host's payload probes it:
        the profile asks for it and a TCP check applies here."""
        if self._applicable(TcpSpec):
            return self.profile.teamviewer_endpoints
        return None

    def _diagnostic(self, probed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The diagnostic's TCP items: every endpoint no check's item already connects to."""
        spec = self.endpoints
        if spec is None:
            return []
        seen = {(item["host"], item["port"]) for item in probed}
        wanted = dict.fromkeys((host, port) for _, host, port in spec.pairs())
        return [
            {"check": ENDPOINTS_ID, "host": host, "port": port}
            for host, port in wanted
            if (host, port) not in seen
        ]

    def _udp(self) -> list[dict[str, Any]]:
        """Only the provider's reflector can prove UDP; without one, nothing to send."""
        reflector = self.profile.reflector
        if reflector is None:
            return []
        return [
            {"check": check_id, "host": reflector.host, "port": spec.port or reflector.port}
            for check_id, spec in self._applicable(UdpSpec)
        ]


def _default_reason(applicability: Applicability, role: Role) -> str:
    if applicability is Applicability.IF_UNATTENDED:
        return f"unattended access was not requested for this {role.value} (auditor_unattended)"
    if applicability is Applicability.IF_PROBE_RUNS:
        return f"this {role.value} device cannot run the probe"
    return f"the contract does not require this for {role.value} devices"


def plan_for(profile: Profile, target: Target) -> Plan:
    """Apply the profile's per-role table to one host (pure, no I/O)."""
    applicable: list[str] = []
    not_applicable: dict[str, str] = {}
    needs_probe: dict[str, str] = {}
    why: dict[str, str] = {}
    flavour = FLAVOUR_OF[target.connection]
    for check_id, spec in profile.checks.items():
        rule = spec.applies.for_role(target.role)
        reason = spec.reasons.for_role(target.role) or _default_reason(rule, target.role)
        if rule is Applicability.NOT_APPLICABLE:
            not_applicable[check_id], why[check_id] = reason, "role"
            continue
        if rule is Applicability.IF_UNATTENDED and not target.unattended:
            not_applicable[check_id], why[check_id] = reason, "unattended"
            continue
        if rule is Applicability.IF_PROBE_RUNS and flavour is Flavour.DEVICE:
            # a device's CLI runs no probe of ours
            not_applicable[check_id], why[check_id] = reason, "no_probe"
            continue
        applicable.append(check_id)
        if rule is Applicability.IF_PROBE_RUNS:
            needs_probe[check_id] = reason
    return Plan(
        host=target.name,
        role=target.role,
        applicable=tuple(applicable),
        not_applicable=MappingProxyType(not_applicable),
        needs_probe=MappingProxyType(needs_probe),
        not_applicable_why=MappingProxyType(why),
        timeouts=profile.timeouts,
        profile=profile,
        flavour=flavour,
    )
