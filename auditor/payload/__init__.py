"""The probe payload: what travels to a host, and how its answer is read back.

Framing (docs/observations.md): the host runs ``python3 -`` (see
:mod:`auditor.payload.launch`) and reads ONE program from stdin:
``host_probe.py`` with its ``PLAN_B64 = ""`` slot line replaced by the plan
as base64 JSON. No second document follows the program, so nothing depends on
how an interpreter buffers stdin, and the plan (which never holds a secret)
does not show in the process list.

The payload prints one JSON document between :data:`BEGIN` and :data:`END`
lines; :func:`parse_output` finds it among shell noise (MOTD, profile
output) and refuses anything that is not exactly one well-formed document.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from auditor.errors import PayloadMalformed
from auditor.model import Secret

__all__ = ["BEGIN", "END", "PLAN_VERSION", "build_program", "parse_output", "payload_source"]

# The payloads that write observation documents (device-cli: the controller, from a CLI).
PAYLOAD_NAMES = frozenset({"python", "sh", "powershell", "device-cli"})
BEGIN = b"-----BEGIN AUDITOR OBSERVATIONS-----"
END = b"-----END AUDITOR OBSERVATIONS-----"
OBSERVATIONS_VERSION = 1
PLAN_VERSION = 2  # the plan document both payload flavours run (auditor/profile/plan.py)
_SLOT = re.compile(rb'^PLAN_B64 = ""  # AUDITOR-PLAN-SLOT.*$', re.MULTILINE)
_BECOME_SLOT = re.compile(rb'^BECOME_B64 = ""  # AUDITOR-BECOME-SLOT.*$', re.MULTILINE)
_LIST_SECTIONS = ("tcp", "udp", "tls")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def payload_source() -> bytes:
    """The payload file exactly as shipped (ASCII, Python 3.6 compatible)."""
    return resources.files(__name__).joinpath("host_probe.py").read_bytes()


def build_program(plan: Mapping[str, Any], become_password: Secret | None = None) -> bytes:
    """The one program sent on stdin: the payload with ``plan`` embedded.

    ``plan`` is :meth:`Plan.payload_input` (plain JSON data). Anything that is
    not JSON (a ``Secret``, NaN) raises ``TypeError``/``ValueError`` here,
    before it could reach a host.

    ``become_password`` (``ansible_become_password``) goes into the separate
    ``BECOME_B64`` slot as base64 of its UTF-8 bytes: it travels only inside
    the program on stdin, never in argv, environment or a file, and the
    payload hands it to nothing but sudo's stdin pipe. The returned bytes
    therefore hold a secret when one is given: send them, never log them.
    """
    text = json.dumps(plan, sort_keys=True, ensure_ascii=True, allow_nan=False)
    encoded = base64.b64encode(text.encode("ascii"))
    program, count = _SLOT.subn(b'PLAN_B64 = "' + encoded + b'"', payload_source(), count=1)
    if count != 1:
        raise RuntimeError("host_probe.py lost its PLAN_B64 slot line")
    if become_password:
        secret = base64.b64encode(become_password.reveal().encode("utf-8"))
        program, count = _BECOME_SLOT.subn(b'BECOME_B64 = "' + secret + b'"', program, count=1)
        if count != 1:
            raise RuntimeError("host_probe.py lost its BECOME_B64 slot line")
    return program


def parse_output(
    stdout: bytes,
    *,
    max_bytes: int = 1_000_000,
    stderr: bytes = b"",
    exit_status: int | None = None,
) -> dict[str, Any]:
    """The observation document in ``stdout``, or :class:`PayloadMalformed`.

    Contract: at most ``max_bytes`` of output; exactly one line equal to
    :data:`BEGIN` followed later by one line equal to :data:`END`; between
    them strict UTF-8 JSON (no duplicate keys, no NaN/Infinity) whose top
    level is an object of the shape in docs/observations.md. ``stderr`` and
    ``exit_status`` only enrich the one-line reason when no document is found.
    """
    if len(stdout) > max_bytes:
        raise PayloadMalformed(f"payload output is {len(stdout)} bytes, over the {max_bytes} limit")
    body = _framed_body(stdout, stderr, exit_status)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadMalformed(f"observation document is not UTF-8 (byte {exc.start})") from None
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise PayloadMalformed(
            f"observation document is not valid JSON: {_one_line(exc)}"
        ) from None
    _check_shape(doc)
    return doc  # type: ignore[no-any-return]


def _framed_body(stdout: bytes, stderr: bytes, exit_status: int | None) -> bytes:
    lines = [line.rstrip(b"\r") for line in stdout.split(b"\n")]
    begins = [i for i, line in enumerate(lines) if line == BEGIN]
    if not begins:
        raise PayloadMalformed("no observation document in the output" + _why(stderr, exit_status))
    if len(begins) > 1:
        raise PayloadMalformed(f"{len(begins)} observation documents in the output, expected one")
    ends = [i for i, line in enumerate(lines) if line == END]
    if not ends or ends[-1] < begins[0] or len(ends) > 1:
        what = "no end marker (output cut off?)" if not ends else "misplaced end markers"
        raise PayloadMalformed(f"observation document has {what}" + _why(stderr, exit_status))
    return b"\n".join(lines[begins[0] + 1 : ends[0]])


def _why(stderr: bytes, exit_status: int | None) -> str:
    """' (exit status N; stderr: last line)' so the one-line reason names the cause."""
    parts = [] if exit_status is None else [f"exit status {exit_status}"]
    tail = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if tail:
        parts.append(f"stderr: {_one_line(tail[-1])}")
    return f" ({'; '.join(parts)})" if parts else ""


def _one_line(value: object, limit: int = 200) -> str:
    """A host's words for one line: controls, format characters (bidi overrides, zero
    widths), separators and unassigned code points become spaces."""
    flat = "".join(ch if ch.isprintable() else " " for ch in _CONTROL.sub(" ", str(value)))
    return flat.strip()[:limit]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {_one_line(key, 60)!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _check_shape(doc: object) -> None:
    """Top-level shape only; the judge treats anything deeper that is missing as ``error``."""
    if not isinstance(doc, dict):
        raise PayloadMalformed(
            f"observation document is a JSON {type(doc).__name__}, not an object"
        )
    if doc.get("observations_version") != OBSERVATIONS_VERSION:
        version = _one_line(doc.get("observations_version"), 40)
        raise PayloadMalformed(f"unsupported observations_version {version}")
    if not isinstance(doc.get("payload"), str):
        raise PayloadMalformed("observation document has no payload name")
    if doc["payload"] not in PAYLOAD_NAMES:  # the name is the host's word: not repeated
        raise PayloadMalformed("observation document names a payload the auditor does not have")
    if "error" in doc and not isinstance(doc["error"], str):
        raise PayloadMalformed("observation document has a non-text error")
    for key in _LIST_SECTIONS:
        if key in doc and not _list_of_objects(doc[key]):
            raise PayloadMalformed(f"observation section {key!r} is not a list of objects")
    for key in ("admin", "teamviewer"):
        if key in doc and not isinstance(doc[key], dict):
            raise PayloadMalformed(f"observation section {key!r} is not an object")
    for key, inner in (("dns", "queries"), ("dns_system", "results")):
        if key in doc and not (
            isinstance(doc[key], dict) and _list_of_objects(doc[key].get(inner))
        ):
            raise PayloadMalformed(f"observation section {key!r} has no list {inner!r}")


def _list_of_objects(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)
