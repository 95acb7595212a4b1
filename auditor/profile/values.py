"""Validators for profile values: the plain value YAML produced in, typed value out.

Each raises ``ValueError`` with a message that reads after ``path: `` (the
loader adds file, line and path), e.g. ``70000 is not a port (1-65535)``.
The CLI overrides (``--reflector``, ``--expected-network``) go through the
same functions, so a value means the same wherever it comes from.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass

SUPPORTED_SCHEMA_VERSIONS: tuple[int, ...] = (1, 2)
REFLECTOR_DEFAULT_PORT = 5938

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Applicability(enum.StrEnum):
    """Whether a check applies to a role (requirements.md, Device roles).

    ``if_probe_runs``: applies when the device can run the probe payload,
    otherwise not applicable (network devices). ``if_unattended``: applies
    only when the host's inventory sets ``auditor_unattended`` (workstations).
    """

    REQUIRED = "required"
    NOT_APPLICABLE = "not_applicable"
    IF_PROBE_RUNS = "if_probe_runs"
    IF_UNATTENDED = "if_unattended"


# --- value validators: plain YAML value in, typed value out, ValueError on misuse ---

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def parse_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a non-empty string")
    return value


def parse_version(value: object) -> str:
    """Contract versions are labels (``5``, ``5a``); YAML may read them as numbers."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return parse_text(value)


def parse_port(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise ValueError(f"{value!r} is not a port (1-65535)")
    return value


def parse_seconds(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 3600:
        return float(value)
    raise ValueError(f"{value!r} is not a duration in seconds (0 < s <= 3600)")


def parse_host(value: object) -> str:
    """A DNS name or an IP literal: what a probe on the host may connect to."""
    text = parse_text(value).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    name = text.rstrip(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        raise ValueError(f"{value!r} is not a host name or IP address") from None
    return name.lower()


def parse_network(value: object) -> Network:
    try:
        return ipaddress.ip_network(parse_text(value).strip(), strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a CIDR network ({exc})") from None


def parse_abs_path(value: object) -> str:
    text = parse_text(value)
    if not text.startswith("/"):
        raise ValueError(f"{value!r} is not an absolute path")
    return text


def parse_transport(value: object) -> str:
    """``udp`` or ``tcp``: how a DNS check queries the host's resolvers."""
    if value in ("udp", "tcp"):
        return str(value)
    raise ValueError(f"{value!r} is not one of udp, tcp")


CROSS_CHECKS = ("optional", "required")


def parse_cross_check(value: object) -> str:
    """``optional`` or ``required``: must the TeamViewer API prove the MSP's assignment?"""
    if value in CROSS_CHECKS:
        return str(value)
    raise ValueError(f"{value!r} is not one of {', '.join(CROSS_CHECKS)}")


_CHECK_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def parse_check_id(value: object) -> str:
    """A check id is a stable public name (results, history, metrics): ``tcp_8443``."""
    if isinstance(value, str) and _CHECK_ID.match(value):
        return value
    raise ValueError(
        f"{value!r} is not a check id (lower-case letters, digits and _, e.g. tcp_8443)"
    )


def parse_applicability(value: object) -> Applicability:
    if isinstance(value, str) and value in Applicability.__members__.values():
        return Applicability(value)
    allowed = ", ".join(a.value for a in Applicability)
    raise ValueError(f"{value!r} is not one of {allowed}")


def parse_schema_version(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not an integer")
    if value not in SUPPORTED_SCHEMA_VERSIONS:
        known = ", ".join(map(str, SUPPORTED_SCHEMA_VERSIONS))
        raise ValueError(f"unsupported schema_version {value} (this auditor reads {known})")
    return value


@dataclass(frozen=True, slots=True)
class Reflector:
    """The provider's UDP/TCP echo witness (``auditor reflector``) that proves 5938/UDP."""

    host: str
    port: int = REFLECTOR_DEFAULT_PORT

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_reflector(value: object) -> Reflector | None:
    """``host``, ``host:port`` or ``[v6]:port``; ``None`` means no reflector configured."""
    if value is None:
        return None
    text = parse_text(value).strip()
    match = re.fullmatch(r"\[([^\]]+)\](?::(.*))?", text)
    if match:
        host, port_text = match.group(1), match.group(2)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, None
    if port_text is None:
        return Reflector(parse_host(host))
    if not port_text.isdigit():
        raise ValueError(f"{value!r}: {port_text!r} is not a port (1-65535)")
    return Reflector(parse_host(host), parse_port(int(port_text)))
