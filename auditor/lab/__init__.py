"""A customer network of Linux network namespaces, for tests and ``make demo``.

``Lab(spec, state_dir, prefix).up()`` builds it from a declarative
:class:`LabSpec`; ``down()`` removes every namespace and process again. See
``netns.py`` for the topology and ``spec.py`` for the fixed internet-side
addresses. Needs root, ``ip``, ``nft``, ``sshd``, ``dnsmasq``, ``openssl``.
"""

from auditor.lab.build import Lab, LabHost, unique_prefix
from auditor.lab.inventory import write_inventory
from auditor.lab.spec import DeviceSpec, Fault, HostSpec, LabError, LabSpec
from auditor.lab.state import clean_stale

__all__ = [
    "DeviceSpec",
    "Fault",
    "HostSpec",
    "Lab",
    "LabError",
    "LabHost",
    "LabSpec",
    "clean_stale",
    "unique_prefix",
    "write_inventory",
]
