"""Jump hosts from ssh arguments, as OpenSSH would read them."""

from __future__ import annotations

import pytest

from auditor.inventory.jump import jump_host_from_ssh_args

CASES = [
    (("-o ProxyJump=admin@198.51.100.1:2222",), "admin@198.51.100.1:2222"),
    (("-oProxyJump=b1,b2",), "b1,b2"),
    (("-o 'ProxyJump bastion'",), "bastion"),
    (("-J bastion",), "bastion"),
    (("-Jops@bastion:22",), "ops@bastion:22"),
    (("-J first", "-o ProxyJump=second"), "first"),  # ssh: the first value wins
    (('-o ProxyCommand="ssh -W %h:%p -q user@jump"',), "user@jump"),
    (('-o ProxyCommand="ssh -l ops -p 2200 -W %h:%p jump"',), "ops@jump:2200"),
    (('-o "ProxyCommand /usr/bin/ssh -o StrictHostKeyChecking=no jump nc %h %p"',), "jump"),
    (('-o ProxyCommand="ssh -W %h:%p ssh://ops@jump:2201"',), "ops@jump:2201"),
    (("-o ProxyJump=none",), None),
    (("-C -o ControlMaster=auto -o ControlPersist=60s",), None),
    (("",), None),
]


@pytest.mark.parametrize(("args", "expected"), CASES)
def test_jump_host(args: tuple[str, ...], expected: str | None) -> None:
    assert jump_host_from_ssh_args(*args) == expected


@pytest.mark.parametrize(
    "args",
    [
        '-o ProxyCommand="nc -X connect -x proxy:3128 %h %p"',
        '-o ProxyCommand="ssh -W %h:%p"',
        "-J",
        "-o 'ProxyJump=unterminated",
    ],
)
def test_unusable_jump_options_raise_one_line(args: str) -> None:
    with pytest.raises(ValueError) as info:
        jump_host_from_ssh_args(args)
    assert "\n" not in str(info.value)
