"""Runs the payload on the auditor's own machine (``ansible_connection=local``)."""

from __future__ import annotations

import asyncio
import time

from auditor.errors import PayloadTimeout
from auditor.transports.base import StartSignal, TransportResult


class LocalTransport:
    """Same interface as SSH, over a subprocess; there is nothing to reach or log in to."""

    access: dict[str, object] = {"transport": "local"}  # noqa: RUF012 (read-only facts)

    async def connect(self, deadline: float) -> None:
        return None

    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: StartSignal | None = None
    ) -> TransportResult:
        begun = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        try:
            async with asyncio.timeout(timeout_s):
                stdout, stderr = await process.communicate(stdin)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise PayloadTimeout(f"payload did not finish within {timeout_s:.1f}s") from None
        return TransportResult(process.returncode, stdout, stderr, time.monotonic() - begun)

    async def close(self) -> None:
        return None
