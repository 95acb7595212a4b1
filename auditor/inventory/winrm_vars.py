"""How Ansible's winrm and psrp connection plugins read a Windows host's variables.

Pure: no pywinrm import, no I/O. The result, :class:`WinrmOptions`, is what
the auditor's WinRM transport hands to pywinrm, so a host is reached with
the endpoint, authentication and certificate policy the MSP's Ansible uses.

``ansible_connection: winrm`` (ansible-core 2.19, ``plugins/connection/winrm.py``):

* port: ``ansible_port`` / ``ansible_winrm_port``, default **5986**;
  scheme: ``ansible_winrm_scheme``, else ``http`` when the port is 5985,
  else ``https``; path: ``ansible_winrm_path``, default ``/wsman``.
* transport: ``ansible_winrm_transport`` (a list, or a comma-separated
  string), else ``kerberos`` for a UPN user (``user@domain``), else ``ssl``
  over https and ``plaintext`` over http (both are HTTP Basic in pywinrm).
  Ansible tries the listed transports in order; so does the auditor.
* every other ``ansible_winrm_<arg>`` that names an argument of pywinrm's
  ``Protocol`` is passed through: ``server_cert_validation``,
  ``ca_trust_path``, ``message_encryption``, ``operation_timeout_sec``,
  ``read_timeout_sec``, ``cert_pem``, ``cert_key_pem``, ``send_cbt``,
  ``proxy``, ``kerberos_delegation``, ``kerberos_hostname_override``,
  ``credssp_disable_tlsv1_2``, ``service``. ``ansible_winrm_connection_timeout``
  sets the operation timeout and the read timeout (plus 10 s), as Ansible does.

``ansible_connection: psrp`` reaches the same WS-Management listener; its
``ansible_psrp_*`` options are mapped onto the same settings (protocol,
port, path, auth, cert_validation, ca_cert, connection/read/operation
timeouts, message_encryption, proxy, ignore_proxy). The auditor runs its
payload over WinRS either way, so ``negotiate`` (psrp's default) is done as
NTLM, and a custom ``ansible_psrp_configuration_name`` (a JEA endpoint)
cannot be honoured: that is a problem for the host, not a silent change.

Values the plugins would refuse (an unknown scheme, transport or
validation mode, a timeout that is not a whole number) become problems
naming the variable, and the host is not contacted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from auditor.inventory.var_reader import Problem, VarReader
from auditor.model import DEFAULT_OPERATION_TIMEOUT_S, DEFAULT_READ_TIMEOUT_S, WinrmOptions

# pywinrm's transports (winrm.FEATURE_SUPPORTED_AUTHTYPES of 0.5).
AUTH_TYPES = ("basic", "certificate", "ntlm", "kerberos", "credssp", "plaintext", "ssl")
# Extra Python packages each transport needs beyond pywinrm itself.
AUTH_EXTRAS = {"kerberos": "pywinrm[kerberos]", "credssp": "pywinrm[credssp]"}

# Every winrm/psrp variable this module reads (hostvars.py templates only these).
WINRM_VARS = (
    "ansible_winrm_scheme",
    "ansible_winrm_path",
    "ansible_winrm_transport",
    "ansible_winrm_server_cert_validation",
    "ansible_winrm_ca_trust_path",
    "ansible_winrm_message_encryption",
    "ansible_winrm_operation_timeout_sec",
    "ansible_winrm_read_timeout_sec",
    "ansible_winrm_connection_timeout",
    "ansible_winrm_cert_pem",
    "ansible_winrm_cert_key_pem",
    "ansible_winrm_send_cbt",
    "ansible_winrm_proxy",
    "ansible_winrm_kerberos_delegation",
    "ansible_winrm_kerberos_hostname_override",
    "ansible_winrm_credssp_disable_tlsv1_2",
    "ansible_winrm_service",
)
PSRP_VARS = (
    "ansible_psrp_protocol",
    "ansible_psrp_path",
    "ansible_psrp_auth",
    "ansible_psrp_cert_validation",
    "ansible_psrp_cert_trust_path",
    "ansible_psrp_ca_cert",
    "ansible_psrp_connection_timeout",
    "ansible_psrp_read_timeout",
    "ansible_psrp_operation_timeout",
    "ansible_psrp_message_encryption",
    "ansible_psrp_proxy",
    "ansible_psrp_ignore_proxy",
    "ansible_psrp_certificate_pem",
    "ansible_psrp_certificate_key_pem",
    "ansible_psrp_negotiate_send_cbt",
    "ansible_psrp_negotiate_delegate",
    "ansible_psrp_negotiate_hostname_override",
    "ansible_psrp_negotiate_service",
    "ansible_psrp_credssp_disable_tlsv1_2",
    "ansible_psrp_configuration_name",
)
_PSRP_AUTH = {
    "negotiate": "ntlm",  # SPNEGO; the auditor's WinRS client speaks its NTLM half
    "ntlm": "ntlm",
    "basic": "basic",
    "certificate": "certificate",
    "kerberos": "kerberos",
    "credssp": "credssp",
}
_AUTH_MEANING = {"plaintext": "HTTP Basic", "ssl": "HTTP Basic over HTTPS"}  # pywinrm's names


def winrm_options(
    values: Mapping[str, object], port: int | None, user: str | None
) -> tuple[WinrmOptions, tuple[Problem, ...]]:
    """The winrm plugin's settings from a host's variables (``port``, ``user`` already resolved)."""
    read = VarReader(values, [])
    chosen_port = port or 5986
    scheme = read.choice("ansible_winrm_scheme", ("http", "https"), "")
    scheme = scheme or ("http" if chosen_port == 5985 else "https")
    auth = _auth_list(read, scheme, user)
    operation = read.integer("ansible_winrm_operation_timeout_sec")
    read_timeout = read.integer("ansible_winrm_read_timeout_sec")
    connection = read.integer("ansible_winrm_connection_timeout")
    if connection is not None:  # Ansible: both, read 10 s above operation
        operation, read_timeout = connection, connection + 10
    options = WinrmOptions(
        scheme=scheme,
        port=chosen_port,
        path=read.text("ansible_winrm_path") or "/wsman",
        auth=auth,
        cert_validation=read.choice(
            "ansible_winrm_server_cert_validation", ("validate", "ignore"), "validate"
        ),
        ca_trust_path=read.text("ansible_winrm_ca_trust_path"),
        message_encryption=read.choice(
            "ansible_winrm_message_encryption", ("auto", "always", "never"), "auto"
        ),
        operation_timeout_s=operation or DEFAULT_OPERATION_TIMEOUT_S,
        read_timeout_s=read_timeout or DEFAULT_READ_TIMEOUT_S,
        cert_pem=read.text("ansible_winrm_cert_pem"),
        cert_key_pem=read.text("ansible_winrm_cert_key_pem"),
        send_cbt=read.boolean("ansible_winrm_send_cbt", True),
        proxy=read.text("ansible_winrm_proxy"),
        kerberos_delegation=read.boolean("ansible_winrm_kerberos_delegation", False),
        kerberos_hostname_override=read.text("ansible_winrm_kerberos_hostname_override"),
        service=read.text("ansible_winrm_service") or "HTTP",
        credssp_disable_tlsv1_2=read.boolean("ansible_winrm_credssp_disable_tlsv1_2", False),
        plugin="winrm",
    )
    return _checked(options, read, "ansible_winrm_read_timeout_sec")


def psrp_options(
    values: Mapping[str, object], port: int | None
) -> tuple[WinrmOptions, tuple[Problem, ...]]:
    """The psrp plugin's settings, mapped onto the same WS-Management endpoint."""
    read = VarReader(values, [])
    protocol = read.choice("ansible_psrp_protocol", ("http", "https"), "")
    if not protocol:
        protocol = "https" if port is None or port != 5985 else "http"
    chosen_port = port or (5986 if protocol == "https" else 5985)
    auth = read.choice("ansible_psrp_auth", tuple(_PSRP_AUTH), "negotiate")
    path = read.text("ansible_psrp_path") or "wsman"
    configuration = read.text("ansible_psrp_configuration_name")
    if configuration and configuration != "Microsoft.PowerShell":
        read.problems.append(
            Problem(
                "ansible_psrp_configuration_name",
                f"ansible_psrp_configuration_name {configuration!r}: the auditor runs its payload "
                "in the default WinRM shell and cannot use a custom session configuration",
            )
        )
    ca_cert = read.text("ansible_psrp_ca_cert") or read.text("ansible_psrp_cert_trust_path")
    options = WinrmOptions(
        scheme=protocol,
        port=chosen_port,
        path="/" + path.lstrip("/"),
        auth=(_PSRP_AUTH[auth],),
        cert_validation=read.choice(
            "ansible_psrp_cert_validation", ("validate", "ignore"), "validate"
        ),
        ca_trust_path=ca_cert,
        message_encryption=read.choice(
            "ansible_psrp_message_encryption", ("auto", "always", "never"), "auto"
        ),
        operation_timeout_s=read.integer("ansible_psrp_operation_timeout")
        or DEFAULT_OPERATION_TIMEOUT_S,
        read_timeout_s=read.integer("ansible_psrp_read_timeout") or DEFAULT_READ_TIMEOUT_S,
        cert_pem=read.text("ansible_psrp_certificate_pem"),
        cert_key_pem=read.text("ansible_psrp_certificate_key_pem"),
        send_cbt=read.boolean("ansible_psrp_negotiate_send_cbt", True),
        proxy=read.text("ansible_psrp_proxy"),
        no_proxy=read.boolean("ansible_psrp_ignore_proxy", False),
        kerberos_delegation=read.boolean("ansible_psrp_negotiate_delegate", False),
        kerberos_hostname_override=read.text("ansible_psrp_negotiate_hostname_override"),
        service=read.text("ansible_psrp_negotiate_service") or "HTTP",
        credssp_disable_tlsv1_2=read.boolean("ansible_psrp_credssp_disable_tlsv1_2", False),
        plugin="psrp",
    )
    return _checked(options, read, "ansible_psrp_read_timeout")


