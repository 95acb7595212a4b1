"""The auditor's exceptions, one tree.

::

    AuditorError                      anything the auditor raises on purpose
    ├── ConfigError                   bad input from the user, reported in one line
    │   ├── ProfileError              the contract profile (file:line: what is wrong)
    │   └── InventoryError            an inventory source that cannot be used at all
    └── TransportError                reaching a host failed; carries the Stage it failed at
        ├── ResolveError              management address does not resolve      (stage resolve)
        ├── ConnectError              TCP to the management port failed         (stage connect)
        ├── HostKeyError              host key not trusted                      (stage hostkey)
        │   ├── HostKeyChanged        differs from a recorded key: security finding
        │   └── HostKeyUnknown        not recorded and the policy is strict
        ├── AuthError                 credentials refused or missing            (stage auth)
        │   └── CredentialsMissing    the inventory offered no usable credential
        └── PayloadError              the payload did not deliver observations  (stage probe)
            ├── PayloadTimeout        deadline passed; keeps the partial output
            └── PayloadMalformed      output was not one well-formed document

Transports map library exceptions to these in one function each; the engine
turns them into ``HostResult`` values, so no exception crosses the host boundary.
Messages are one line and never contain a secret.
"""

from __future__ import annotations

from auditor.model import Stage


class AuditorError(Exception):
    """Root of everything the auditor raises on purpose."""


class ConfigError(AuditorError):
    """User input (profile, inventory, command line) that cannot be used."""


class ProfileError(ConfigError):
    """A contract profile that does not load; ``str()`` is ``file:line: what``."""


class InventoryError(ConfigError):
    """An inventory source that cannot be used at all."""


class TransportError(AuditorError):
    """Reaching or running on a host failed at ``stage``."""

    stage: Stage = Stage.CONNECT


class ResolveError(TransportError):
    stage = Stage.RESOLVE


class ConnectError(TransportError):
    stage = Stage.CONNECT


class HostKeyError(TransportError):
    stage = Stage.HOSTKEY


class HostKeyChanged(HostKeyError):
    """The host presented a key different from the recorded one: never audited."""


class HostKeyUnknown(HostKeyError):
    """No recorded key and the policy does not allow recording one."""


class AuthError(TransportError):
    stage = Stage.AUTH


class CredentialsMissing(AuthError):
    """Login refused and the inventory gave no password and no usable key file.

    Not the same evidence as a refused credential: the MSP's inventory lacks
    one (requirements.md, admin state ``credentials_missing``).
    """


class PayloadError(TransportError):
    stage = Stage.PROBE


class PayloadTimeout(PayloadError):
    """The payload did not finish before the host deadline."""

    def __init__(self, message: str, partial_output: bytes = b"") -> None:
        super().__init__(message)
        self.partial_output = partial_output


class PayloadMalformed(PayloadError):
    """The host's output was not one well-formed observation document."""
