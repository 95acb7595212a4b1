"""The contract profile: versioned YAML data -> :class:`Profile` -> per-host :class:`Plan`.

Requirements change with the contract page; they live in profile files
(``contract-v5.yaml`` is bundled), never in code.
"""

from auditor.profile.load import load_profile, parse_profile
from auditor.profile.plan import Plan, plan_for
from auditor.profile.schema import CHECK_KINDS, Profile, Timeouts
from auditor.profile.values import Applicability, Reflector

__all__ = [
    "CHECK_KINDS",
    "Applicability",
    "Plan",
    "Profile",
    "Reflector",
    "Timeouts",
    "load_profile",
    "parse_profile",
    "plan_for",
]
