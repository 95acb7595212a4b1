"""Audits many hosts at once, each within its own deadline, never losing one.

Per host: plan (from the profile) -> transport connect -> one payload round
trip -> parse -> judge -> :class:`HostResult`. Concurrency is bounded by a
semaphore (``forks``, Ansible's word). Every host coroutine ends in a value:
transport failures become the stage they happened at, and anything
unexpected becomes an ``error`` for that host alone, so one broken host never
costs the results of the others, nor delays them past its own deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from auditor.errors import HostKeyChanged, TransportError
from auditor.judge.evidence import Context
from auditor.judge.host import JudgedHost, judge_host, unaudited_checks
from auditor.judge.stage import (
    access_notes,
    deadline_finding,
    internal_finding,
    inventory_finding,
    transport_finding,
)
from auditor.model import Check, Finding, HostResult, InventoryProblem, JSONValue, Stage, Target
from auditor.payload import parse_output
from auditor.payload.delivery import delivery_for
from auditor.profile import Plan, Profile, plan_for
from auditor.teamviewer.directory import MspDevices
from auditor.transports.base import StartSignal, Transport

TransportFactory = Callable[[Target], Transport]


class EngineEvents(Protocol):
    """Lifecycle hooks (progress line, history writer); the engine itself never prints.

    Hooks run on the event loop: they must be quick and must not raise.
    """

    def run_started(self, total: int) -> None: ...

    def host_started(self, target: Target) -> None: ...

    def host_stage(self, target: Target, stage: Stage) -> None: ...

    def host_finished(self, result: HostResult) -> None: ...


class NoEvents:
    def run_started(self, total: int) -> None:
        pass

    def host_started(self, target: Target) -> None:
        pass

    def host_stage(self, target: Target, stage: Stage) -> None:
        pass

    def host_finished(self, result: HostResult) -> None:
        pass


class Fanout(NoEvents):
    """Several listeners as one (the progress line and the history writer)."""

    def __init__(self, *listeners: EngineEvents | None) -> None:
        self._listeners = [listener for listener in listeners if listener is not None]

    def run_started(self, total: int) -> None:
        for listener in self._listeners:
            listener.run_started(total)

    def host_started(self, target: Target) -> None:
        for listener in self._listeners:
            listener.host_started(target)

    def host_stage(self, target: Target, stage: Stage) -> None:
        for listener in self._listeners:
            listener.host_stage(target, stage)

    def host_finished(self, result: HostResult) -> None:
        for listener in self._listeners:
            listener.host_finished(result)


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


@dataclass(slots=True)
class _Progress:
    """How far one host got; read when something goes wrong."""

    stage: Stage = Stage.RESOLVE
    payload: str | None = None
    security_finding: str | None = None
    started: float = field(default_factory=time.monotonic)


class Engine:
    """Runs the audit of a set of targets against one profile."""

    def __init__(
        self,
        profile: Profile,
        transport_for: TransportFactory,
        *,
        forks: int = 50,
        events: EngineEvents | None = None,
        msp: MspDevices | None = None,
    ) -> None:
        if forks < 1:
            raise ValueError("forks must be at least 1")
        self._msp = msp or MspDevices()  # the MSP's managed TeamViewer devices, fetched per run
        self._profile = profile
        self._transport_for = transport_for
        self._forks = forks
        self._events = events or NoEvents()

    async def run(
        self, targets: Sequence[Target], problems: Iterable[InventoryProblem] = ()
    ) -> tuple[HostResult, ...]:
        """Audit ``targets``; hosts with an inventory problem are reported, not contacted."""
        broken = {p.host: p for p in problems if p.host}
        gate = asyncio.Semaphore(self._forks)
        self._events.run_started(len(targets))

        async def one(target: Target) -> HostResult:
            if target.name in broken:
                return self._inventory_result(target, broken[target.name])
            async with gate:
                self._events.host_started(target)
                result = await self.audit_host(target)
                self._events.host_finished(result)
                return result

        results = await asyncio.gather(*(one(t) for t in targets))
        return tuple(results)

    async def audit_host(self, target: Target) -> HostResult:
        """Audit one host; always returns, within the plan's host deadline plus close time."""
        plan = plan_for(self._profile, target)
        progress = _Progress()
        started_at = now_iso()
        judged = JudgedHost((), {}, ())
        failure: BaseException | None = None
        transport = self._transport_for(target)
        try:
            async with asyncio.timeout(plan.timeouts.host_s):
                observations = await self._observe(transport, plan, progress, target)
            ctx = Context(
                probe_timeout_s=plan.timeouts.probe_s,
                expected_networks=self._profile.expected_networks,
                host_address=target.address,
                observed_at=now_iso(),
                user=target.user,
                msp=self._msp,
            )
            judged = judge_host(plan, observations, ctx)
            progress.stage, reason = Stage.JUDGED, "audit complete"
        except TransportError as exc:
            progress.stage, reason, failure = exc.stage, str(exc), exc
            if isinstance(exc, HostKeyChanged):
                progress.security_finding = reason
        except TimeoutError as exc:
            reason = (
                f"host deadline of {plan.timeouts.host_s:g}s passed during stage {progress.stage}"
            )
            failure = exc
        except Exception as exc:
            reason, failure = f"internal error: {type(exc).__name__}: {exc}", exc
        finally:
            await transport.close()
        stopped = None if failure is None else self._stopped(failure, progress.stage, target)
        if stopped is not None:
            judged = JudgedHost(unaudited_checks(plan, progress.stage, reason, stopped), {}, ())
        access = dict(transport.access)
        return _host_result(
            target,
            progress.stage,
            reason,
            judged.checks,
            started_at=started_at,
            duration_s=round(time.monotonic() - progress.started, 3),
            payload=progress.payload,
            security_finding=progress.security_finding,
            stage_finding=stopped,
            access=access,
            notes=(*access_notes(access), *judged.notes),
            diagnostics=judged.diagnostics,
        )

    def _stopped(self, failure: BaseException, stage: Stage, target: Target) -> Finding:
        """The stage finding for why the audit of ``target`` stopped; never raises."""
        try:
            if isinstance(failure, TransportError):
                return transport_finding(failure, observed_at=now_iso(), user=target.user)
            if isinstance(failure, TimeoutError):
                return deadline_finding(stage, self._profile.timeouts.host_s)
        except Exception as exc:  # a bug in building the finding must not cost the run
            return internal_finding(exc)
        return internal_finding(failure)

    async def _observe(
        self,
        transport: Transport,
        plan: Plan,
        progress: _Progress,
        target: Target,
    ) -> dict[str, object]:
        """Connect, run the plan's payload flavour once, parse.

        The become password rides inside the program on stdin (POSIX flavour).
        """
        plan_doc = plan.payload_input()
        delivery = delivery_for(plan.flavour, plan_doc, target.become_password)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(plan_doc["deadline_s"])
        progress.stage = Stage.CONNECT
        self._events.host_stage(target, Stage.CONNECT)
        await transport.connect(
            loop.time() + self._profile.timeouts.connect_s + self._profile.timeouts.login_s
        )
        progress.stage = Stage.PROBE
        self._events.host_stage(target, Stage.PROBE)
        # after the login, the host's shell must start the payload within timeouts.start_s
        started = StartSignal(delivery.started, plan.timeouts.start_s) if delivery.started else None
        result = await transport.run(
            delivery.command,
            delivery.stdin,
            timeout_s=max(1.0, deadline - loop.time() + 5),
            started=started,
        )
        observations = parse_output(
            result.stdout, stderr=result.stderr, exit_status=result.exit_status
        )
        progress.payload = str(observations.get("payload", "python"))
        return observations

    def _inventory_result(self, target: Target, problem: InventoryProblem) -> HostResult:
        plan = plan_for(self._profile, target)
        reason = problem.one_line()
        stopped = inventory_finding(problem)
        checks = unaudited_checks(plan, Stage.INVENTORY, reason, stopped)
        return _host_result(
            target, Stage.INVENTORY, reason, checks, started_at=now_iso(), stage_finding=stopped
        )


def _host_result(
    target: Target,
    stage: Stage,
    reason: str,
    checks: tuple[Check, ...],
    *,
    started_at: str,
    duration_s: float = 0.0,
    payload: str | None = None,
    security_finding: str | None = None,
    stage_finding: Finding | None = None,
    access: Mapping[str, object] | None = None,
    notes: tuple[Finding, ...] = (),
    diagnostics: Mapping[str, JSONValue] | None = None,
) -> HostResult:
    return HostResult(
        name=target.name,
        customer=target.customer,
        role=target.role,
        address=target.address,
        connection=target.connection,
        stage=stage,
        stage_reason=reason,
        checks=checks,
        started_at=started_at,
        duration_s=duration_s,
        payload=payload,
        security_finding=security_finding,
        stage_finding=stage_finding,
        access=dict(access or {}),
        notes=notes,
        diagnostics=dict(diagnostics or {}),
    )
