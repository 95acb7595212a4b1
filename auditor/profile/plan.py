"""Per-host plan: which checks apply to this host and the document its payload runs.

The plan document (``Plan.payload_input()``) is the fixed contract between
``profile/`` and ``payload/``: version 1, times in seconds (float), only
applicable checks appear, and it never carries a secret (a Plan is built from
the profile and the target's role and flags only, never its credentials).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from auditor.model import CHECK_IDS, Role, Target
from auditor.profile.schema import DnsSpec, DnsSystemSpec, Profile, TcpSpec, Timeouts, TlsSpec
from auditor.profile.values import Applicability

PLAN_VERSION = 1
_S = TypeVar("_S")

__all__ = ["PLAN_VERSION", "Plan", "Timeouts", "plan_for"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to check on one host, and within which limits.

    ``applicable``: check ids in ``CHECK_IDS`` order; ``not_applicable``: check
    id -> plain-English reason. ``needs_probe``: applicable checks that turn
    not applicable (with the given reason) when the device cannot run the probe
    payload (``if_probe_runs`` in the profile, network devices). Every check id
    is in exactly one of ``applicable`` and ``not_applicable``.
    """

    host: str
    role: Role
    applicable: tuple[str, ...]
    not_applicable: Mapping[str, str]
    needs_probe: Mapping[str, str]
    timeouts: Timeouts
    profile: Profile = field(repr=False)

    def payload_input(self, deadline_s: float | None = None) -> dict[str, Any]:
        """The plan document sent to the payload (JSON-able, see module docstring).

        ``deadline_s`` (the engine's remaining budget, seconds) lowers the
        payload deadline below the profile's ``timeouts.payload_s``, never raises it.
        """
        limit = self.timeouts.payload_s
        doc: dict[str, Any] = {
            "plan_version": PLAN_VERSION,
            "deadline_s": float(limit if deadline_s is None else min(deadline_s, limit)),
            "probe_timeout_s": float(self.timeouts.probe_s),
            "tcp": self._endpoints(TcpSpec),
            "udp": self._udp(),
            "tls": self._endpoints(TlsSpec),
        }
        dns = [c for c in ("dns_udp", "dns_tcp") if c in self.applicable]
        if dns:
            specs = [self._spec(c, DnsSpec) for c in dns]
            names = dict.fromkeys(name for spec in specs for name in spec.names)
            doc["dns"] = {
                "checks": dns,
                "names": list(names),
                "resolv_conf": specs[0].resolv_conf,
            }
        if "dns_system" in self.applicable:
            names_system = self._spec("dns_system", DnsSystemSpec).names
            doc["dns_system"] = {"check": "dns_system", "names": list(names_system)}
        for simple in ("admin", "teamviewer"):
            if simple in self.applicable:
                doc[simple] = {"check": simple}
        return doc

    def _spec(self, check_id: str, kind: type[_S]) -> _S:
        spec = self.profile.checks[check_id]
        assert isinstance(spec, kind), f"{check_id} is not a {kind.__name__}"
        return spec

    def _endpoints(self, kind: type[TcpSpec] | type[TlsSpec]) -> list[dict[str, Any]]:
        return [
            {"check": check_id, "host": host, "port": spec.port}
            for check_id in self.applicable
            if isinstance(spec := self.profile.checks[check_id], kind)
            for host in spec.targets
        ]

    def _udp(self) -> list[dict[str, Any]]:
        """Only the provider's reflector can prove UDP; without one, nothing to send."""
        reflector = self.profile.reflector
        if "udp_5938" not in self.applicable or reflector is None:
            return []
        return [{"check": "udp_5938", "host": reflector.host, "port": reflector.port}]


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
    for check_id in CHECK_IDS:
        spec = profile.checks[check_id]
        rule = spec.applies.for_role(target.role)
        reason = spec.reasons.for_role(target.role) or _default_reason(rule, target.role)
        if rule is Applicability.NOT_APPLICABLE or (
            rule is Applicability.IF_UNATTENDED and not target.unattended
        ):
            not_applicable[check_id] = reason
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
        timeouts=profile.timeouts,
        profile=profile,
    )
