"""Which credentials to offer a host, in OpenSSH's order, and which one was accepted.

As OpenSSH does for Ansible: keys held by the ssh-agent (``IdentityAgent``,
normally ``SSH_AUTH_SOCK``) first, then the ``IdentityFile`` keys that exist
(each with ``CertificateFile`` or a ``<key>-cert.pub`` beside it); with
``IdentitiesOnly yes`` only agent keys that match an identity file. An
encrypted key file is used through the agent when it holds that key, else
left out and named (OpenSSH would ask for the passphrase; Ansible cannot
answer). A key given *as text* in the inventory (``ansible_private_key``,
opened with ``ansible_private_key_passphrase``, which Ansible applies to it
alone) comes first. The password, when the inventory has one, comes last
(password and keyboard-interactive).

:class:`AuditClient` hands asyncssh one credential at a time and remembers
which one the server accepted, so the evidence can name the key by its
fingerprint (never its material).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh
from asyncssh.public_key import decode_ssh_public_key

from auditor.model import Secret
from auditor.transports.openssh import OpenSshConfig, home_path


@dataclass(frozen=True, slots=True)
class Credential:
    """One thing to offer: a key (from the agent or a file) or the password."""

    kind: str  # "agent", "file" or "password"
    label: str  # the key's file or the agent's comment; "password"
    fingerprint: str | None = None
    certificate: bool = False
    keypair: asyncssh.SSHKeyPair | None = field(default=None, compare=False)


@dataclass(slots=True)
class Credentials:
    """What to offer, what could not be used and why, and the agent to close afterwards."""

    offered: list[Credential] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)  # encrypted key files we cannot open
    agent: asyncssh.SSHAgentClient | None = None

    def close(self) -> None:
        if self.agent is not None:
            self.agent.close()
            self.agent = None


def _fingerprint(keypair: asyncssh.SSHKeyPair) -> str:
    """OpenSSH's ``SHA256:...`` of the key itself (a certificate's key, not the certificate)."""
    return str(decode_ssh_public_key(keypair.key_public_data).get_fingerprint())


def _agent_path(config: OpenSshConfig) -> str | None:
    value = config.get("identityagent")  # ssh -G leaves out the default, SSH_AUTH_SOCK
    if value == "none":
        return None
    if value in (None, "SSH_AUTH_SOCK"):
        return os.environ.get("SSH_AUTH_SOCK") or None
    if value.startswith("$"):
        return os.environ.get(value.lstrip("$").strip("{}")) or None
    return str(home_path(value))


async def gather(
    config: OpenSshConfig,
    password: Secret | None,
    inline_key: Secret | None = None,
    passphrase: Secret | None = None,
) -> Credentials:
    """The credentials for one connection, from OpenSSH's settings and the inventory."""
    found = Credentials()
    inline = _inline(inline_key, passphrase, found)
    agent_keys: list[asyncssh.SSHKeyPair] = []
    path = _agent_path(config)
    if path and _enabled(config, "pubkeyauthentication"):
        try:
            found.agent = await asyncssh.connect_agent(path)
            agent_keys = list(await found.agent.get_keys())
        except (OSError, asyncssh.Error, ValueError):
            found.close()  # no agent there: OpenSSH goes on without one too
    files = _identity_files(config)
    file_public = {_public_of(p) for p in files} - {None}
    if inline is not None:
        file_public.add(inline.key_public_data)
        found.offered.append(Credential("inventory", "ansible_private_key", _fingerprint(inline),
                                        False, inline))  # fmt: skip
    agent_prints: set[bytes] = set()
    for key in agent_keys:
        if config.flag("identitiesonly") and key.key_public_data not in file_public:
            continue
        agent_prints.add(key.key_public_data)
        found.offered.append(
            Credential("agent", _comment(key), _fingerprint(key), _is_cert(key), key)
        )
    for file in files:
        loaded = _load(file, config)
        if isinstance(loaded, str):
            if _public_of(file) not in agent_prints:
                found.locked.append(loaded)
            continue
        for keypair in loaded:
            if keypair.key_public_data in agent_prints:
                continue
            found.offered.append(
                Credential("file", str(file), _fingerprint(keypair), _is_cert(keypair), keypair)
            )
    if password and _enabled(config, "passwordauthentication"):
        found.offered.append(Credential("password", "password"))
    return found


