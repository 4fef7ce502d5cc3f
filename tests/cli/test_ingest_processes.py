"""`jinnang ingest FOLDER --processes N`: notes extracted in worker processes are stored exactly as
the one-process run stores them (same records, same order, same accounts, same rows printed)."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jinnang.cli import ingest_cmds
from jinnang.cli.app import app
from jinnang.core.settings import get_settings
from jinnang.eval.bench_ingest import generate_notes
from jinnang.service.extract_pool import MIN_NOTES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    paths = generate_notes(notes, n=ingest_cmds.INGEST_BATCH + 3, seed=5)  # two batches
    # the same bytes again, in the second batch: stored once, reported as a duplicate
    shutil.copy(paths[1], notes / "z-again.txt")
    (notes / "empty.txt").write_bytes(b"")  # refused at the door
    lines = [{"file": paths[0].name, "account_id": "acc-p1", "rep_id": "rep-07", "hospital": "市一院"},
             {"file": paths[5].name, "account_id": "acc-p1", "rep_id": "rep-07"},
             {"file": paths[-1].name, "account_id": "acc-p2", "rep_id": "rep-08", "kind": "trial_feedback"}]
    (notes / "manifest.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                                          encoding="utf-8")
    return notes


def _ingest(folder: Path, data_dir: Path, processes: int, monkeypatch) -> list[dict]:
    monkeypatch.setenv("JINNANG_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, ["ingest", str(folder), "--json", "--processes", str(processes)])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 1, done.stderr  # the empty file is refused, the rest stored
    return [json.loads(line) for line in done.stdout.splitlines()]


def _stored(data_dir: Path) -> tuple[list, list, list, list]:
    with sqlite3.connect(data_dir / "jinnang.sqlite3") as db:
        records = db.execute("SELECT document_id, kind, reference_date, rep_id, account_id, hospital, text, "
                             "record_json, min_confidence FROM extraction_records ORDER BY id").fetchall()
        accounts = db.execute("SELECT account_id, rep_id, journey_node, snapshot, applied_documents "
                              "FROM rules_accounts ORDER BY account_id").fetchall()
        documents = db.execute("SELECT id, status, error, text FROM documents ORDER BY id").fetchall()
        chunks = db.execute("SELECT id, document_id, text FROM chunks ORDER BY id").fetchall()
    return records, accounts, documents, chunks


def test_records_stored_by_worker_processes_equal_those_of_one_process(folder, tmp_path, monkeypatch):
    assert len(list(folder.iterdir())) > max(MIN_NOTES, ingest_cmds.INGEST_BATCH)
    alone = _ingest(folder, tmp_path / "one", 1, monkeypatch)
    pooled = _ingest(folder, tmp_path / "two", 2, monkeypatch)
    assert pooled == alone
    assert [r["status"] for r in alone].count("done") == ingest_cmds.INGEST_BATCH + 3
    assert {r["file"].rsplit("/", 1)[-1]: r["status"] for r in alone}["z-again.txt"] == "duplicate"
    records, accounts, documents, chunks = _stored(tmp_path / "one")
    assert len(records) == ingest_cmds.INGEST_BATCH + 3 and len(accounts) == 2
    assert _stored(tmp_path / "two") == (records, accounts, documents, chunks)


def test_a_few_files_or_one_process_start_no_workers(settings):
    # a worker's model loading would cost more than a handful of notes take
    assert ingest_cmds._start_pool(settings, 2, MIN_NOTES - 1) is None
    assert ingest_cmds._start_pool(settings, 1, 1000) is None


def test_processes_below_one_are_refused(folder, data_dir):
    done = CliRunner().invoke(app, ["ingest", str(folder), "--processes", "0"])
    assert done.exit_code == 2 and "--processes" in done.stderr



def test_the_playbook_is_filled_during_the_run_and_holds_every_note_once(folder, tmp_path, monkeypatch):
    # passes of 5 or more documents while the pool extracts the next notes, the rest at the end
    from jinnang.coaching.store import PlaybookStore
    from jinnang.core.settings import Settings
    from jinnang.service import pipeline

    passes: list[list[str]] = []
    index_in_playbook = pipeline.index_in_playbook

    def counted(settings, document_ids, refresh=True):
        passes.append(list(document_ids))
        return index_in_playbook(settings, document_ids, refresh=refresh)

    monkeypatch.setattr(ingest_cmds, "PLAYBOOK_BATCH", 5)
    monkeypatch.setattr(pipeline, "index_in_playbook", counted)
    rows = _ingest(folder, tmp_path / "two", 2, monkeypatch)
    searchable = [r["document_id"] for r in rows if r["status"] in ("done", "duplicate")]
    assert len(passes) > 2 and all(len(p) >= 5 for p in passes[:-1])
    assert sorted(d for p in passes for d in p) == sorted(searchable)  # each row passed once
    in_playbook = PlaybookStore(Settings(data_dir=tmp_path / "two")).read_documents()
    assert set(searchable) <= set(in_playbook)