def _auth_list(read: VarReader, scheme: str, user: str | None) -> tuple[str, ...]:
    """``ansible_winrm_transport`` as the plugin reads it, else the plugin's guess."""
    raw = read.values.get("ansible_winrm_transport")
    if raw is None or raw == [] or raw == "":
        if user and "@" in user:
            return ("kerberos",)
        return ("ssl",) if scheme == "https" else ("plaintext",)
    items: list[object] = list(raw) if isinstance(raw, list | tuple) else [*str(raw).split(",")]
    chosen: list[str] = []
    for item in items:
        name = str(item).strip().lower()
        if name not in AUTH_TYPES:
            read.problems.append(
                Problem(
                    "ansible_winrm_transport",
                    f"ansible_winrm_transport {str(item).strip()!r} is not one of "
                    f"{', '.join(AUTH_TYPES)}",
                )
            )
            continue
        chosen.append(name)
    return tuple(dict.fromkeys(chosen)) or (("ssl",) if scheme == "https" else ("plaintext",))


def _checked(
    options: WinrmOptions, read: VarReader, read_timeout_var: str
) -> tuple[WinrmOptions, tuple[Problem, ...]]:
    """pywinrm's own rule: the read timeout must exceed the operation timeout."""
    if options.operation_timeout_s >= options.read_timeout_s:
        read.problems.append(
            Problem(
                read_timeout_var,
                f"the read timeout ({options.read_timeout_s}s) must exceed the operation timeout "
                f"({options.operation_timeout_s}s)",
            )
        )
    for auth in options.auth:
        if auth == "certificate" and not (options.cert_pem and options.cert_key_pem):
            read.problems.append(
                Problem(None, "certificate authentication needs both a cert_pem and a cert_key_pem")
            )
    return options, tuple(read.problems)


