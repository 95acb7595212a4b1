"""One interactive CLI session on a network device: send a line, read until the prompt.

scrapli's channel carries the bytes (it strips carriage returns and ANSI
colour, and keeps a secret out of its log when a write is ``redacted``); this
module adds what the audit needs and scrapli's ``send_command`` does not:

* the answer ends at the platform's prompt on the last line, whatever time
  that takes (a slow device is waited for, up to ``timeout_s`` per command);
* a pager (``--More--``, ``---(more)---``) is answered with a space and
  removed from the text, because the audit never changes a device's
  configuration to switch paging off (FortiOS has no session command for it);
* ``enable`` is a dialog of its own (:meth:`CliSession.enable`): the secret is
  written only at a ``Password:`` prompt, and a device that asks again has
  refused it.

Failures are :class:`DeviceTimeout` (no prompt in time) and
:class:`DeviceClosed` (the device ended the session), each naming the
command, so the facts read before them are kept.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Protocol

from auditor.model import Secret

PAGER = re.compile(r"[ \t]*(?:-{2}\s?more\s?-{2}|-{3}\s?\(more[^)\n]*\)\s?-{3})[ \t]*", re.I)
PASSWORD = re.compile(r"(?:^|\s)(?:enable\s+)?password:\s*$", re.I)
# A line that is the CLI's own complaint (IOS %, Junos "syntax error", FortiOS, RouterOS, PAN-OS).
CLI_ERROR = re.compile(
    r"^\s*(?:%|syntax error|error:|unknown (?:command|action)|invalid (?:input|command)"
    r"|bad command|command fail|expecting|access denied)",
    re.I,
)
MAX_ANSWER_BYTES = 1_000_000  # a device that never stops talking cannot fill our memory
MAX_PAGES = 400  # pagers answered per command
MAX_ABANDON = 3  # empty answers given to a Password: prompt we cannot satisfy


class Channel(Protocol):
    """The part of scrapli's ``AsyncChannel`` a session uses (tests pass their own)."""

    async def read(self) -> bytes: ...

    def write(self, channel_input: str, redacted: bool = False) -> None: ...

    def send_return(self) -> None: ...


class DeviceTimeout(Exception):
    """No prompt came back in time; ``command`` is what was waiting (None: the login)."""

    def __init__(self, command: str | None, timeout_s: float) -> None:
        what = f"`{command}`" if command else "the first prompt"
        super().__init__(f"no prompt within {timeout_s:g}s after {what}")
        self.command = command


class DeviceClosed(Exception):
    """The device ended the session; ``command`` is what was running (None: the login)."""

    def __init__(self, command: str | None) -> None:
        what = f"during `{command}`" if command else "before its first prompt"
        super().__init__(f"the device closed the session {what}")
        self.command = command


@dataclass(frozen=True, slots=True)
class Enabled:
    """How ``enable`` went: ``ok``, ``wrong_secret``, ``no_secret``, ``refused``; the CLI's words."""

    status: str
    message: str = ""


