"""Reading results of schema version 1 (before findings had codes), as version 2.

A pilot's old ``results.json`` must still render and, later, import into
history. Version 1 held verdicts, reasons and evidence but no finding codes,
and its reasons are English sentences: this module never reads them. It
derives what the typed fields prove and says honestly that the rest is
unexplained:

* the checks are the ten fixed ids of contract v5 (their kinds from the
  profile loader's table, their words from the bundled profile);
* a host that stopped at a stage gets that stage's generic code
  (``connect.failed``, ``resolve.failed``...), ``hostkey.changed`` when
  ``security_finding`` is set, and at stage ``auth`` the admin check's
  ``state`` says ``credentials.refused`` or ``credentials.missing``;
* any other check that did not pass gets ``result.unexplained`` with its
  own verdict ("re-run the audit for findings with fixes").
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from auditor.judge.codes import finding
from auditor.model import Finding, Verdict
from auditor.profile import load_profile
from auditor.profile.load import V1_CHECKS

_STAGE_CODES = {
    "inventory": "inventory.invalid",
    "resolve": "resolve.failed",
    "connect": "connect.failed",
    "hostkey": "hostkey.unknown",
    "probe": "probe.failed",
}


def upgrade_v1(doc: Mapping[str, Any], source: str = "results") -> dict[str, Any]:
    """The version 2 document for a version 1 ``doc`` (validated as version 1 first)."""
    from auditor.results.schema import finding_doc, schema_errors

    schema_errors(doc, 1, source)
    new = copy.deepcopy(dict(doc))
    new["schema_version"] = 2
    words = {info.id: info for info in load_profile().check_infos}
    new["run"]["profile"]["checks"] = [
        {
            "id": check_id,
            "kind": kind,
            "title": dict(words[check_id].title),
            "label": dict(words[check_id].label),
        }
        for check_id, (kind, _) in V1_CHECKS.items()
    ]
    for host in new["hosts"]:
        stage = _stage_finding(host)
        host["stage_finding"] = finding_doc(stage) if stage else None
        host["access"], host["notes"] = {}, []
        for check in host["checks"]:
            found = _check_findings(check, host["stage"], stage)
            check["findings"] = [finding_doc(f) for f in found]
    return new


def _admin_evidence(host: Mapping[str, Any]) -> Mapping[str, Any]:
    admin = next((c for c in host["checks"] if c["id"] == "admin"), None)
    return admin["evidence"] if admin else {}


def _stage_finding(host: Mapping[str, Any]) -> Finding | None:
    stage = host["stage"]
    if stage == "judged":
        return None
    if stage == "hostkey" and host.get("security_finding"):
        return finding("hostkey.changed")
    if stage == "auth":
        evidence = _admin_evidence(host)
        missing = evidence.get("state") == "credentials_missing"
        user, observed_at = evidence.get("user"), evidence.get("observed_at")
        code = "credentials.missing" if missing else "credentials.refused"
        return finding(
            code,
            (),
            {
                "user": str(user) if user else None,
                "observed_at": str(observed_at) if observed_at else None,
            },
        )
    if stage in _STAGE_CODES:
        return finding(_STAGE_CODES[stage])
    return finding("result.unexplained", verdict=Verdict.ERROR)


def _check_findings(
    check: Mapping[str, Any], stage: str, stage_finding: Finding | None
) -> tuple[Finding, ...]:
    verdict = Verdict(check["verdict"])
    if verdict in (Verdict.PASS, Verdict.NOT_APPLICABLE):
        return ()
    if stage_finding is None:
        return (finding("result.unexplained", verdict=verdict),)
    if stage_finding.verdict is verdict and stage_finding.code.startswith("credentials."):
        return (stage_finding,)  # the admin check of a refused login
    return ()
