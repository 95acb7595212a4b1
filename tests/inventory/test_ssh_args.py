"""Ansible's OpenSSH arguments: built in Ansible's order, every option checked."""

from __future__ import annotations

import pytest

from auditor.inventory.ssh_args import ANSIBLE_SSH_ARGS_DEFAULT, build, options, route, unsupported


def test_ansibles_order_and_default_ssh_args() -> None:
    built = build(ssh_args=None, host_key_checking=False, port=2222, key_file="/k", user="ops",
                  timeout=7, common_args="-o A=1", extra_args="-o B=2")  # fmt: skip
    assert [var for var, _ in built.pieces] == [
        "ansible_ssh_args", "ansible_host_key_checking", "ansible_port",
        "ansible_private_key_file", "ansible_user", "ansible_timeout",
        "ansible_ssh_common_args", "ansible_ssh_extra_args",
    ]  # fmt: skip
    assert " ".join(built.argv).startswith(ANSIBLE_SSH_ARGS_DEFAULT)
    assert built.argv[-4:] == ("-o", "A=1", "-o", "B=2")
    inline = build(ssh_args="", host_key_checking=None, port=None, key_file="/k", user=None,
                   timeout=None, common_args=None, extra_args=None, inline_key=True)  # fmt: skip
    assert inline.argv == ("-o", "IdentitiesOnly=yes"), "the inline key wins over a key file"


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (("-o", "KexAlgorithms=+diffie-hellman-group14-sha1"), []),
        (("-o", "HostKeyAlgorithms +ssh-rsa", "-oCiphers=+aes128-cbc"), []),
        (("-o", "PubkeyAcceptedKeyTypes=+ssh-rsa", "-o", "MACs=+hmac-sha1"), []),
        (("-i", "/k", "-p", "22", "-l", "root", "-J", "jump", "-F", "/cfg"), []),
        (("-C", "-q", "-o", "ControlMaster=auto", "-o", "ControlPersist=60s"), []),
        (("-o", "ProxyCommand=nc -X connect -x p:3128 %h %p", "-o", "ConnectTimeout=5"), []),
        (("-o", "HostKeyAlias=fw1",), ["-o HostKeyAlias=fw1"]),
        (("-4", "-o", "AddressFamily=inet6"), ["-4", "-o AddressFamily=inet6"]),
        (("-b", "10.0.0.1", "-L", "8080:x:80"), ["-b 10.0.0.1", "-L 8080:x:80"]),
        (("-o", "PKCS11Provider=/usr/lib/opensc.so"), ["-o PKCS11Provider=/usr/lib/opensc.so"]),
        (("stray",), ["stray"]),
    ],
)  # fmt: skip
def test_unsupported_options_are_named_as_written(argv: tuple[str, ...], found: list[str]) -> None:
    assert unsupported(argv) == found


@pytest.mark.parametrize("argv", [("-o",), ("-i",), ("-o", "NoValue")])
def test_options_without_values_are_one_line_errors(argv: tuple[str, ...]) -> None:
    with pytest.raises(ValueError) as info:
        list(options(argv))
    assert "\n" not in str(info.value)


def test_unsplittable_text_is_an_error() -> None:
    with pytest.raises(ValueError, match="cannot split"):
        build(ssh_args=None, host_key_checking=None, port=None, key_file=None, user=None,
              timeout=None, common_args="-o 'ProxyJump=open", extra_args=None)  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (("-o", "ProxyJump=ops@j:2222"), "ops@j:2222"),
        (("-J", "b1,b2"), "b1,b2"),
        (("-Jbastion",), "bastion"),
        (("-o", "ProxyCommand=ssh -W %h:%p j"), "ProxyCommand ssh -W %h:%p j"),
        (("-J", "first", "-o", "ProxyJump=second"), "first"),
        (("-C",), None),
    ],
)
def test_route_for_display(argv: tuple[str, ...], shown: str | None) -> None:
    assert route(argv) == shown
