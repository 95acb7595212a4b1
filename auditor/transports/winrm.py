"""WinRM transport: Windows hosts over WS-Management, with pywinrm, each failure a stage.

Settings are the host's Ansible winrm (or psrp) variables, read as the
plugins read them (:mod:`auditor.inventory.winrm_vars`): endpoint, the
authentication transports to try in order, certificate validation and CA
path, message encryption, timeouts, proxy.

The stages, as for SSH, each with its own finding code:

* ``resolve`` and ``connect``: on the event loop (:mod:`.reach`), before
  pywinrm sees the host, so refused, filtered and unreachable are told apart
  with the errno, within the profile's connect timeout. For an https
  listener the same socket then does one TLS handshake *without* verifying,
  only to record the certificate the listener presents (its fingerprint,
  subject and issuer go into :attr:`access`, and name the certificate when
  it is not trusted). A listener that speaks no TLS fails here
  (``winrm.tls_failed``). Skipped when a proxy carries the connection.
* ``hostkey`` (server identity): pywinrm's own HTTPS verification, with the
  host's ``server_cert_validation`` and ``ca_trust_path``, as Ansible would
  verify. An untrusted certificate is ``winrm.certificate_untrusted``.
* ``auth``: HTTP 401 is a refused credential, never "unreachable"; a login
  WinRM accepts but whose account may not use it is ``credentials.winrm_denied``.
* ``probe``: one command: the PowerShell bootstrap, with the payload on stdin
  in chunks, then its output until it is done or the deadline passes.

pywinrm is synchronous and will stay so: every call runs in the run's one
thread pool (sized by ``--forks``) and carries its own deadline, so a slow
host never blocks the event loop nor holds a thread beyond its budget.
"""

from __future__ import annotations

import asyncio
import http.client
import ipaddress
import math
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
import urllib3.exceptions
import winrm.exceptions
import winrm.transport
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from winrm.protocol import Protocol

from auditor.errors import (
    AuthError,
    ConnectError,
    ConnectRefused,
    ConnectTimeout,
    ConnectUnreachable,
    CredentialsMissing,
    PayloadError,
    PayloadTimeout,
    ResolveError,
    TransportError,
    WinrmAccessDenied,
    WinrmCertUntrusted,
    WinrmClientUnusable,
    WinrmDropped,
    WinrmHttpError,
    WinrmNoAnswer,
    WinrmTlsFailed,
)
from auditor.inventory.winrm_vars import AUTH_EXTRAS
from auditor.model import Stage, Target, WinrmOptions
from auditor.transports.base import StartSignal, TransportResult
from auditor.transports.reach import UNREACHABLE, open_tcp, resolve

MAX_OUTPUT_BYTES = 2_000_000  # a hostile host cannot make us buffer more than this
STDIN_CHUNK = (
    32 * 1024
)  # raw bytes per Send: ~44 KiB of base64, far under the 150 KiB envelope of old Windows
CLOSE_TIMEOUT_S = 5
_ACCESS_DENIED = 5  # the WSManFault code of "Access is denied."
_WITH_PASSWORD = frozenset({"basic", "plaintext", "ssl", "ntlm", "credssp"})
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class WinrmSettings:
    """How every WinRM connection of a run behaves; one value per run."""

    connect_timeout_s: float = 10.0  # TCP (and the certificate peek) to the listener
    login_timeout_s: float = 15.0  # authentication and opening the shell


