"""The `learn` job: the managers' reviewed records teach this data dir's objection and visit models, as
`jinnang learn` does, from the admin page's button or on a schedule sales operations turns on
(`schedule: {learn: {at: "03:00"}}` in the alerts file; off by default: a team's own notes lifted
objection F1 by −0.02 to +0.11 over the eight team curves measured, two of them by +0.05 or more;
eval/data/generalisation/README.md).

It refits only when the reviewed records say something the data dir has not learned yet, and keeps
the refit only where it scores no worse on the shipped labelled sets (nlp/refit.refit: objection F1 and visit accuracy); the
summary the admin page shows says which, with both figures."""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from jinnang.core.settings import Settings

MARK = "refit-from.sha256"  # beside the taught notes: which notes the last refit (kept or refused) was fitted on


def learn_from_reviews(settings: Settings, now: dt.datetime | None = None) -> dict[str, Any]:
    from jinnang.nlp import learning, refit

    cases = learning.reviewed_cases(settings)
    if not cases:
        return {"skipped": "no reviewed records yet"}
    added, total = learning.add_notes(settings.data_dir, cases)
    folder = learning.learning_dir(settings.data_dir)
    taught = hashlib.sha256((folder / "notes.jsonl").read_bytes()).hexdigest()
    mark = folder / MARK
    if mark.is_file() and mark.read_text(encoding="ascii") == taught:
        return {"skipped": "nothing new since the last refit", "notes": total}
    result = refit.refit(settings.data_dir)
    mark.write_text(taught, encoding="ascii")  # after the refit: one that failed is tried again next time
    return {"notes": total, "new": added, "kept": result.kept, "f1_refit": round(result.f1_new, 4),
            "f1_current": round(result.f1_old, 4), "visit_refit": round(result.visit_new, 4),
            "visit_current": round(result.visit_old, 4), "dates_refit": round(result.dates_new, 4),
            "dates_current": round(result.dates_old, 4), "seconds": round(result.seconds, 1)}
