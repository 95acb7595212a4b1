"""Admin rights of the credentials we hold (requirements.md: uid 0, sudo, become password).

This version only sees the effective uid the payload reports: uid 0 proves
admin; any other uid is ``inconclusive`` until sudo is observed, because a
sudoer that we did not test is neither proven admin nor proven not admin.
"""

from __future__ import annotations

from collections.abc import Mapping

from auditor.model import Check, Verdict


def judge_admin(observations: Mapping[str, object]) -> Check:
    uid = observations.get("uid")
    if not isinstance(uid, int) or isinstance(uid, bool):
        return Check("admin", Verdict.ERROR, "the payload did not report the user id", {})
    evidence = {"uid": uid, "user": observations.get("user")}
    if uid == 0:
        return Check(
            "admin", Verdict.PASS, "logged in as root (uid 0)", {**evidence, "state": "admin"}
        )
    return Check(
        "admin",
        Verdict.INCONCLUSIVE,
        f"logged in as uid {uid}; sudo rights are not checked by this version",
        evidence,
    )
