"""Build and tear down one lab: ``Lab(spec, state_dir, prefix).up()`` ... ``.down()``.

``up`` first removes any lab with the same prefix and every lab whose owner
process died (a crashed test run), registers itself, builds the namespaces,
starts every daemon, waits until all of them listen, and checks that the root
namespace gained no route into a lab range. If anything fails on the way it
tears down what it built and raises :class:`LabError`. Typical: ~1-3 s for
a dozen hosts.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.lab import firewall, netns, pki, procs, services, state
from auditor.lab.inventory import write_known_hosts
from auditor.lab.keys import ClientKeys, client_keys, make_client_keys
from auditor.lab.procs import Proc
from auditor.lab.spec import (
    MSP_ADDR,
    RESOLVER_GOOD,
    TV_API,
    TV_API_PORT,
    HostSpec,
    LabError,
    LabSpec,
    site_gateway,
)
from auditor.model import Role, Secret

LISTEN_TIMEOUT_S = 10.0


def unique_prefix(kind: str) -> str:
    """``al<kind><pid in base 36>-``: a prefix no other live process uses (``kind``: a letter)."""
    n, digits = os.getpid(), ""
    while n:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
    return f"al{kind}{digits or '0'}-"


@dataclass(frozen=True, slots=True)
class LabHost:
    """A built host: where it lives (namespace, its own address) and where the MSP reaches it.

    ``reach_address``:``reach_port`` is the host's own address and SSH port
    on the MSP's LAN, and its site gateway's port forward at a remote site.
    """

    name: str
    customer: str
    role: Role
    ns: str
    address: str
    spec: HostSpec
    reach_address: str
    reach_port: int


class Lab:
    """One running lab; the handle tests and ``make demo`` use.

    ``prefix`` (``al<tag>-``, tag 1-6 of ``a-z0-9``) is prepended to every
    namespace, so labs with different prefixes coexist.
    """

    def __init__(self, spec: LabSpec, state_dir: Path, prefix: str = "ald-") -> None:
        if not netns.PREFIX_RE.match(prefix):
            raise LabError(f"lab prefix {prefix!r} must match {netns.PREFIX_RE.pattern}")
        self.spec = spec
        self.prefix = prefix
        self.state_dir = state_dir.resolve()
        self.hosts = tuple(self._placed(h) for h in spec.hosts)
        self.router_ns, self.inet_ns, self.msp_ns = f"{prefix}rt", f"{prefix}inet", f"{prefix}msp"
        self.site_ns = {k: netns.site_router(prefix, k) for k in spec.sites}
        self.site_worker_ns = {k: netns.site_worker(prefix, k) for k in spec.sites}
        self.reflector_running = False
        self._procs: list[Proc] = []
        self._state: state.LabState | None = None
        self._pki: pki.Pki | None = None

    def _placed(self, h: HostSpec) -> LabHost:
        address, (reach_address, reach_port) = self.spec.addresses[h.name], self.spec.reach[h.name]
        ns = f"{self.prefix}h-{h.name}"
        return LabHost(h.name, h.customer, h.role, ns, address, h, reach_address, reach_port)

    # --- paths other parts use --------------------------------------------------
    @property
    def client_key(self) -> Path:
        """Private key that logs in as root on every host with sshd."""
        return self.state_dir / "id_ed25519"

    @property
    def keys(self) -> ClientKeys:
        """Every client key of the lab (``keys.py``): plain, agent, encrypted, certificate."""
        return client_keys(self.state_dir)

    @property
    def known_hosts(self) -> Path:
        return self.state_dir / "known_hosts"

    def site_known_hosts(self, site: int) -> Path:
        """known_hosts as site ``site``'s worker sees its hosts: LAN address, port 22."""
        return self.state_dir / f"known_hosts.site{site}"

    @property
    def tvapi_url(self) -> str:
        """The emulated TeamViewer Web API (``--teamviewer-api-url``), reached from the lab."""
        return f"http://{TV_API}:{TV_API_PORT}"

    @property
    def tvapi_token_file(self) -> Path:
        """The MSP company's API token for this lab (``--teamviewer-api-token-file``)."""
        return self.state_dir / "tvapi.token"

    @property
    def ca_cert(self) -> Path:
        """The lab CA every host trusts (PEM)."""
        return self.state_dir / "pki" / "lab-ca.pem"

    @property
    def rogue_ca_cert(self) -> Path:
        return self.state_dir / "pki" / "rogue-ca.pem"

    @property
    def audit_password(self) -> Secret | None:
        return self.spec.audit_password

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.router_ns, self.inet_ns, self.msp_ns, *self.site_ns.values(),
                *self.site_worker_ns.values(), *(h.ns for h in self.hosts))  # fmt: skip

    def host(self, name: str) -> LabHost:
        for h in self.hosts:
            if h.name == name:
                return h
        raise LabError(f"lab {self.prefix}: no host {name!r}")

    # --- running things inside ----------------------------------------------------
    def run_in(
        self, ns: str, argv: Sequence[str], *, timeout: float = 30.0, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in namespace ``ns`` (with its /etc/netns files); never raises on rc."""
        return subprocess.run(
            netns.exec_argv(ns, argv), input=input, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    def run_in_msp(
        self, argv: Sequence[str], *, timeout: float = 30.0, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` where the auditor runs: the MSP network, LAN access only."""
        return self.run_in(self.msp_ns, argv, timeout=timeout, input=input)

    def run_in_host(
        self, name: str, argv: Sequence[str], *, timeout: float = 30.0, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` on host ``name`` directly (no SSH), e.g. to look at it from inside."""
        return self.run_in(self.host(name).ns, argv, timeout=timeout, input=input)

    # --- lifecycle ----------------------------------------------------------------
    def up(self, *, persistent: bool = False) -> Lab:
        """Build the lab; ``persistent`` labs have no owner (the CLI's ``up``)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with state.registry_lock():
            self._replace_previous()
            state.clean_stale(keep_persistent=True)
            self._state = state.LabState(
                prefix=self.prefix,
                state_dir=str(self.state_dir),
                owner_pid=None if persistent else os.getpid(),
                owner_ticks=None if persistent else state.owner_ticks(),
                namespaces=self.namespaces,
            )
            state.save(self._state)
        try:
            self._build()
        except BaseException:
            self.down()
            raise
        return self

    def _replace_previous(self) -> None:
        """Tear down the lab this state dir held before, and any lab with our prefix."""
        path = self.state_dir / state.STATE_FILE
        try:
            old = state.load(path) if path.exists() else None
        except LabError:
            old = None  # unreadable: what it named is still found by prefix
        if old is not None and old.prefix != self.prefix:
            if old.owner_alive():
                raise LabError(
                    f"{path}: state dir holds lab {old.prefix} of live pid {old.owner_pid}"
                )
            state.teardown(old.prefix, old)
            old = None
        state.teardown(self.prefix, old)

    def down(self) -> None:
        """Stop every process, wait until gone, delete namespaces and /etc/netns dirs."""
        st = self._state or state.LabState(self.prefix, str(self.state_dir), None, None)
        state.teardown(self.prefix, st)
        self._state, self._procs = None, []

    def _record(self, started: Proc) -> Proc:
        self._procs.append(started)
        if self._state is not None:
            self._state = dataclasses.replace(self._state, procs=tuple(self._procs))
            state.save(self._state)
        return started

    def _build(self) -> None:
        https = [(h.name, h.address, h.spec.windows.certificate == "self-signed")
                 for h in self.hosts if h.spec.windows and h.spec.windows.scheme == "https"]  # fmt: skip
        https += [(h.name, h.address, True) for h in self.hosts if h.spec.web_ui]
        made = pki.make_pki(self.state_dir / "pki", https)
        self._pki = made
        make_client_keys(self.keys, self.prefix)
        keys_dir = self.state_dir / "authorized_keys"
        keys_dir.mkdir(exist_ok=True)
        (keys_dir / "root").write_text("\n".join(self.keys.authorized()) + "\n")
        netns.build(self.prefix, [(h.ns, h.address, h.spec.site) for h in self.hosts])
        self._write_etc(made)
        if self.spec.audit_password:
            services.ensure_audit_user(self.spec.audit_password)
        waits = self._start_daemons(made, keys_dir)
        for proc, sockets in waits:
            procs.wait_listening(proc, sockets, LISTEN_TIMEOUT_S)
        self._start_reflector()
        self._record_files()
        leaked = netns.root_lab_routes()
        if leaked:
            raise LabError(f"root namespace has lab routes: {'; '.join(leaked)}")

    def _record_files(self) -> None:
        """List what ``up`` wrote (state dir entries, /etc/netns dirs) in the state file."""
        if self._state is None:
            return
        made = [str(p) for p in sorted(self.state_dir.iterdir()) if p.name != state.STATE_FILE]
        made += [str(netns.NETNS_ETC / ns) for ns in (self.msp_ns, *self.site_worker_ns.values(),
                                                      *(h.ns for h in self.hosts))]  # fmt: skip
        made = [p for p in made if not p.endswith(".tmp")]
        self._state = dataclasses.replace(self._state, files=tuple(made))
        state.save(self._state)

    def _write_etc(self, made: pki.Pki) -> None:
        """Per-namespace resolv.conf, hosts and ssl/ (bound over /etc by ``ip netns exec``)."""
        known = "\n".join(f"{h.reach_address} {h.name}" for h in self.hosts)
        for ns, name, resolvers in [
            (self.msp_ns, "msp", (RESOLVER_GOOD,)),
            *((ns, f"worker{k}", (RESOLVER_GOOD,)) for k, ns in self.site_worker_ns.items()),
            *((h.ns, h.name, h.spec.resolvers) for h in self.hosts),
        ]:
            hosts = f"127.0.0.1 localhost\n::1 localhost\n127.0.1.1 {name}\n"
            if ns == self.msp_ns:
                hosts += f"{MSP_ADDR} msp\n{known}\n"
            base = netns.write_etc(
                ns,
                {
                    "resolv.conf": "".join(f"nameserver {r}\n" for r in resolvers),
                    "hosts": hosts,
                },
            )
            pki.write_host_ssl(base / "ssl", made)

    def _start_daemons(
        self, made: pki.Pki, keys_dir: Path
    ) -> list[tuple[Proc, list[services.Socket]]]:
        waits = [
            *services.start_resolvers(self.inet_ns, self.state_dir),
            services.start_internet(self.inet_ns, made, self.state_dir),
            services.start_tvapi(self.inet_ns, self.spec, self.state_dir),
        ]
        pubs = []
        lan: dict[str, str] = {}  # host key by name, for the site workers' known_hosts
        self._apply_site_rules()
        for h in self.hosts:
            jump = h.spec.ssh_only_from
            firewall.apply(h.ns, h.spec, self.host(jump).address if jump else None)
            host_dir = self.state_dir / "hosts" / h.name
            host_dir.mkdir(parents=True, exist_ok=True)
            if h.spec.windows is not None:
                listener = made.listeners.get(h.name)
                waits.append(services.start_wsman(h.ns, h.spec, h.address, host_dir, listener))
                continue
            if h.spec.web_ui:
                cert, key = made.listeners[h.name]
                waits.append(services.start_webui(h.ns, h.name, h.address, cert, key, host_dir))
                continue
            if h.spec.device is not None:
                pub, proc = services.start_netdev(h.ns, h.spec, h.address, host_dir)
                pubs.append((h.address, pub, 22))
                waits.append((proc, [("tcp", h.address, 22)]))
                continue
            if not h.spec.sshd:
                continue
            pub, proc = services.start_ssh_server(h.ns, h.spec, h.address, host_dir, keys_dir,
                                                  self.keys.user_ca)  # fmt: skip
            pubs.append((h.reach_address, pub, h.reach_port))
            lan[h.name] = pub
            waits.append((proc, [("tcp", h.address, h.spec.ssh_port)]))
        write_known_hosts(self.known_hosts, pubs)
        for site in self.site_ns:
            write_known_hosts(self.site_known_hosts(site),
                              [(h.address, lan[h.name], h.spec.ssh_port) for h in self.hosts
                               if h.spec.site == site and h.name in lan])  # fmt: skip
        for proc, _ in waits:
            self._record(proc)
        return waits

    def _apply_site_rules(self) -> None:
        """Each site's edge firewall faults; NAT and port forwards where there are remote sites."""
        routers = {0: self.router_ns, **self.site_ns}
        for site, router in routers.items():
            here = [h for h in self.hosts if h.spec.site == site]
            firewall.apply_upstream(router, [(h.address, h.spec) for h in here])
            if site:
                forwards = [(h.address, h.spec.ssh_port, h.reach_port) for h in here]
                firewall.load(router, firewall.site_nat_ruleset(netns.SITE_WAN, forwards))
        gateways = [site_gateway(k) for k in self.site_ns]
        firewall.load(self.router_ns, firewall.msp_nat_ruleset(gateways))

    def _start_reflector(self) -> None:
        """The product's reflector is optional: warn (don't fail) while it is missing."""
        started = services.start_reflector(self.inet_ns, self.state_dir)
        if started is None:
            print("auditor.lab: no auditor.reflector yet; lab runs without one", file=sys.stderr)
            return
        self._record(started[0])
        try:
            procs.wait_listening(started[0], started[1], LISTEN_TIMEOUT_S)
            self.reflector_running = True
        except LabError as exc:
            print(f"auditor.lab: reflector did not start: {exc}", file=sys.stderr)
