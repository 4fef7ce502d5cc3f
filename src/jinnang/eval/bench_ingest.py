"""`jinnang bench ingest`: notes/s through the whole pipeline and OCR s/page, on the bundled demo set."""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from jinnang.core.settings import Settings


def bench_ingest(folder: Path, repeat: int = 5, ocr_engine: str = "rapidocr") -> dict[str, Any]:
    from jinnang.ingest.store import DocumentRow, ingest_engine
    from jinnang.service.pipeline import extract_hook, index_in_playbook, ingest_bytes

    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "manifest.jsonl")
    notes = [p for p in files if p.suffix in (".txt", ".md")]
    scans = [p for p in files if p not in notes]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), ocr_engine=ocr_engine)  # type: ignore[arg-type]
        # warm-up: models load once per process, not per note
        ingest_bytes(settings, "预热：王主任说价格偏高。".encode(), "warmup.txt")
        started = time.perf_counter()
        count, ids = 0, []
        for round_ in range(repeat):
            for note in notes:  # a variant per round so dedup does not skip the work
                data = note.read_bytes() + f"\n（第{round_}轮）".encode()
                registration, _ = ingest_bytes(settings, data, note.name, hooks=(extract_hook,))
                ids.append(registration.document_id)
                count += 1
        index_in_playbook(settings, ids)  # as `jinnang ingest` does: one playbook pass per run
        notes_seconds = time.perf_counter() - started
        page_seconds: list[float] = []
        started = time.perf_counter()
        for scan in scans:
            registration, _ = ingest_bytes(settings, scan.read_bytes(), scan.name, kind="trial_feedback")
            with Session(ingest_engine(settings)) as session:
                doc = session.get(DocumentRow, registration.document_id)
                page_seconds.extend(p.seconds for p in (doc.pages if doc else []) if p.engine != "pdf-text")
        scans_seconds = time.perf_counter() - started
    return {"notes": count, "notes_per_s": round(count / notes_seconds, 2) if notes_seconds else None,
            "scans": len(scans), "ocr_pages": len(page_seconds), "ocr_engine": ocr_engine,
            "ocr_s_per_page_mean": round(statistics.mean(page_seconds), 3) if page_seconds else None,
            "ocr_s_per_page_max": round(max(page_seconds), 3) if page_seconds else None,
            "scan_ingest_s_total": round(scans_seconds, 3)}
