"""What `jinnang learn` refits of the key dates: the learned type (nlp/date_types.py), on the shipped
notes and a data dir's own, with the C and thresholds the packaged model was chosen with. Typed-date
F1 is scored as `jinnang eval extraction` scores it: a date right when its type and day both are."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinnang.core.records import KeyDate
from jinnang.nlp.date_types import MODEL_FILE, MODELS, NONE, DateTypesModel, context, fit
from jinnang.nlp.dates import find_key_dates
from jinnang.nlp.traditional import simplified
from jinnang.nlp.visit_learning import packaged_choice


@dataclass(frozen=True)
class DatedNote:
    """One labelled note as the date model reads it: the rules' dates and the gold's."""

    text: str
    found: list[KeyDate]
    cued: list[bool]
    gold: frozenset[tuple[str, str]]  # (type, ISO day)

    def rows(self) -> list[tuple[str, str, bool, str]]:
        """(context, the rules' type, cued, the gold's type) of each date the rules find: NONE where
        the gold lists no date on its day."""
        out: list[tuple[str, str, bool, str]] = []
        for d, c in zip(self.found, self.cued):
            if d.start is None:
                continue
            types = sorted(t for t, day in self.gold if day == d.date.isoformat())
            out.append((context(self.text, d.start, d.end or d.start), d.type, c,
                        (d.type if d.type in types else types[0]) if types else NONE))
        return out


def dated_notes(cases: Iterable[Mapping[str, Any]]) -> list[DatedNote]:
    out = []
    for case in cases:
        gold = (case.get("gold") or {}).get("key_dates")
        if gold is None or not case.get("reference_date"):
            continue
        text = simplified(case["text"])
        details: list[dict[str, bool]] = []
        found = find_key_dates(text, dt.date.fromisoformat(str(case["reference_date"])), kind=case.get("kind"),
                               details=details)
        cued = [bool(d.get("cued")) for d in details] if len(details) == len(found) else [True] * len(found)
        out.append(DatedNote(text, found, cued, frozenset((k["type"], str(k["date"])) for k in gold)))
    return out


def fit_dates(notes: Sequence[DatedNote]) -> DateTypesModel | None:
    """The date model fitted on `notes` with the packaged C and threshold; None with too little to tell apart."""
    rows = [r for n in notes for r in n.rows()]
    if len({r[3] for r in rows}) < 2:
        return None
    card = packaged_choice((MODELS / MODEL_FILE).with_suffix(".json"))
    model = fit([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
                float(card.get("c", 300.0)))
    model.threshold = float(card.get("threshold", 0.3))
    model.drop_threshold = float(card.get("drop_threshold", 1.01))
    return model


def typed_f1(notes: Sequence[DatedNote], model: DateTypesModel | None) -> float:
    """Typed-date micro-F1 over `notes`: the rules' dates, retyped by `model` (None: the rules alone)."""
    tp = fp = fn = 0
    for n in notes:
        dates = [d for _, d in model.retyped(n.text, n.found, n.cued)] if model is not None else n.found
        pred = {(d.type, d.date.isoformat()) for d in dates}
        tp, fp, fn = tp + len(pred & n.gold), fp + len(pred - n.gold), fn + len(n.gold - pred)
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
