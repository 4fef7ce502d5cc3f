"""OCR scorer: character error rate against the drawn text of gold-format.md §4.

CER = Levenshtein edit distance(OCR text, gold text) / len(gold text), per page,
with lines joined by "\\n" on both sides (so reading order and line breaks count).
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from statistics import mean
from typing import Any

from rapidfuzz.distance import Levenshtein

from jinnang.core.errors import InputError
from jinnang.core.jsonl_file import read_jsonl


def cer(predicted: str, gold: str) -> float:
    if not gold:
        return 0.0 if not predicted else 1.0
    return Levenshtein.distance(predicted, gold) / len(gold)


def read_manifest(folder: Path) -> list[dict[str, Any]]:
    manifest = folder / "manifest.jsonl"
    if not manifest.is_file():
        raise InputError("path", f"no manifest.jsonl in {folder}")
    rows = read_jsonl(manifest, required=("id", "image", "text"))
    for row in rows:
        for key in ("id", "image", "text"):
            if not isinstance(row[key], str):
                raise InputError(key, f"{manifest}: field {key!r} of {row.get('id')!r} is not a string")
    return rows


def _summary(values: list[float]) -> dict[str, float]:
    return {"cer_mean": round(mean(values), 4), "cer_max": round(max(values), 4), "pages": len(values)}


def score_ocr(folder: str | Path, engine: str | None = None,
              subsets: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Run OCR over every manifest page and return the metrics object.

    Subsets come from `subsets` ({name: [ids]}) and from a "subset" or "condition"
    field on manifest lines, when present.
    """
    from jinnang.core.settings import get_settings
    from jinnang.ingest.ocr import get_ocr_engine, ocr_file

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("path", f"not a folder: {folder}")
    rows = read_manifest(folder)
    settings = get_settings()
    ocr = get_ocr_engine(engine or settings.ocr_engine)
    ocr.load()  # model loading is a once-per-process cost, not a per-page one
    per_form: dict[str, float] = {}
    recognised: dict[str, str] = {}
    form_seconds: dict[str, tuple[float, int]] = {}  # id → (seconds, pages)
    groups: dict[str, list[str]] = {name: list(ids) for name, ids in (subsets or {}).items()}
    for row in rows:
        started = time.perf_counter()
        result = ocr_file(folder / row["image"], ocr, max_pixels=settings.max_image_pixels)
        form_seconds[row["id"]] = (time.perf_counter() - started, len(result))
        recognised[row["id"]] = "\n".join(p.text for p in result)
        per_form[row["id"]] = round(cer(recognised[row["id"]], row["text"]), 4)
        label = row.get("subset") or row.get("condition")
        if isinstance(label, str):
            groups.setdefault(label, []).append(row["id"])
    if not per_form:
        raise InputError("path", f"manifest in {folder} lists no page")
    out: dict[str, Any] = {"engine": ocr.name, **_summary(list(per_form.values())),
                           "seconds_per_page": _seconds_per_page(form_seconds, per_form), "per_form": per_form}
    # a subset is a layout kind or a scan condition: its CER and its speed, since both differ by layout
    subset_scores = {name: {**_summary([per_form[i] for i in ids if i in per_form]),
                            "seconds_per_page": _seconds_per_page(form_seconds, ids)}
                     for name, ids in groups.items() if any(i in per_form for i in ids)}
    if subset_scores:
        out["subsets"] = subset_scores
    gold_rows = [r for r in rows if isinstance(r.get("gold"), dict) and r.get("reference_date")]
    if gold_rows:
        out["extraction_on_ocr_text"] = _extraction_on(recognised, gold_rows)
    return out


def _seconds_per_page(form_seconds: dict[str, tuple[float, int]], ids: Iterable[str]) -> float:
    timed = [form_seconds[i] for i in ids if i in form_seconds]
    return round(sum(s for s, _ in timed) / max(sum(n for _, n in timed), 1), 3)


def _extraction_on(recognised: dict[str, str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The extraction scores of the gold objects, computed on what OCR read (gold-format.md §4)."""
    from jinnang.eval.extraction import GoldCase, score
    from jinnang.nlp.extract import extract

    cases = [GoldCase(id=r["id"], kind=r.get("kind", "trial_feedback"), reference_date=r["reference_date"],
                      text=recognised[r["id"]] or " ", gold=r["gold"]) for r in rows]
    result = score(cases, extract)
    return {"decision_makers_f1": result["decision_makers"]["by_name"]["f1"],
            "decision_makers_title_f1": result["decision_makers"]["by_name_title"]["f1"],
            "objections_f1": result["objections"]["micro"]["f1"],
            "key_dates_typed_f1": result["key_dates"]["typed"]["f1"],
            "key_dates_date_only_f1": result["key_dates"]["date_only"]["f1"],
            "journey_node_accuracy": result["journey_node"]["accuracy"],
            "cases": result["cases"]}