class WinrmTransport:
    """One WinRM shell on one host; see the module docstring for the stages."""

    def __init__(self, target: Target, settings: WinrmSettings, pool: Executor) -> None:
        self._target = target
        self._options = target.winrm or WinrmOptions()
        self._settings = settings
        self._pool = pool
        self._protocol: Protocol | None = None
        self._shell: str | None = None
        options = self._options
        self.access: dict[str, Any] = {
            "transport": "winrm",
            "plugin": options.plugin,
            "address": target.address,
            "port": options.port,
            "scheme": options.scheme,
            "endpoint": options.endpoint(target.address),
            "path": options.path,
            "user": target.user,
            "auth": list(options.auth),
            "cert_validation": options.cert_validation,
            "message_encryption": options.message_encryption,
        }
        if options.ca_trust_path:
            self.access["ca_trust_path"] = options.ca_trust_path

    @property
    def _facts(self) -> dict[str, str | int | float | None]:
        return {"address": self._target.address, "port": self._options.port, "connection": "winrm"}

    # --- connect -----------------------------------------------------------------
    async def connect(self, deadline: float) -> None:
        """Resolve, TCP (and certificate peek), then authenticate and open the shell by ``deadline``."""
        loop = asyncio.get_running_loop()
        options, address = self._options, self._target.address
        if not self._proxied():
            family, ip = await resolve(address, options.port)
            budget = max(0.1, min(self._settings.connect_timeout_s, deadline - loop.time()))
            sock = await open_tcp(family, ip, options.port, budget, "winrm")
            self.access["ip"] = ip
            if options.scheme == "https":
                await self._peek_certificate(sock, budget)
            else:
                sock.close()
        missing = self._missing_credentials()
        if missing:
            raise CredentialsMissing(missing, user=self._target.user, **self._facts)
        until = _monotonic(deadline)
        await self._in_pool(lambda: self._open_session(until))

    def _proxied(self) -> bool:
        """Whether requests would go through a proxy: then only the proxy is ours to reach."""
        if self._options.no_proxy:
            return False
        if self._options.proxy:
            return True
        endpoint = self._options.endpoint(self._target.address)
        return bool(requests.utils.get_environ_proxies(endpoint))

    async def _peek_certificate(self, sock: socket.socket, timeout_s: float) -> None:
        """Record what the listener presents; no trust decision is made here."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        address = self._target.address
        try:
            async with asyncio.timeout(timeout_s):
                _, writer = await asyncio.open_connection(
                    sock=sock, ssl=context, server_hostname="" if _is_ip(address) else address
                )
        except TimeoutError:
            sock.close()
            raise WinrmTlsFailed(
                f"{address}:{self._options.port}: no TLS handshake within {timeout_s:g}s",
                reason="no TLS handshake in time",
                **self._facts,
            ) from None
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise WinrmTlsFailed(
                f"{address}:{self._options.port} does not speak TLS ({_one_line(exc)}); "
                "an http listener needs ansible_winrm_scheme=http",
                reason=_one_line(exc),
                **self._facts,
            ) from None
        try:
            tls = writer.get_extra_info("ssl_object")
            der = tls.getpeercert(binary_form=True) if tls is not None else None
            if der:
                self.access["certificate"] = certificate_facts(der)
        finally:
            writer.close()

    def _missing_credentials(self) -> str | None:
        """Why no transport can even try (pywinrm would raise at construction)."""
        needs_password = [a for a in self._options.auth if a in _WITH_PASSWORD]
        if len(needs_password) < len(self._options.auth):
            return None  # kerberos (a ticket) or certificate auth need no password here
        if not self._target.user:
            return "no user for the WinRM login (ansible_user)"
        if self._target.password is None:
            return "no password for the WinRM login (ansible_password)"
        return None

    def _open_session(self, deadline: float) -> None:
        """Try each authentication transport in order, as Ansible does; keep the first shell."""
        failures: list[TransportError] = []
        for auth in self._options.auth:
            try:
                protocol = self._new_protocol(auth, deadline)
                shell = protocol.open_shell(codepage=65001)  # UTF-8, as Ansible opens it
            except Exception as exc:
                failures.append(classify(exc, Stage.CONNECT, self._facts, self.access, auth))
                continue
            self._protocol, self._shell = protocol, shell
            self.access["auth_used"] = auth
            self.access["encrypted"] = _encryption(self._options, auth)
            return
        raise max(failures, key=lambda f: _STAGE_ORDER.index(f.stage))

    def _new_protocol(self, auth: str, deadline: float) -> Protocol:
        if auth in AUTH_EXTRAS and not _has_library(auth):
            raise WinrmClientUnusable(
                f"WinRM transport {auth} needs {AUTH_EXTRAS[auth]} on the controller",
                reason=f"{auth} needs {AUTH_EXTRAS[auth]}",
                **self._facts,
            )
        options = self._options
        read, operation = _timeouts(options, deadline)
        proxy: str | None = "legacy_requests" if not options.no_proxy else None
        password = self._target.password
        # Validated strings (inventory/winrm_vars.py) where pywinrm's stubs want literals.
        kwargs: dict[str, Any] = {
            "transport": auth,
            "server_cert_validation": options.cert_validation,
            "message_encryption": options.message_encryption,
        }
        return Protocol(
            endpoint=options.endpoint(self._target.address),
            username=self._target.user,
            password=password.reveal() if password else None,
            ca_trust_path=options.ca_trust_path or "legacy_requests",
            cert_pem=options.cert_pem,
            cert_key_pem=options.cert_key_pem,
            read_timeout_sec=read,
            operation_timeout_sec=operation,
            send_cbt=options.send_cbt,
            proxy=options.proxy or proxy,
            kerberos_delegation=options.kerberos_delegation,
            kerberos_hostname_override=options.kerberos_hostname_override,
            service=options.service,
            credssp_disable_tlsv1_2=options.credssp_disable_tlsv1_2,
            **kwargs,
        )

    # --- run ---------------------------------------------------------------------
    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: StartSignal | None = None
    ) -> TransportResult:
        """Run ``command`` with ``stdin`` in the shell; PayloadTimeout (with output) on timeout."""
        if self._protocol is None or self._shell is None:
            raise ConnectError("not connected", **self._facts)
        deadline = time.monotonic() + timeout_s
        return await self._in_pool(lambda: self._run(command, stdin, deadline))

    def _run(self, command: str, stdin: bytes, deadline: float) -> TransportResult:
        assert self._protocol is not None and self._shell is not None
        protocol, shell, started = self._protocol, self._shell, time.monotonic()
        stdout, stderr = bytearray(), bytearray()
        try:
            command_id = protocol.run_command(shell, command, console_mode_stdin=False)
        except Exception as exc:
            raise classify(exc, Stage.PROBE, self._facts, self.access) from None
        try:
            chunks = [stdin[i : i + STDIN_CHUNK] for i in range(0, len(stdin), STDIN_CHUNK)]
            for n, chunk in enumerate(chunks or [b""]):
                protocol.send_command_input(shell, command_id, chunk, end=n == len(chunks) - 1)
            for _ in range(100_000):  # bounded: each round waits up to the operation timeout
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                _bound(protocol, left)
                try:
                    out, err, code, done = protocol.get_command_output_raw(shell, command_id)
                except winrm.exceptions.WinRMOperationTimeoutError:
                    continue  # no output yet: WS-Management says so after its operation timeout
                stdout += out[: MAX_OUTPUT_BYTES - len(stdout)]
                stderr += err[: MAX_OUTPUT_BYTES - len(stderr)]
                if done:
                    return TransportResult(
                        code, bytes(stdout), bytes(stderr), time.monotonic() - started
                    )
        except PayloadTimeout:
            raise
        except Exception as exc:
            raise classify(exc, Stage.PROBE, self._facts, self.access) from None
        finally:
            _quietly(lambda: protocol.cleanup_command(shell, command_id), protocol)
        raise PayloadTimeout(
            "the payload did not finish before the deadline", partial_output=bytes(stdout)
        )

    # --- close ---------------------------------------------------------------------
    async def close(self) -> None:
        """Delete the shell (best effort, bounded); never raises."""
        protocol, shell = self._protocol, self._shell
        self._protocol = self._shell = None
        if protocol is None or shell is None:
            return

        def delete() -> None:
            _quietly(lambda: protocol.close_shell(shell), protocol)

        try:
            await asyncio.wait_for(self._in_pool(delete), CLOSE_TIMEOUT_S + 2)
        except Exception:
            return  # the thread ends by itself within its read timeout

    async def _in_pool(self, work: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)


# --- helpers ------------------------------------------------------------------------
_STAGE_ORDER = [Stage.RESOLVE, Stage.CONNECT, Stage.HOSTKEY, Stage.AUTH, Stage.PROBE]


def _monotonic(loop_deadline: float) -> float:
    """The event loop's clock is ``time.monotonic`` (asyncio's default)."""
    return loop_deadline - asyncio.get_running_loop().time() + time.monotonic()


def _timeouts(options: WinrmOptions, deadline: float) -> tuple[int, int]:
    """(read, operation) seconds: the host's settings, but never past our deadline."""
    left = max(2, math.ceil(deadline - time.monotonic()))
    read = max(2, min(options.read_timeout_s, left))
    return read, max(1, min(options.operation_timeout_s, read - 1))


