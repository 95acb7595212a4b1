"""The SSH algorithms to offer a host: OpenSSH's lists for it, as far as asyncssh has them.

``ssh -G`` gives the lists OpenSSH would offer (its defaults, widened or
narrowed by the inventory's ``-o KexAlgorithms=+...`` or ssh_config, with
``+``/``-``/``^`` already expanded). The auditor offers the same, in the same
order, minus what asyncssh cannot do (``sntrup761x25519``, security keys),
and never more: asyncssh would accept SHA-1 key exchange and CBC ciphers by
default, OpenSSH does not, and a host the MSP's Ansible cannot reach must not
look reachable here. ``modern`` holds OpenSSH's defaults (``ssh -G -F none``),
the yardstick for "outdated".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncssh.encryption import get_encryption_algs
from asyncssh.kex import get_kex_algs
from asyncssh.mac import get_mac_algs
from asyncssh.public_key import get_certificate_algs, get_public_key_algs

from auditor.errors import SshConfigInvalid
from auditor.transports.openssh import OpenSshConfig

# category -> (ssh -G keyword, what asyncssh implements)
_KEYWORDS: Mapping[str, str] = {
    "kex": "kexalgorithms",
    "host_key": "hostkeyalgorithms",
    "cipher": "ciphers",
    "mac": "macs",
    "signature": "pubkeyacceptedalgorithms",
}


def _supported() -> Mapping[str, frozenset[str]]:
    keys = frozenset(a.decode() for a in get_public_key_algs())
    return {
        "kex": frozenset(a.decode() for a in get_kex_algs() if not a.startswith(b"gss-")),
        "host_key": keys | {a.decode() for a in get_certificate_algs()},
        "cipher": frozenset(a.decode() for a in get_encryption_algs()),
        "mac": frozenset(a.decode() for a in get_mac_algs()),
        "signature": keys,  # asyncssh names signatures; a certificate signs with its key's
    }


@dataclass(frozen=True, slots=True)
class Algorithms:
    """What to offer, per category, in OpenSSH's order; and OpenSSH's defaults."""

    kex: tuple[str, ...]
    host_key: tuple[str, ...]
    cipher: tuple[str, ...]
    mac: tuple[str, ...]
    signature: tuple[str, ...]
    modern: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def widened(self) -> bool:
        """The settings allow something OpenSSH's defaults do not (an outdated algorithm)."""
        return any(
            alg not in self.modern.get(category, ())
            for category in ("kex", "host_key", "cipher", "mac")
            for alg in getattr(self, category)
        )

    def of(self, category: str) -> tuple[str, ...]:
        """The list of one category (``kex``, ``host_key``, ``cipher``, ``mac``)."""
        found: tuple[str, ...] = getattr(self, category)
        return found

    def options(self) -> dict[str, Any]:
        """asyncssh's connect() keywords."""
        return {
            "kex_algs": list(self.kex),
            "server_host_key_algs": list(self.host_key),
            "encryption_algs": list(self.cipher),
            "mac_algs": list(self.mac),
            "signature_algs": list(self.signature),
        }


def algorithms(config: OpenSshConfig, defaults: OpenSshConfig) -> Algorithms:
    """The lists for one connection; a category left empty is a settings problem."""
    supported = _supported()
    chosen: dict[str, tuple[str, ...]] = {}
    for category, keyword in _KEYWORDS.items():
        listed = config.listed(keyword) or defaults.listed(keyword)
        chosen[category] = tuple(a for a in listed if a in supported[category])
        if not chosen[category]:
            raise SshConfigInvalid(
                f"no {keyword} algorithm of the host's settings ({','.join(listed)}) is "
                "supported by the auditor's SSH client",
                error=f"{keyword} {','.join(listed)}",
            )
    modern = {c: defaults.listed(k) for c, k in _KEYWORDS.items()}
    return Algorithms(**chosen, modern=modern)
