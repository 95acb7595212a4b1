"""The results document: public, versioned JSON (``results.v1.schema.json``) for one run."""

from auditor.results.io import RESULTS_NAME, read_results, write_results
from auditor.results.schema import (
    SCHEMA_VERSION,
    ResultsError,
    from_document,
    json_schema,
    to_document,
    validate,
)

__all__ = [
    "RESULTS_NAME",
    "SCHEMA_VERSION",
    "ResultsError",
    "from_document",
    "json_schema",
    "read_results",
    "to_document",
    "validate",
    "write_results",
]