def _bound(protocol: Protocol, left: float) -> None:
    """Shrink the next Receive to what is left of the deadline (pywinrm reads these per call)."""
    operation = max(1, min(int(protocol.operation_timeout_sec), math.ceil(left)))
    protocol.operation_timeout_sec = operation
    protocol.transport.read_timeout_sec = operation + 5


def _quietly(work: Callable[[], object], protocol: Protocol) -> None:
    """Clean-up calls: short timeouts, and no error may mask the real result."""
    try:
        protocol.operation_timeout_sec = min(
            int(protocol.operation_timeout_sec), CLOSE_TIMEOUT_S - 1
        )
        protocol.transport.read_timeout_sec = CLOSE_TIMEOUT_S
        work()
    except Exception:
        return


def _encryption(options: WinrmOptions, auth: str) -> str:
    """What protects the messages: ``tls``, ``message`` (NTLM/Kerberos/CredSSP sealing), ``none``."""
    if options.scheme == "https":
        return "tls"
    if auth in ("ntlm", "kerberos", "credssp") and options.message_encryption != "never":
        return "message"
    return "none"


def _has_library(auth: str) -> bool:
    flag = {"kerberos": "HAVE_KERBEROS", "credssp": "HAVE_CREDSSP"}[auth]
    return bool(getattr(winrm.transport, flag))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _one_line(exc: BaseException, limit: int = 160) -> str:
    return " ".join(str(exc).split())[:limit] or type(exc).__name__


