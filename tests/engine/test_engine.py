"""The engine's promises, with test doubles of the Transport interface.

No network here: the doubles stand in for hosts that answer, crash, hang or
talk garbage, so the engine's own behaviour (deadlines, isolation of failures,
every host accounted for) is what is tested. The real SSH path is tested on
the lab (test_audit_on_lab.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from importlib import resources

import pytest
import yaml

from auditor.engine import Engine
from auditor.errors import AuthError
from auditor.model import InventoryProblem, Stage, Target, Verdict
from auditor.payload import BEGIN, END
from auditor.profile.load import BUNDLED, parse_profile
from auditor.transports.base import TransportResult

HOST_S = 3


def short_profile():  # type: ignore[no-untyped-def]
    data = yaml.safe_load(resources.files("auditor.profile").joinpath(BUNDLED).read_text())
    data["timeouts"] = {"connect_s": 0.5, "login_s": 0.5, "host_s": HOST_S, "probe_s": 0.5}
    return parse_profile(yaml.safe_dump(data), "test-profile.yaml")


class Answers:
    """A host that runs the payload and reports uid 0 and nothing else."""

    access = {"transport": "test"}  # noqa: RUF012 (read-only facts)

    async def connect(self, deadline: float) -> None:
        return None

    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: object = None
    ) -> TransportResult:
        doc = {"observations_version": 1, "payload": "python", "uid": 0}
        out = b"motd noise\n" + BEGIN + b"\n" + json.dumps(doc).encode() + b"\n" + END + b"\n"
        return TransportResult(0, out, b"", 0.01)

    async def close(self) -> None:
        return None


class Crashes(Answers):
    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: object = None
    ) -> TransportResult:
        raise RuntimeError("boom in a probe")


class Hangs(Answers):
    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: object = None
    ) -> TransportResult:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


class Garbage(Answers):
    async def run(
        self, command: str, stdin: bytes, timeout_s: float, started: object = None
    ) -> TransportResult:
        return TransportResult(0, b"<html>not a document</html>" * 1000, b"", 0.01)


class Refuses(Answers):
    async def connect(self, deadline: float) -> None:
        raise AuthError("authentication refused for user 'x'")


DOUBLES = {"ok": Answers, "crash": Crashes, "hang": Hangs, "garbage": Garbage, "auth": Refuses}


def run_engine(names: list[str], problems: tuple[InventoryProblem, ...] = ()):  # type: ignore[no-untyped-def]
    targets = [Target(name=n, address=f"{n}.example", customer="c") for n in names]
    engine = Engine(short_profile(), lambda t: DOUBLES[t.name.split("-")[0]](), forks=4)
    return {h.name: h for h in asyncio.run(engine.run(targets, problems))}


def test_every_host_is_accounted_for_whatever_it_does() -> None:
    started = time.monotonic()
    results = run_engine(["ok", "crash", "hang", "garbage", "auth"])
    elapsed = time.monotonic() - started
    assert set(results) == {"ok", "crash", "hang", "garbage", "auth"}
    assert results["ok"].stage is Stage.JUDGED
    assert results["crash"].stage is Stage.PROBE
    assert "internal error: RuntimeError: boom in a probe" in results["crash"].stage_reason
    assert results["hang"].stage is Stage.PROBE
    assert "deadline" in results["hang"].stage_reason
    assert results["garbage"].stage is Stage.PROBE
    assert results["auth"].stage is Stage.AUTH
    assert elapsed < HOST_S + 2  # the hanging host costs its own deadline, no more


def test_no_check_passes_on_a_host_that_was_not_audited() -> None:
    results = run_engine(["crash", "hang", "garbage", "auth"])
    for host in results.values():
        assert Verdict.PASS not in {c.verdict for c in host.checks}
        assert not host.compliant


def test_a_host_whose_payload_observed_nothing_passes_nothing_but_admin() -> None:
    host = run_engine(["ok"])["ok"]
    verdicts = {c.id: c.verdict for c in host.checks}
    assert verdicts.pop("admin") is Verdict.PASS  # uid 0 was observed
    assert Verdict.PASS not in set(verdicts.values())


@pytest.mark.parametrize("forks", [1, 3])
def test_hosts_with_an_inventory_problem_are_never_contacted(forks: int) -> None:
    problem = InventoryProblem("hosts.ini", "unknown role 'toaster'", host="crash-1", line=3)
    targets = [Target(name=n, address="x", customer="c") for n in ("crash-1", "ok-1")]
    engine = Engine(short_profile(), lambda t: DOUBLES[t.name.split("-")[0]](), forks=forks)
    results = {h.name: h for h in asyncio.run(engine.run(targets, [problem]))}
    assert results["crash-1"].stage is Stage.INVENTORY
    assert results["crash-1"].stage_reason == "hosts.ini:3: host crash-1: unknown role 'toaster'"
    assert results["ok-1"].stage is Stage.JUDGED


def test_a_run_raises_the_soft_open_file_limit_to_the_hard_one() -> None:
    import resource

    from auditor.run import raise_open_files

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(256, hard) if hard != resource.RLIM_INFINITY else 256
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        now = raise_open_files()
        assert now == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        assert now == hard if hard != resource.RLIM_INFINITY else now >= low
        assert now > low or hard == low
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