def _enabled(config: OpenSshConfig, keyword: str) -> bool:
    """OpenSSH's yes/true (its default when absent) versus no/false."""
    return (config.get(keyword) or "yes").lower() not in ("no", "false")


def _identity_files(config: OpenSshConfig) -> list[Path]:
    """The ``IdentityFile`` entries that exist (OpenSSH lists its defaults even when absent)."""
    paths = [home_path(p) for p in config.all("identityfile")]
    return list(dict.fromkeys(p for p in paths if p.is_file()))


def _public_of(path: Path) -> bytes | None:
    """The public key blob of a key file, from ``<file>.pub`` (as OpenSSH reads it)."""
    try:
        return bytes(asyncssh.read_public_key(f"{path}.pub").public_data)
    except (OSError, asyncssh.KeyImportError, ValueError):
        return None


def _inline(
    key: Secret | None, passphrase: Secret | None, found: Credentials
) -> asyncssh.SSHKeyPair | None:
    """``ansible_private_key``: the key itself, opened with its passphrase (never shown)."""
    if key is None:
        return None
    try:
        private = asyncssh.import_private_key(
            key.reveal(), passphrase.reveal() if passphrase else None
        )
    except (asyncssh.KeyImportError, ValueError):
        found.locked.append("ansible_private_key: cannot be opened (passphrase?)")
        return None
    return asyncssh.load_keypairs([private])[0]


def _load(path: Path, config: OpenSshConfig) -> list[asyncssh.SSHKeyPair] | str:
    """The key (with its certificate, if any), or why it cannot be opened."""
    try:
        key = asyncssh.read_private_key(str(path))
    except asyncssh.KeyImportError as exc:
        if "passphrase" in str(exc).lower() or "decrypt" in str(exc).lower():
            return f"{path}: encrypted, and no agent holds it"
        return f"{path}: {exc}"
    except (OSError, ValueError) as exc:
        return f"{path}: {exc}"
    certs = [home_path(c) for c in config.all("certificatefile")]
    certs.append(Path(f"{path}-cert.pub"))
    for cert in certs:
        if cert.is_file():
            try:
                return [*asyncssh.load_keypairs([(key, str(cert))]), *asyncssh.load_keypairs([key])]
            except (asyncssh.KeyImportError, ValueError, OSError):
                continue  # a certificate for another key: OpenSSH skips it too
    return list(asyncssh.load_keypairs([key]))


def _comment(key: asyncssh.SSHKeyPair) -> str:
    comment = key.get_comment()
    return f"agent: {comment}" if comment else "agent"


def _is_cert(key: asyncssh.SSHKeyPair) -> bool:
    return bool(key.has_cert)


class AuditClient(asyncssh.SSHClient):
    """Offers the gathered credentials one by one and remembers the one accepted."""

    def __init__(self, offered: list[Credential], password: Secret | None) -> None:
        self._keys = [c for c in offered if c.keypair is not None]
        self._password = password if any(c.kind == "password" for c in offered) else None
        self._trying: Credential | None = None
        self._spent: set[str] = set()
        self.accepted: Credential | None = None

    def public_key_auth_requested(self) -> list[asyncssh.SSHKeyPair] | None:
        if not self._keys:
            return None
        self._trying = self._keys.pop(0)
        assert self._trying.keypair is not None
        return [self._trying.keypair]

    def password_auth_requested(self) -> str | None:
        """The password, once: a refused password is not tried again (no lockouts)."""
        if self._password is None or "password" in self._spent:
            return None
        self._spent.add("password")
        self._trying = Credential("password", "password")
        return self._password.reveal()

    def kbdint_auth_requested(self) -> str | None:
        if self._password is None or "kbdint" in self._spent:
            return None
        self._spent.add("kbdint")
        return ""

    def kbdint_challenge_received(
        self, name: str, instructions: str, lang: str, prompts: Sequence[tuple[str, bool]]
    ) -> list[str] | None:
        if not prompts:
            return []
        if self._password is None or len(prompts) != 1 or "assword" not in prompts[0][0]:
            return None
        self._trying = Credential("password", "password")
        return [self._password.reveal()]

    def auth_completed(self) -> None:
        self.accepted = self._trying