OPTION_READERS: Mapping[
    str,
    Callable[
        [Mapping[str, object], int | None, str | None], tuple[WinrmOptions, tuple[Problem, ...]]
    ],
] = {
    "winrm": winrm_options,
    "psrp": lambda values, port, _user: psrp_options(values, port),
}


# Which variables can set each setting, per plugin (for ``auditor inventory --host``).
_SOURCES: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "winrm": {
        "endpoint": ("ansible_host", "ansible_winrm_host", "ansible_port", "ansible_winrm_port",
                     "ansible_winrm_scheme", "ansible_winrm_path"),
        "auth": ("ansible_winrm_transport",),
        "cert_validation": ("ansible_winrm_server_cert_validation",),
        "ca_trust_path": ("ansible_winrm_ca_trust_path",),
        "message_encryption": ("ansible_winrm_message_encryption",),
        "timeouts": ("ansible_winrm_operation_timeout_sec", "ansible_winrm_read_timeout_sec",
                     "ansible_winrm_connection_timeout"),
        "proxy": ("ansible_winrm_proxy",),
    },
    "psrp": {
        "endpoint": ("ansible_host", "ansible_psrp_host", "ansible_port", "ansible_psrp_port",
                     "ansible_psrp_protocol", "ansible_psrp_path"),
        "auth": ("ansible_psrp_auth",),
        "cert_validation": ("ansible_psrp_cert_validation",),
        "ca_trust_path": ("ansible_psrp_ca_cert", "ansible_psrp_cert_trust_path"),
        "message_encryption": ("ansible_psrp_message_encryption",),
        "timeouts": ("ansible_psrp_operation_timeout", "ansible_psrp_read_timeout"),
        "proxy": ("ansible_psrp_proxy", "ansible_psrp_ignore_proxy"),
    },
}  # fmt: skip


def explain(
    options: WinrmOptions, address: str, origins: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """(setting, value, where it came from) for each WinRM setting the auditor uses.

    ``origins``: variable name -> ``file:line`` of every variable the host set.
    """
    values = {
        "endpoint": options.endpoint(address),
        "auth": ", ".join(
            f"{a} ({_AUTH_MEANING[a]})" if a in _AUTH_MEANING else a for a in options.auth
        ),
        "cert_validation": options.cert_validation,
        "ca_trust_path": options.ca_trust_path
        or "(requests' default: REQUESTS_CA_BUNDLE or certifi)",
        "message_encryption": options.message_encryption,
        "timeouts": f"operation {options.operation_timeout_s}s, read {options.read_timeout_s}s",
        "proxy": "none" if options.no_proxy else options.proxy or "(environment)",
    }
    out = []
    for setting, value in values.items():
        names = [n for n in _SOURCES[options.plugin][setting] if n in origins]
        if names:
            origin = "inventory " + ", ".join(f"{n} ({origins[n]})" for n in names)
        else:
            origin = f"{options.plugin} plugin default"
        out.append((setting, value, origin))
    return out