class CliSession:
    """A CLI session on one device, matching ``prompts`` (regexes, one line) case-insensitively."""

    def __init__(self, channel: Channel, prompts: tuple[str, ...], timeout_s: float) -> None:
        self._channel = channel
        self._prompts = tuple(re.compile(p, re.I) for p in prompts)
        self._timeout_s = timeout_s
        self.prompt = ""  # the last prompt seen, as the device printed it

    async def start(self) -> str:
        """Wait for the first prompt (after banner and MOTD); nudge once with a return."""
        try:
            text, _ = await self._read_until(None, nudge_after_s=min(3.0, self._timeout_s / 2))
        except DeviceTimeout:
            raise DeviceTimeout(None, self._timeout_s) from None
        return text

    async def run(self, command: str) -> str:
        """``command``'s output: echo, pagers and the closing prompt removed."""
        self._send(command)
        text, _ = await self._read_until(command)
        return strip_echo(text, command)

    async def enable(self, secret: Secret | None) -> Enabled:
        """Enter enable mode; whether it raised the privilege is read afterwards, not guessed."""
        self._send("enable")
        text, at_password = await self._read_until("enable", password=True)
        if not at_password:
            complaint = cli_errors(strip_echo(text, "enable"))
            return Enabled("refused", complaint[0]) if complaint else Enabled("ok")
        if secret is None:
            await self._abandon()
            return Enabled("no_secret", "the device asks for an enable secret")
        self._channel.write(secret.reveal(), redacted=True)
        self._channel.send_return()
        text, at_password = await self._read_until("enable", password=True)
        if at_password:
            await self._abandon()
            return Enabled("wrong_secret", "the device asked for the secret again")
        complaint = cli_errors(text)
        if not complaint:
            return Enabled("ok")
        wrong = re.search(r"denied|bad secret|incorrect|invalid|fail", complaint[0], re.I)
        return Enabled("wrong_secret" if wrong else "refused", complaint[0])

    def _send(self, line: str) -> None:
        self._channel.write(line)
        self._channel.send_return()

    async def _abandon(self) -> None:
        """Give empty answers to a Password: prompt until the device gives up (bounded)."""
        for _ in range(MAX_ABANDON):
            self._channel.send_return()
            _, at_password = await self._read_until("enable", password=True)
            if not at_password:
                return

    async def _read_until(
        self, command: str | None, *, password: bool = False, nudge_after_s: float = 0.0
    ) -> tuple[str, bool]:
        """Read until a prompt (or, with ``password``, a Password: prompt) ends the text.

        Returns the text without pagers, and whether it ended at a Password: prompt.
        """
        buffer = ""
        pages = 0
        size = 0
        erase = 0  # blanks a device prints over its pager text before the next page
        nudged = nudge_after_s <= 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        while True:
            wait = deadline - loop.time()
            if not nudged:
                wait = min(wait, nudge_after_s)
            if wait <= 0:
                raise DeviceTimeout(command, self._timeout_s)
            try:
                async with asyncio.timeout(wait):
                    chunk = await self._channel.read()
            except TimeoutError:
                if not nudged:
                    nudged = True
                    self._channel.send_return()
                    continue
                raise DeviceTimeout(command, self._timeout_s) from None
            except Exception as exc:  # scrapli's ConnectionError, asyncssh's lost connection
                raise DeviceClosed(command) from exc
            if not chunk:
                raise DeviceClosed(command)
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise DeviceClosed(command)
            text = chunk.decode("utf-8", "replace").replace("\x08", "")
            if erase and text:
                text, erase = _erased(text, erase)
            buffer += text
            pager = PAGER.search(_last_line(buffer))
            if pager and pages < MAX_PAGES:
                pages += 1
                erase = len(pager.group(0))
                buffer = PAGER.sub("", buffer)
                self._channel.write(" ")
                continue
            last = _last_line(buffer)
            if any(p.search(last) for p in self._prompts):
                self.prompt = last.strip()
                return _without_last_line(PAGER.sub("", buffer)), False
            if password and PASSWORD.search(last):
                return _without_last_line(buffer), True


def _erased(text: str, erase: int) -> tuple[str, int]:
    """Drop the blanks a device writes over its pager (as many as the pager text was long).

    Fewer blanks than that are indentation of the next line, and stay.
    """
    blanks = len(text) - len(text.lstrip(" "))
    if blanks == len(text):  # only blanks so far: the rest may follow in the next chunk
        return ("", erase - blanks) if blanks < erase else (text[erase:], 0)
    return (text[erase:], 0) if blanks >= erase else (text, 0)


def _last_line(text: str) -> str:
    return text.rsplit("\n", 1)[-1]


def _without_last_line(text: str) -> str:
    return text.rsplit("\n", 1)[0] if "\n" in text else ""


def strip_echo(text: str, command: str) -> str:
    """The text after the device's echo of ``command`` (the first lines that end with it)."""
    lines = text.split("\n")
    for index, line in enumerate(lines[:3]):
        if line.rstrip().endswith(command):
            return "\n".join(lines[index + 1 :])
    return text


def cli_errors(text: str) -> list[str]:
    """The CLI's complaints in ``text`` (``% Invalid input``, ``syntax error``, ...), stripped."""
    return [line.strip() for line in text.splitlines() if CLI_ERROR.match(line)]
