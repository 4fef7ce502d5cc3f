"""`jinnang documents delete ID`: prints what was removed and exits 0; an unknown id is exit 2 with a clear line."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from jinnang.cli import documents_cmds  # noqa: F401  (registers the commands)
from jinnang.cli.app import app
from jinnang.core.settings import get_settings
from jinnang.service.pipeline import ingest_bytes


def _ingest() -> str:
    registration, job = ingest_bytes(get_settings(), "骨科王主任说价格偏高。".encode(), "n.txt", rep_id="rep-07")
    assert job is not None and job.status == "done"
    return registration.document_id


def test_delete_prints_the_report_and_exits_0(data_dir):
    document_id = _ingest()
    result = CliRunner().invoke(app, ["documents", "delete", document_id, "--by", "mgr-02"])
    assert result.exit_code == 0, result.output
    assert f"deleted document {document_id}" in result.stdout and "chunk_vectors" in result.stdout
    again = CliRunner().invoke(app, ["documents", "delete", document_id])
    assert again.exit_code == 2 and f"no document '{document_id}'" in again.stderr


def test_delete_json_is_one_object(data_dir):
    document_id = _ingest()
    result = CliRunner().invoke(app, ["documents", "delete", document_id, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["document_id"] == document_id and report["removed"]["documents"] == 1
