"""Extraction in worker processes (service/extract_pool.py): a note that fails there, or kills its
worker, is recorded as failed with its reason, and every other note is stored."""
from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.core.records import ExtractionRecord
from jinnang.ingest.store import DocumentRow, ingest_engine
from jinnang.nlp.extract import extract
from jinnang.nlp.store import ExtractionRow
from jinnang.service.extract_pool import ExtractPool, default_processes, extract_note
from jinnang.service.pipeline import ingest_batches

NOTES = [f"第{i}次拜访市一院设备科，王科长说注册证要齐全。价格偏高，约了下周{i}再去。" for i in range(4)]
# a worker runs the task it is given by reference, so a faulty one must live in a module it can import
FAULTY = '''
import os
from jinnang.service.extract_pool import extract_note

def task(text, reference_date, kind):
    if "坏记录" in text:
        raise ValueError("this note breaks the extractor")
    if "崩溃" in text:
        os._exit(3)  # the worker dies, as on a segfault or the OOM killer
    return extract_note(text, reference_date, kind)
'''


@pytest.fixture
def faulty_task(tmp_path: Path, monkeypatch):
    (tmp_path / "faulty_extraction.py").write_text(textwrap.dedent(FAULTY), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))  # workers are given the parent's sys.path
    module = importlib.import_module("faulty_extraction")
    yield module.task
    sys.modules.pop("faulty_extraction", None)


def _items(texts: list[str]) -> list[tuple[bytes, str, dict]]:
    return [(t.encode(), f"n{i}.txt", {"account_id": None}) for i, t in enumerate(texts)]


def _stored(settings) -> tuple[dict[str, tuple[str, str | None]], dict[str, ExtractionRecord]]:
    with Session(ingest_engine(settings)) as session:
        documents = {d.text: (d.status, d.error) for d in session.scalars(select(DocumentRow))}
        records = {r.text: r.record for r in session.scalars(select(ExtractionRow))}
    return documents, records


def test_a_note_failing_in_a_worker_fails_alone_and_the_others_are_stored(settings, faulty_task):
    texts = [NOTES[0], "坏记录：" + NOTES[1], NOTES[2]]
    with ExtractPool(1, settings.data_dir, task=faulty_task) as pool:
        outcome = [job.status for batch in ingest_batches(settings, [_items(texts[:2]), _items(texts[2:])], pool)
                   for _, job in batch]
        assert pool.restarts == 0
    assert outcome == ["done", "failed", "done"]
    documents, records = _stored(settings)
    assert documents[texts[1]][0] == "indexed" and "breaks the extractor" in (documents[texts[1]][1] or "")
    assert sorted(records) == sorted([texts[0], texts[2]])
    reference = dt.datetime.now(dt.timezone.utc).date()
    expected = extract(texts[0], reference, "visit_note")
    assert [d.name for d in records[texts[0]].decision_makers] == [d.name for d in expected.decision_makers]


def test_a_note_that_kills_its_worker_fails_alone_after_a_second_try(settings, faulty_task):
    texts = [NOTES[0], "崩溃：" + NOTES[1], NOTES[2], NOTES[3]]
    with ExtractPool(1, settings.data_dir, task=faulty_task) as pool:
        outcome = [job.status for batch in ingest_batches(settings, [_items(texts)], pool) for _, job in batch]
        assert pool.restarts == 2  # once for the first death, once for the second try's
    assert outcome == ["done", "failed", "done", "done"]
    documents, records = _stored(settings)
    assert "died twice" in (documents[texts[1]][1] or "")
    assert sorted(records) == sorted([texts[0], texts[2], texts[3]])


def test_a_worker_extracts_what_this_process_would(settings):
    with ExtractPool(1, settings.data_dir) as pool:
        pool.submit(NOTES[3], dt.date(2026, 3, 2), "visit_note")
        pooled = pool.extract(NOTES[3], dt.date(2026, 3, 2), "visit_note")
        again = pool.extract(NOTES[3], dt.date(2026, 3, 2), "visit_note")  # not submitted: extracted now
    here = extract_note(NOTES[3], dt.date(2026, 3, 2), "visit_note")
    assert pooled.model_dump() == here.model_dump() == again.model_dump()
    assert 1 <= default_processes() <= 4


def test_workers_end_when_their_parent_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        from jinnang.service.extract_pool import ExtractPool, _ready
        if __name__ == "__main__":
            pool = ExtractPool(1, {str(tmp_path)!r})
            print(pool._executor.submit(_ready).result(), flush=True)
            input()  # killed while waiting here
        """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        worker = int(parent.stdout.readline())  # type: ignore[union-attr]
        assert _alive(worker)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 20
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker), "an orphaned worker keeps its models in memory for good"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
