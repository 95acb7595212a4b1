"""The auditor's exceptions, one tree.

::

    AuditorError                      anything the auditor raises on purpose
    ├── ConfigError                   bad input from the user, reported in one line
    │   ├── ProfileError              the contract profile (file:line: what is wrong)
    │   ├── InventoryError            an inventory source that cannot be used at all
    │   └── HistoryError              the history store cannot be used (URL, server, schema)
    │       └── HistoryBusy           another run holds the store (exit code 6)
    └── TransportError                reaching a host failed; carries Stage, code and params
        ├── ResolveError              management address does not resolve      (stage resolve)
        ├── ConnectError              the management port cannot be used        (stage connect)
        │   ├── ConnectRefused        RST: nothing listens
        │   ├── ConnectTimeout        no answer (filtered, or the device is off)
        │   ├── ConnectUnreachable    ICMP unreachable, no route
        │   ├── UnsupportedConnection a connection type this version cannot drive
        │   ├── SshHandshakeFailed    TCP worked, the SSH protocol did not
        │   ├── SshAlgorithmsOutdated the server offers only algorithms OpenSSH no longer accepts
        │   ├── SshClientMissing      no OpenSSH client to ask for the host's settings
        │   ├── SshConfigInvalid      OpenSSH refuses the host's options or ssh_config
        │   ├── LoginTimeout          handshake and login did not finish in time
        │   ├── WinrmTlsFailed        TCP worked, TLS to the WinRM listener did not
        │   ├── WinrmNoAnswer         the WinRM service took the request and never answered
        │   ├── WinrmDropped          the WinRM service closed the connection without an answer
        │   ├── WinrmHttpError        the WinRM service answered with an HTTP error
        │   └── WinrmClientUnusable   the host's WinRM settings cannot be used by this client
        ├── HostKeyError              server identity not trusted               (stage hostkey)
        │   ├── HostKeyChanged        differs from a recorded key: security finding
        │   ├── HostKeyUnknown        not recorded and the policy is strict
        │   └── WinrmCertUntrusted    the WinRM listener's TLS certificate is not trusted
        ├── AuthError                 credentials refused                       (stage auth)
        │   ├── CredentialsMissing    the inventory offered no usable credential
        │   └── WinrmAccessDenied     logged in, but the account may not use WinRM
        └── PayloadError              the payload did not deliver observations  (stage probe)
            ├── PayloadTimeout        deadline passed; keeps the partial output
            │   └── PayloadNotStarted the login worked, the payload never started
            └── PayloadMalformed      output was not one well-formed document

Every ``TransportError`` class names the finding ``code`` it stands for
(``connect.refused``, ``hostkey.changed``, ...) and an instance carries the
facts the words need as ``params`` (address, port, errno, connection), so the
judge decides owner and verdict from types, never from message text.
Transports map library exceptions to these in one function each; the engine
turns them into ``HostResult`` values, so no exception crosses the host boundary.
Messages are one line and never contain a secret.
"""

from __future__ import annotations

from auditor.model import Stage


class Terminated(BaseException):
    """SIGTERM (systemd stop, a timeout): unwinds like Ctrl-C, so the run is marked interrupted
    and what finished is still reported."""


class AuditorError(Exception):
    """Root of everything the auditor raises on purpose."""


class OutputError(AuditorError):
    """A report, results or mail file could not be written (disk full, read-only, gone);
    the previous file is untouched. One line, naming the file."""


class ConfigError(AuditorError):
    """User input (profile, inventory, command line) that cannot be used."""


class ProfileError(ConfigError):
    """A contract profile that does not load; ``str()`` is ``file:line: what``."""


class InventoryError(ConfigError):
    """An inventory source that cannot be used at all."""


class HistoryError(ConfigError):
    """The history store cannot be used (bad URL, unreachable, another schema); one line."""


class HistoryBusy(HistoryError):
    """Another run holds the history store: nothing was audited (exit code 6)."""


