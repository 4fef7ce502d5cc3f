"""Prometheus metrics that every layer records into: one registry a process, so a second app in the
same process (tests) reuses them and `/metrics` (api/metrics.py) serves them all. Worker processes
count their own; with PROMETHEUS_MULTIPROC_DIR set for all processes, any web process reports the sum."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
# seconds: a typed note's text in milliseconds, a scan's OCR in seconds, hooks (playbook, extraction) between
_STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
INGEST_STAGE = Histogram(
    "jinnang_ingest_stage_seconds",
    "Time of one stage of one document's ingest: text (reading or OCR), index (chunks and vectors; a batch's "
    "write counts once), hooks (playbook, extraction, the account).",
    ("stage",), buckets=_STAGE_BUCKETS, registry=REGISTRY)
