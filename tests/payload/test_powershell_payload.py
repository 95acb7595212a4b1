"""The PowerShell payload: syntax and PowerShell 2.0 compatibility, the plan literal, delivery.

Verified here: the script parses (tree-sitter-powershell) and uses nothing
newer than PowerShell 2.0 that the grammar can see (tests/payload/ps2_lint.py);
the plan literal renders any plan and reads back exactly; the command line is
the short bootstrap and the script travels on stdin. Not verified here: that
it runs on Windows (see the README, "What is verified on Windows").
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ps2_lint import problems, syntax_errors

from auditor.model import Connection, Target
from auditor.payload import delivery, powershell
from auditor.profile import load_profile, plan_for

PROFILE = load_profile(reflector="203.0.113.20")


def plan() -> dict[str, Any]:
    target = Target("w1", "198.51.100.30", "c", connection=Connection.WINRM)
    return plan_for(PROFILE, target).payload_input()


def test_the_shipped_script_parses_and_is_powershell_2() -> None:
    assert problems(powershell.ps_source()) == []


def test_the_script_with_its_plan_parses_and_is_powershell_2() -> None:
    assert problems(powershell.build_ps_program(plan())) == []


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (b"$j = ConvertTo-Json $x", "ConvertTo-Json is newer than PowerShell 2.0"),
        (b"if ($a -in $b) { }", "operator -in is newer"),
        (b"$n = 1 -shl 3", "operator -shl is newer"),
        (b"$h = [ordered]@{a = 1}", "[ordered] is newer"),
        (b"$s = [System.Text.StringBuilder]::new()", "::new() is newer"),
        (b"$items.Where({ $true })", ".Where() is newer"),
        (b"$x = $PSItem", "$PSItem is newer"),
        (b"Get-Item x -ErrorAction Ignore", "-ErrorAction Ignore is newer"),
        (b"class Probe { }", "class statement is newer"),
        (b"$o = @(Get-CimInstance Win32_Service)", "Get-CimInstance outside an 'if (Get-Command"),
        (b"function f { if ($x) { $y = @{ } ", "syntax error"),
    ],
)
def test_the_linter_catches_what_powershell_2_lacks(snippet: bytes, expected: str) -> None:
    found = problems(snippet)
    assert any(expected in line for line in found), found


def test_a_guarded_newer_cmdlet_is_allowed() -> None:
    guarded = (
        b"if (Get-Command Get-CimInstance -ErrorAction SilentlyContinue) { Get-CimInstance X }"
    )
    assert problems(guarded) == []


def test_the_script_is_ascii_and_has_one_slot() -> None:
    source = powershell.ps_source()
    source.decode("ascii")  # any other byte would depend on the console's code page
    assert source.count(b"AUDITOR-PLAN-SLOT") == 1


def test_delivery_is_a_short_bootstrap_with_the_script_on_stdin() -> None:
    sent = delivery.delivery_for(delivery.Flavour.POWERSHELL, plan())
    assert sent.command == powershell.LAUNCH_COMMAND
    assert len(sent.command) < 8191  # cmd.exe's command-line limit
    encoded = sent.command.split(" -EncodedCommand ")[1]
    bootstrap = base64.b64decode(encoded).decode("utf-16-le")
    assert bootstrap == powershell.BOOTSTRAP
    assert "$input" in bootstrap and syntax_errors(bootstrap.encode()) == []
    assert powershell.read_program(sent.stdin) == plan()
    assert sent.stdin.startswith(b"# host_probe.ps1")


def test_a_windows_target_gets_the_powershell_flavour() -> None:
    windows = Target("w1", "198.51.100.30", "c", connection=Connection.WINRM)
    linux = Target("l1", "198.51.100.31", "c")
    assert plan_for(PROFILE, windows).flavour is delivery.Flavour.POWERSHELL
    assert plan_for(PROFILE, linux).flavour is delivery.Flavour.POSIX


def test_read_program_refuses_anything_but_the_shipped_script() -> None:
    program = powershell.build_ps_program(plan())
    tampered = program.replace(b"$MaxProbes = 256", b"$MaxProbes = 257")
    with pytest.raises(ValueError, match=r"not the shipped host_probe\.ps1"):
        powershell.read_program(tampered)
    with pytest.raises(ValueError, match="expected one plan line"):
        powershell.read_program(powershell.ps_source())
    assert powershell.read_program(program.replace(b"\n", b"\r\n")) == plan()  # Out-String: CRLF


_PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30)
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=64), _PRINTABLE,
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), _VALUES, max_size=6))
def test_any_plan_renders_and_reads_back_exactly(document: dict[str, Any]) -> None:
    text = powershell.render_plan(document)
    assert powershell._Reader(text).document() == document
    assert syntax_errors(f"$Plan = {text}".encode()) == []


@pytest.mark.parametrize(
    "bad",
    [{"host": "r\u00e9seau"}, {"host": "a\nb"}, {"deadline_s": float("nan")},
     {"Check": 1, "check": 2}, {"x": object()}],
)  # fmt: skip
def test_a_plan_that_cannot_be_a_safe_literal_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        powershell.render_plan(bad)


def test_quotes_cannot_end_a_string_early() -> None:
    text = powershell.render_plan({"host": "x'; Remove-Item C:\\ -Recurse; '"})
    assert text == "@{'host' = 'x''; Remove-Item C:\\ -Recurse; '''}"
    assert powershell._Reader(text).document() == {"host": "x'; Remove-Item C:\\ -Recurse; '"}