class TransportError(AuditorError):
    """Reaching or running on a host failed at ``stage``; ``code`` names the finding.

    ``params`` are plain facts for the report's words (``address``, ``port``,
    ``errno``, ``connection``, ``via``); never a secret.
    """

    stage: Stage = Stage.CONNECT
    code: str = "connect.failed"

    def __init__(self, message: str, **params: str | int | float | None) -> None:
        super().__init__(message)
        self.params = {k: v for k, v in params.items() if v is not None}


class ResolveError(TransportError):
    stage = Stage.RESOLVE
    code = "resolve.failed"


class ConnectError(TransportError):
    stage = Stage.CONNECT
    code = "connect.failed"


class ConnectRefused(ConnectError):
    code = "connect.refused"


class ConnectTimeout(ConnectError):
    code = "connect.timeout"


class ConnectUnreachable(ConnectError):
    code = "connect.unreachable"


class UnsupportedConnection(ConnectError):
    code = "connect.unsupported"


class SshHandshakeFailed(ConnectError):
    code = "ssh.handshake_failed"


class LoginTimeout(ConnectError):
    code = "ssh.login_timeout"


class SshAlgorithmsOutdated(ConnectError):
    """Params name the server's offer per category (``kex``, ``host_key``, ``cipher``, ``mac``)."""

    code = "ssh.algorithms_outdated"


class SshClientMissing(ConnectError):
    code = "ssh.client_missing"


class SshConfigInvalid(ConnectError):
    code = "ssh.config_invalid"


class WinrmTlsFailed(ConnectError):
    """The listener speaks no TLS we can use (an http listener on the https port, old TLS)."""

    code = "winrm.tls_failed"


class WinrmNoAnswer(ConnectError):
    """TCP and TLS worked, but no WS-Management answer came in time (an overloaded host)."""

    code = "winrm.no_answer"


class WinrmDropped(ConnectError):
    """The connection was closed without an answer (a proxy, an IPS, a crashed listener)."""

    code = "winrm.connection_dropped"


class WinrmHttpError(ConnectError):
    """An HTTP status other than 401 (a wrong ``ansible_winrm_path`` is a 404)."""

    code = "winrm.http_error"


class WinrmClientUnusable(ConnectError):
    """The inventory asks for something this client cannot do (kerberos without its library)."""

    code = "winrm.client_unusable"


class HostKeyError(TransportError):
    stage = Stage.HOSTKEY
    code = "hostkey.unknown"


class HostKeyChanged(HostKeyError):
    """The host presented a key different from the recorded one: never audited."""

    code = "hostkey.changed"


class HostKeyUnknown(HostKeyError):
    """No recorded key and the policy does not allow recording one."""


class WinrmCertUntrusted(HostKeyError):
    """The HTTPS listener presented a certificate the controller does not trust.

    Its own reason, not "unreachable": the host answered, and the MSP either
    trusts the listener's CA (``ansible_winrm_ca_trust_path``) or the customer's
    IT gives the listener a certificate from a trusted CA.
    """

    code = "winrm.certificate_untrusted"


class AuthError(TransportError):
    stage = Stage.AUTH
    code = "credentials.refused"


class CredentialsMissing(AuthError):
    """Login refused and the inventory gave no password and no usable key file.

    Not the same evidence as a refused credential: the MSP's inventory lacks
    one (requirements.md, admin state ``credentials_missing``).
    """

    code = "credentials.missing"


class WinrmAccessDenied(AuthError):
    """The login worked but WinRM refused the account (not an administrator or remote user)."""

    code = "credentials.winrm_denied"


class PayloadError(TransportError):
    stage = Stage.PROBE
    code = "probe.failed"


class PayloadTimeout(PayloadError):
    """The payload did not finish before the host deadline."""

    code = "probe.timeout"

    def __init__(
        self, message: str, partial_output: bytes = b"", **params: str | int | float | None
    ) -> None:
        super().__init__(message, **params)
        self.partial_output = partial_output


class PayloadNotStarted(PayloadTimeout):
    """The host took the login but never started the payload (a ForceCommand, a hung shell)."""

    code = "probe.not_started"


class PayloadMalformed(PayloadError):
    """The host's output was not one well-formed observation document."""

    code = "probe.malformed"
