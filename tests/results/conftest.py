"""Fixtures: the sample run (sample_run.py) and a recorded version 1 results document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sample_run import RESULTS_V1, make_run

from auditor.model import RunResult


@pytest.fixture
def run() -> RunResult:
    return make_run()


@pytest.fixture
def v1_document() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(RESULTS_V1.read_text("utf-8"))
    return doc