def certificate_facts(der: bytes) -> dict[str, object]:
    """Fingerprint, names and expiry of a DER certificate (evidence; never a trust decision)."""
    cert = x509.load_der_x509_certificate(der)
    return {
        "sha256": cert.fingerprint(hashes.SHA256()).hex(),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "self_signed": cert.subject == cert.issuer,
    }


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception behind it (causes, contexts, urllib3's ``reason``)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 16:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        yield current
        nested = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        nested += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        todo += [n for n in nested if isinstance(n, BaseException)]


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    return next((e for e in _chain(exc) if isinstance(e, kind)), None)


def classify(
    exc: BaseException,
    stage: Stage,
    facts: dict[str, str | int | float | None],
    access: dict[str, Any],
    auth: str | None = None,
) -> TransportError:
    """The auditor's error for a pywinrm/requests failure at ``stage`` (connect or probe)."""
    if isinstance(exc, TransportError):
        return exc
    where = f"{facts.get('address')}:{facts.get('port')}"
    if isinstance(exc, winrm.exceptions.InvalidCredentialsError):
        return AuthError(
            f"the WinRM service at {where} refused the credentials ({auth or 'login'}: HTTP 401)",
            user=access.get("user"),
            **facts,
        )
    if isinstance(exc, winrm.exceptions.WSManFaultError):
        if exc.wsman_fault_code == _ACCESS_DENIED or exc.wmierror_code == _ACCESS_DENIED:
            return WinrmAccessDenied(
                f"WinRM at {where} accepted the login but denied access: {_one_line(Exception(exc.reason))}",
                user=access.get("user"),
                **facts,
            )
        return WinrmHttpError(
            f"WinRM at {where} answered with a fault (HTTP {exc.code}): {_one_line(Exception(exc.reason))}",
            status=exc.code,
            reason=_one_line(Exception(exc.reason)),
            **facts,
        )
    if isinstance(exc, winrm.exceptions.WinRMTransportError):
        return WinrmHttpError(
            f"WinRM at {where} answered HTTP {exc.code}",
            status=exc.code,
            path=access.get("path"),
            **facts,
        )
    if isinstance(exc, winrm.exceptions.WinRMOperationTimeoutError):
        return WinrmNoAnswer(f"WinRM at {where} gave no answer in time", **facts)
    if isinstance(exc, winrm.exceptions.WinRMError):
        return WinrmClientUnusable(
            f"WinRM settings for {where} cannot be used: {_one_line(exc)}",
            reason=_one_line(exc),
            **facts,
        )
    if isinstance(exc, requests.exceptions.SSLError):
        return _tls_error(exc, where, facts, access)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ConnectTimeout(f"no answer from {where}", **facts)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        if stage is Stage.PROBE:
            return PayloadTimeout(f"WinRM at {where} stopped answering during the probe")
        return WinrmNoAnswer(
            f"WinRM at {where} accepted the connection but did not answer in time", **facts
        )
    if isinstance(exc, requests.exceptions.ConnectionError | http.client.HTTPException | OSError):
        return _connection_error(exc, stage, where, facts)
    raise exc


def _tls_error(
    exc: BaseException,
    where: str,
    facts: dict[str, str | int | float | None],
    access: dict[str, Any],
) -> TransportError:
    verify = _find(exc, ssl.SSLCertVerificationError)
    if verify is None:
        return WinrmTlsFailed(
            f"TLS to the WinRM listener at {where} failed: {_one_line(exc)}",
            reason=_one_line(exc),
            **facts,
        )
    presented = access.get("certificate") or {}
    reason = getattr(verify, "verify_message", None) or _one_line(verify)
    return WinrmCertUntrusted(
        f"the WinRM listener at {where} presented a certificate this controller does not "
        f"trust ({reason})",
        reason=str(reason),
        subject=presented.get("subject"),
        issuer=presented.get("issuer"),
        **facts,
    )


def _connection_error(
    exc: BaseException, stage: Stage, where: str, facts: dict[str, str | int | float | None]
) -> TransportError:
    if _find(exc, socket.gaierror) or _find(exc, urllib3.exceptions.NameResolutionError):
        return ResolveError(
            f"{where} does not resolve: {_one_line(exc)}", address=facts.get("address")
        )
    refused = _find(exc, ConnectionRefusedError)
    if refused is not None:
        return ConnectRefused(
            f"TCP {where} refused (nothing listens?)", errno="ECONNREFUSED", **facts
        )
    unreachable = next(
        (e for e in _chain(exc) if isinstance(e, OSError) and e.errno in UNREACHABLE), None
    )
    if unreachable is not None:
        return ConnectUnreachable(f"TCP {where} unreachable: {_one_line(unreachable)}", **facts)
    dropped = (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError,
               http.client.IncompleteRead, BrokenPipeError)  # fmt: skip
    if any(isinstance(e, dropped) for e in _chain(exc)):
        if stage is Stage.PROBE:
            return PayloadError(f"WinRM at {where} dropped the connection during the probe")
        return WinrmDropped(f"WinRM at {where} closed the connection without an answer", **facts)
    return ConnectError(f"WinRM at {where}: {_one_line(exc)}", **facts)
