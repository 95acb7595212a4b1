"""What the MSP's OpenSSH would use for a host: ``ssh -G``, asked, not guessed.

Ansible's ssh connection plugin runs OpenSSH with the arguments of
:mod:`auditor.inventory.ssh_args` and the host name; OpenSSH then reads the
user's ``~/.ssh/config`` and ``/etc/ssh/ssh_config`` (``Host``/``Match``
blocks, ``Include``) and its own defaults, keeping the first value it sees.
``ssh -G ARGS HOST`` prints exactly that result, algorithm lists with their
``+``/``-``/``^`` already expanded, so the auditor asks the same program
rather than re-implementing its rules. The auditor's own client (asyncssh)
is then configured from it (``transports/ssh.py``).

``--ssh-config FILE`` puts ``-F FILE`` last, so it wins over an ``-F`` in
the inventory (OpenSSH keeps the last ``-F``). A run asks once per distinct
destination and argument list. Needs the OpenSSH client (``ssh``), which an
Ansible controller has; without it a host stops at stage ``connect`` with
code ``ssh.client_missing``.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditor.errors import SshClientMissing, SshConfigInvalid

SSH = "ssh"
_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class OpenSshConfig:
    """OpenSSH's effective client settings for one destination: keyword -> values.

    Keywords are lower case as ``ssh -G`` prints them; repeated keywords
    (``identityfile``, ``certificatefile``) keep every value in order.
    """

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, keyword: str, default: str | None = None) -> str | None:
        found = self.values.get(keyword)
        return found[0] if found else default

    def all(self, keyword: str) -> tuple[str, ...]:
        return self.values.get(keyword, ())

    def listed(self, keyword: str) -> tuple[str, ...]:
        """A comma-separated list (algorithms) as a tuple."""
        value = self.get(keyword)
        return tuple(v for v in value.split(",") if v) if value else ()

    def number(self, keyword: str) -> int | None:
        value = self.get(keyword)
        return int(value) if value is not None and value.isdigit() else None

    def flag(self, keyword: str) -> bool:
        return (self.get(keyword) or "").lower() == "yes"

    def proxy_jump(self) -> str | None:
        value = self.get("proxyjump")
        return None if value in (None, "none") else value

    def proxy_command(self) -> str | None:
        value = self.get("proxycommand")
        return None if value in (None, "none") else value


def home_path(path: str) -> Path:
    """``~/x`` as OpenSSH expands it: the user's home from the password database, not $HOME."""
    if path == "~" or path.startswith("~/"):
        try:
            home = pwd.getpwuid(os.getuid()).pw_dir
        except KeyError:
            home = os.path.expanduser("~")
        return Path(home + path[1:])
    return Path(os.path.expanduser(path))


def parse(output: str) -> OpenSshConfig:
    """``ssh -G`` output (``keyword value`` lines) as a config."""
    values: dict[str, tuple[str, ...]] = {}
    for line in output.splitlines():
        keyword, _, value = line.strip().partition(" ")
        if keyword:
            values[keyword.lower()] = (*values.get(keyword.lower(), ()), value.strip())
    return OpenSshConfig(values)


class OpenSsh:
    """Asks ``ssh -G`` once per distinct question for the whole run (a small cache)."""

    def __init__(self, config_file: str | None = None) -> None:
        self.config_file = config_file
        self._answers: dict[tuple[str, ...], asyncio.Future[OpenSshConfig]] = {}

    async def defaults(self) -> OpenSshConfig:
        """OpenSSH's own defaults (no configuration file): the yardstick for "outdated"."""
        return await self._cached((SSH, "-G", "-F", "none", "--", "defaults.invalid"))

    def argv(self, args: Sequence[str], host: str) -> tuple[str, ...]:
        extra = ("-F", self.config_file) if self.config_file else ()
        return (SSH, "-G", *args, *extra, "--", host)

    async def effective(self, args: Sequence[str], host: str) -> OpenSshConfig:
        """OpenSSH's settings for ``host`` given Ansible's ``args``; raises ConnectError kinds."""
        return await self._cached(self.argv(args, host))

    async def _cached(self, key: tuple[str, ...]) -> OpenSshConfig:
        """One ``ssh -G`` per question, shared by every host that asks it (failures too:
        OpenSSH answers the same arguments the same way)."""
        if key not in self._answers:
            self._answers[key] = asyncio.ensure_future(ask(key))
        return await asyncio.shield(self._answers[key])


async def ask(argv: Sequence[str]) -> OpenSshConfig:
    """Run ``argv`` (an ``ssh -G`` command line) and parse its answer."""
    if shutil.which(argv[0]) is None:
        raise SshClientMissing(
            "the OpenSSH client (ssh) is not installed: the auditor asks it for each host's "
            "settings, as Ansible uses it (install openssh-client)"
        )
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(_TIMEOUT_S):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise SshConfigInvalid(f"ssh -G did not answer within {_TIMEOUT_S:g}s") from None
    if process.returncode != 0:
        said = " ".join(err.decode("utf-8", "replace").split()) or f"exit {process.returncode}"
        raise SshConfigInvalid(f"OpenSSH refuses the settings: {said}")
    return parse(out.decode("utf-8", "replace"))
