"""build_program and parse_output: the frame around the payload, against hostile output."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.errors import PayloadMalformed
from auditor.model import Secret
from auditor.payload import (
    BEGIN,
    END,
    PAYLOAD_NAMES,
    PLAN_VERSION,
    build_program,
    parse_output,
    payload_source,
)
from auditor.payload.sh import sh_source
from tests.fuzz import json_values

PLAN = {
    "plan_version": 2, "deadline_s": 2.0, "probe_timeout_s": 1.0,
    "tcp": [{"check": "tcp_80", "host": "marker-host.test", "port": 80}],
}  # fmt: skip
GOOD = {"observations_version": 1, "payload": "python", "tcp": [], "dns": {"queries": []}}


def framed(doc: object, before: bytes = b"", after: bytes = b"") -> bytes:
    return before + BEGIN + b"\n" + json.dumps(doc).encode() + b"\n" + END + b"\n" + after


def test_program_is_one_ascii_program_with_the_plan_as_base64() -> None:
    program = build_program(PLAN)
    program.decode("ascii")
    (line,) = [x for x in program.splitlines() if x.startswith(b"PLAN_B64 = ")]
    embedded = base64.b64decode(line.split(b'"')[1])
    assert json.loads(embedded) == PLAN
    assert b"marker-host" not in program  # the plan travels encoded, once
    assert len(program.splitlines()) == len(payload_source().splitlines())
    compile(program, "<stdin>", "exec")


def test_both_payloads_run_the_plan_version_the_controller_plans() -> None:
    assert PLAN_VERSION == 2
    assert b"\nPLAN_VERSION = 2  #" in payload_source()
    assert b'if [ "$PLAN_VERSION" != 2 ]; then' in sh_source()


def test_secrets_and_nan_never_reach_a_program() -> None:
    with pytest.raises(TypeError):
        build_program({**PLAN, "password": Secret("hunter2")})
    with pytest.raises(ValueError):
        build_program({**PLAN, "deadline_s": float("nan")})


def test_payload_stays_python36_compatible() -> None:
    """vermin (test dependency) proves the payload needs nothing newer than 3.6."""
    vermin = Path(sys.executable).with_name("vermin")
    source = Path(__file__).parents[2] / "auditor" / "payload" / "host_probe.py"
    done = subprocess.run(
        [str(vermin), "-t=3.6-", "--violations", "--no-tips", str(source)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout


def test_noise_around_the_document_is_ignored() -> None:
    motd = b"Welcome to host1\r\nLast login: yesterday\n"
    out = framed(GOOD, before=motd, after=b"logout\n").replace(b"\n", b"\r\n")
    assert parse_output(out) == GOOD


@pytest.mark.parametrize(
    ("stdout", "reason"),
    [
        (b"", r"^no observation document in the output$"),
        (BEGIN + b'\n{"a": 1}\n', r"no end marker \(output cut off\?\)"),
        (END + b"\n" + BEGIN + b"\n{}\n", r"no end marker|misplaced end markers"),
        (framed(GOOD) + framed(GOOD), r"^2 observation documents"),
        (b"x" * 1_000_001, r"^payload output is 1000001 bytes, over the 1000000 limit$"),
        (framed([1, 2]), r"is a JSON list, not an object$"),
        (framed(GOOD)[:-40] + b"\n" + END + b"\n", r"not valid JSON"),
        (BEGIN + b'\n{"payload": "a", "payload": "b"}\n' + END, r"duplicate key 'payload'"),
        (BEGIN + b'\n{"observations_version": NaN}\n' + END, r"NaN is not allowed"),
        (BEGIN + b'\n{"payload": "\xff"}\n' + END, r"not UTF-8 \(byte 13\)"),
        (BEGIN + b"\n" + b"[" * 200_000 + b"\n" + END, r"not valid JSON"),
        (framed({**GOOD, "observations_version": 2}), r"unsupported observations_version 2"),
        (framed({**GOOD, "tcp": {}}), r"section 'tcp' is not a list of objects"),
        (framed({**GOOD, "dns": {"queries": [1]}}), r"section 'dns' has no list 'queries'"),
        (framed({**GOOD, "error": 3}), r"non-text error"),
        (framed({"observations_version": 1}), r"no payload name"),
        (framed({**GOOD, "payload": "<script>"}), r"names a payload the auditor does not have$"),
    ],
)
def test_hostile_output_is_refused_in_one_line(stdout: bytes, reason: str) -> None:
    with pytest.raises(PayloadMalformed) as caught:
        parse_output(stdout)
    message = str(caught.value)
    assert re.search(reason, message), message
    assert "\n" not in message and len(message) < 300


def test_missing_document_names_exit_status_and_stderr() -> None:
    stderr = b"bash: line 1: python3: command not found\nAUDITOR-NO-PYTHON\n"
    with pytest.raises(PayloadMalformed) as caught:
        parse_output(b"motd only\n", stderr=stderr, exit_status=127)
    assert str(caught.value) == (
        "no observation document in the output (exit status 127; stderr: AUDITOR-NO-PYTHON)"
    )


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=4096), st.binary(max_size=256), st.sampled_from([None, 0, 1, 255]))
def test_no_output_crashes_the_parser(stdout: bytes, stderr: bytes, status: int | None) -> None:
    """Whatever a host prints: a document, or PayloadMalformed in one printable line."""
    for shaped in (stdout, BEGIN + b"\n" + stdout + b"\n" + END):
        try:
            doc = parse_output(shaped, stderr=stderr, exit_status=status)
        except PayloadMalformed as exc:
            message = str(exc)
            assert "\n" not in message and len(message) < 400
            assert all(ch.isprintable() for ch in message), message
        else:
            assert isinstance(doc, dict) and doc["payload"] in PAYLOAD_NAMES


_JSON = json_values(30)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(st.sampled_from(["observations_version", "payload", "tcp", "dns", "error",
                                        "udp", "tls", "admin", "x"]), _JSON, max_size=8))  # fmt: skip
def test_no_framed_document_crashes_the_parser(doc: dict[str, object]) -> None:
    try:
        parsed = parse_output(framed({**GOOD, **doc}))
    except PayloadMalformed:
        return
    assert parsed["observations_version"] == 1 and parsed["payload"] in PAYLOAD_NAMES
