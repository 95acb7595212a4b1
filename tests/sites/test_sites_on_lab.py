"""Audits across sites on a real lab: two customer sites, each with its own worker namespace.

Site 1 ("nord") and site 2 ("sued") are customer networks behind NAT
gateways that reuse one address plan; each site's worker runs in a namespace
on that site's LAN, so it reaches its own hosts and no other site's. The
queue and the history store are one real PostgreSQL, reached from the
namespaces through its Unix socket. Workers are real ``auditor worker``
processes; one is killed with SIGKILL in the middle of its job.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from auditor.lab import Fault, HostSpec, Lab, LabSpec, unique_prefix
from auditor.lab.inventory import write_site_inventory
from auditor.lab.postgres import LabPostgres
from auditor.lab.spec import REFLECTOR
from tests.engine.conftest import write_test_profile

pytestmark = pytest.mark.lab

NORD, SUED = "Nord AG", "Süd GmbH"
SPEC = LabSpec(
    name="two-sites",
    hosts=(
        HostSpec("n1", NORD, site=1, teamviewer="running"),
        HostSpec("n2", NORD, site=1, hang_after_auth=True),  # keeps the job busy for seconds
        HostSpec("n3", NORD, site=1, teamviewer="running"),
        HostSpec("s1", SUED, site=2, teamviewer="running"),
        HostSpec("s2", SUED, site=2, teamviewer="running", faults=(Fault("tcp", 5938),)),
    ),
)
SITE_OF = {1: "nord", 2: "sued"}
WAIT_S = 180  # bound of every wait below


@pytest.fixture(scope="module")
def sites_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    running = Lab(SPEC, tmp_path_factory.mktemp("sites-lab"), prefix=unique_prefix("q")).up()
    try:
        yield running
    finally:
        running.down()


@dataclass
class Fleet:
    lab: Lab
    work: Path
    db: str  # through the Unix socket
    inventory: Path
    profile: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_DB", "SSH_AUTH_SOCK")}
        return {**env, "HOME": str(self.work), "PYTHONPATH": str(Path.cwd())}

    def worker(self, site: int, *extra: str) -> subprocess.Popen[str]:
        """``auditor worker`` in site ``site``'s own namespace."""
        log = (self.work / f"worker-{site}-{time.monotonic_ns()}.log").open("w")
        argv = [sys.executable, "-P", "-m", "auditor", "worker", "--db", self.db,
                "-i", str(self.inventory), "--site", SITE_OF[site],
                "--known-hosts", str(self.work / f"own-known-hosts-{site}"), *extra]  # fmt: skip
        ns = self.lab.site_worker_ns[site]
        return subprocess.Popen(["ip", "netns", "exec", ns, *argv], env=self.env(), stdout=log,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip

    def schedule(self, *extra: str) -> subprocess.Popen[str]:
        argv = [sys.executable, "-P", "-m", "auditor", "schedule", "--db", self.db,
                "-i", str(self.inventory), "--profile", str(self.profile),
                "--reflector", REFLECTOR, "--expected-network", "203.0.113.0/24",
                "--out", str(self.work / "out"), "--lang", "en", *extra]  # fmt: skip
        proc = subprocess.Popen(argv, env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "run ID: N jobs, ...", printed once all are queued
        if not first.startswith("run "):
            proc.kill()
            raise AssertionError(f"schedule: {first!r} {proc.communicate(timeout=30)}")
        return proc  # workers started now find their jobs waiting (--exit-when-idle)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(_libpq(self.db), autocommit=True) as connection:
            return list(connection.execute(sql, params).fetchall())


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def fleet(sites_lab: Lab, postgres: LabPostgres, tmp_path: Path) -> Fleet:
    db = postgres.socket_url(postgres.new_database())
    subprocess.run(
        [sys.executable, "-m", "auditor", "db", "upgrade", "--db", db],
        check=True,
        capture_output=True,
        timeout=60,
    )  # as a site set-up starts: the schema first
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "config").write_text("Host *\n    IdentityAgent none\n")
    return Fleet(sites_lab, tmp_path, db,
                 write_site_inventory(sites_lab, tmp_path / "inventory.yml", SITE_OF),
                 write_test_profile(tmp_path / "profile.yaml"))  # fmt: skip


def _wait_for(what: str, check: Any, timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"waited {timeout:.0f} s for {what}")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _results(fleet: Fleet) -> dict[str, Any]:
    return json.loads((fleet.work / "out" / "results.json").read_text(encoding="utf-8"))


def test_a_run_across_two_sites_survives_a_killed_worker(fleet: Fleet) -> None:
    scheduler = fleet.schedule("--deadline", "150s", "--wait")
    api = ("--teamviewer-api-token-file", str(fleet.lab.tvapi_token_file),
           "--teamviewer-api-url", fleet.lab.tvapi_url)  # fmt: skip
    sued = fleet.worker(2, "--exit-when-idle", *api)  # sued proves the MSP's assignment
    first = fleet.worker(1, "--forks", "1")  # one host at a time: n1, then the slow n2
    second = None
    try:
        _wait_for("n1 recorded by the first nord worker",
                  lambda: fleet.query("SELECT 1 FROM hosts WHERE name = 'n1'"))  # fmt: skip
        assert not fleet.query("SELECT 1 FROM hosts WHERE name = 'n3'")  # still mid-job
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        second = fleet.worker(1, "--stalled-after", "3s", "--exit-when-idle")
        out, err = scheduler.communicate(timeout=WAIT_S)
        assert second.wait(timeout=WAIT_S) == 0
        assert sued.wait(timeout=WAIT_S) == 0
    finally:
        for proc in (scheduler, sued, first, *([second] if second else [])):
            _stop(proc)
    assert scheduler.returncode == 2, err  # n2 hung after login: not every host was audited
    assert ": complete" in out  # yet every job of the run was done
    rows = fleet.query("SELECT name, count(*) FROM hosts GROUP BY name ORDER BY name")
    assert rows == [("n1", 1), ("n2", 1), ("n3", 1), ("s1", 1), ("s2", 1)]  # nothing twice
    jobs = dict(fleet.query("SELECT customer, attempt FROM run_jobs"))
    assert jobs == {NORD: 1, SUED: 0}  # the nord job was retried once, by the second worker
    hosts = {h["name"]: h for h in _results(fleet)["hosts"]}
    assert set(hosts) == {"n1", "n2", "n3", "s1", "s2"}
    vantage = {name: h["access"]["vantage"] for name, h in hosts.items()}
    assert {v["site"] for n, v in vantage.items() if n.startswith("n")} == {"nord"}
    assert {v["site"] for n, v in vantage.items() if n.startswith("s")} == {"sued"}
    assert vantage["n1"]["worker"].endswith(f":{first.pid}")  # kept from the killed worker
    assert vantage["n3"]["worker"] != vantage["n1"]["worker"]
    assert [n for n, h in hosts.items() if h["compliant"]] == ["n1", "n3", "s1"]
    assert hosts["n2"]["stage"] != "judged"  # it hung after login: never a verdict
    tcp = {c["id"]: c["verdict"] for c in hosts["s2"]["checks"]}
    assert tcp["tcp_5938"] == "fail"
    assignment = {name: next(c for c in h["checks"] if c["id"] == "teamviewer")["evidence"]
                  .get("assignment", {}) for name, h in hosts.items() if h["stage"] == "judged"}  # fmt: skip
    assert assignment["s1"]["state"] == "msp" and assignment["s1"]["device"]["name"] == "s1"
    assert assignment["n1"]["state"] == "not_checked"  # the nord workers have no token
    index = (fleet.work / "out" / "index.html").read_text(encoding="utf-8")
    assert NORD in index and SUED in index and 'id="not-audited"' not in index
    assert fleet.query("SELECT status FROM runs") == [("complete",)]
    page = (fleet.work / "out" / "nord-ag.html").read_text(encoding="utf-8")
    assert "Audited from" in page and "site nord" in page
    # The queue carries ids and host names, never a secret or an address.
    for (args,) in fleet.query("SELECT args FROM procrastinate_jobs"):
        assert set(args) == {"run_id", "job_id", "customer", "hosts"}
        assert str(fleet.lab.client_key) not in json.dumps(args)
    shown = _status(fleet)
    assert "auditor-site" not in shown  # sites are shown by their names
    assert [line.split()[:5] for line in shown.splitlines() if line.startswith("  nord ")
            or line.startswith("  sued ")] == [["nord", "0", "0", "0", "1"],
                                               ["sued", "0", "0", "0", "1"]]  # fmt: skip
    workers = {line.split()[0]: line for line in shown.splitlines() if line.startswith("  nord/")
               or line.startswith("  sued/")}  # fmt: skip
    assert len(workers) == 3 and "stopped" not in workers[vantage["n1"]["worker"]]  # killed
    assert (
        "stopped" in workers[vantage["n3"]["worker"]]
        and "1 jobs" in workers[vantage["n3"]["worker"]]
    )
    assert "Nord AG" in shown and "2/3 hosts compliant" in shown


def _status(fleet: Fleet) -> str:
    done = subprocess.run([sys.executable, "-P", "-m", "auditor", "status", "--db", fleet.db],
                          capture_output=True, text=True, timeout=60, env=fleet.env(), check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_site_without_a_worker_leaves_the_run_incomplete_by_its_deadline(fleet: Fleet) -> None:
    scheduler = fleet.schedule("--deadline", "25s", "--wait", "--chunk", "2")
    nord = fleet.worker(1, "--exit-when-idle")
    try:
        out, err = scheduler.communicate(timeout=WAIT_S)
        assert nord.wait(timeout=WAIT_S) == 0
    finally:
        _stop(scheduler)
        _stop(nord)
    assert scheduler.returncode == 2, err  # not every host could be audited
    assert "incomplete" in out
    doc = _results(fleet)
    assert {h["name"] for h in doc["hosts"]} == {"n1", "n2", "n3"}
    [missing] = [p for p in doc["problems"] if p["customer"] == SUED]
    assert missing["source"] == "site sued"
    assert (
        f"{SUED}: 2 of 2 hosts not audited" in missing["message"] and "s1, s2" in missing["message"]
    )
    assert "no worker of site 'sued' took its job" in missing["message"]
    assert SUED in err  # said on the terminal too
    status = fleet.query("SELECT status FROM runs")
    assert status == [("incomplete",)]
    jobs = fleet.query("SELECT customer, status, hosts FROM run_jobs ORDER BY id")
    assert jobs == [(NORD, "done", ["n1", "n2"]), (NORD, "done", ["n3"]),
                    (SUED, "missed", ["s1", "s2"])]  # chunks of at most 2 hosts  # fmt: skip
    index = (fleet.work / "out" / "index.html").read_text(encoding="utf-8")
    assert 'id="not-audited"' in index and "s1, s2" in index
    page = (fleet.work / "out" / "sued-gmbh.html").read_text(encoding="utf-8")
    assert "Not audited in this run" in page and "0 of 0 devices" in page
    assert 'class="verdict bad"' in page  # never a green page for hosts nobody audited
    assert "Nothing to do" not in page  # ... nor "nothing to do" about them


def test_each_site_worker_reaches_its_own_sites_hosts(sites_lab: Lab) -> None:
    """Both sites use 198.51.100.10; from each worker namespace it is that site's own host."""
    seen = {}
    for site in (1, 2):
        done = sites_lab.run_in(sites_lab.site_worker_ns[site], ["ssh-keyscan", "198.51.100.10"])
        seen[site] = {" ".join(line.split()[1:3]) for line in done.stdout.splitlines()
                      if line and not line.startswith("#")}  # fmt: skip
        recorded = sites_lab.site_known_hosts(site).read_text(encoding="utf-8")
        assert seen[site] and all(key in recorded for key in seen[site])
    assert not seen[1] & seen[2]
    route = sites_lab.run_in(sites_lab.site_worker_ns[1], ["ip", "-4", "route"]).stdout
    assert route.split("\n")[0].startswith("default via 198.51.100.1")
