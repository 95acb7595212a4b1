"""The benchmark's own parts that can be wrong without a lab: the fleet it builds, how it
reads Ansible's answers. (The figures themselves are bench/RESULTS.md, never asserted.)"""

from __future__ import annotations

from bench.run import agree, ansible_right, auditor_right, bench_spec, truth

ANSIBLE = """
PLAY [remote-maintenance prerequisites, the Ansible way] ***********************

TASK [TCP 5938 to TeamViewer] **************************************************
ok: [b000]
[ERROR]: Task failed: Module failed: Timeout when waiting for router1.teamviewer.com:5938
fatal: [b005]: FAILED! => {"changed": false, "msg": "Timeout"}
...ignoring
fatal: [b009]: UNREACHABLE! => {"changed": false, "unreachable": true}

TASK [TCP 80] ******************************************************************
fatal: [b000]: FAILED! => {"changed": false}
"""


def host(name: str, verdict: str, stage: str = "judged") -> dict[str, object]:
    return {"name": name, "stage": stage, "checks": [{"id": "tcp_5938", "verdict": verdict}]}


def test_the_bench_fleet_has_its_faults() -> None:
    spec = bench_spec(20)
    assert len(spec.hosts) == 20
    assert [h.name for h in spec.hosts if h.hang_after_auth] == ["b0019"]
    assert [h.name for h in spec.hosts if h.faults] == ["b0005", "b0015"]
    assert {h.site for h in spec.hosts} == {0}


def test_a_fleet_beyond_one_lan_fills_remote_sites() -> None:
    spec = bench_spec(450)
    per_site = [sum(1 for h in spec.hosts if h.site == k) for k in (0, 1, 2)]
    assert per_site == [200, 200, 50]
    assert spec.reach["b0200"] == ("203.0.113.201", 22010)
    assert spec.reach["b0449"] == ("203.0.113.202", 22059)


def test_agreement_counts_only_hosts_both_observed() -> None:
    audit = {"hosts": [host("b000", "pass"), host("b005", "fail"), host("b009", "pass"),
                       host("b019", "error", stage="probe"), host("b001", "fail")]}  # fmt: skip
    # b000 and b005 agree; b009 Ansible could not reach; b019 we did not audit; b001 Ansible
    # never mentioned
    assert agree(audit, ANSIBLE) == (2, 2)
    audit["hosts"][1] = host("b005", "error")  # judged, but its probe ended at the deadline
    assert agree(audit, ANSIBLE) == (1, 1)
    audit["hosts"][1] = host("b005", "fail")
    audit["hosts"][0] = host("b000", "fail")
    assert agree(audit, ANSIBLE) == (1, 2)


def test_as_built_counts_what_each_tool_got_right() -> None:
    built = {"b000": "pass", "b005": "fail", "b009": "pass", "b019": "hangs"}
    stopped = {"name": "b019", "stage": "probe", "checks": [],
               "stage_finding": {"code": "probe.not_started"}}  # fmt: skip
    audit = {"hosts": [host("b000", "pass"), host("b005", "fail"), host("b009", "error"), stopped]}
    assert auditor_right(audit, built) == 3  # b009's error is not what was built
    audit["hosts"][3] = {**stopped, "stage_finding": {"code": "probe.timeout"}}
    assert auditor_right(audit, built) == 2  # a hung host must be named as not started
    # Ansible: b000 failed on a later task only, b005 failed, b009 unreachable, b019 silent
    assert ansible_right(ANSIBLE, built) == 2
    spec = bench_spec(20)
    assert truth(spec)["b0019"] == "hangs" and truth(spec)["b0005"] == "fail"
    assert list(truth(spec).values()).count("pass") == 17
