"""A fitted scikit-learn model on disk: a joblib file of plain scikit-learn objects beside a JSON
card naming its data and the scikit-learn version (the objection scorer, the learned journey node)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def save_joblib(fields: dict[str, Any], path: Path, card: dict[str, Any]) -> None:
    """Write `fields` to `path` and the card to `path` with .json. Plain scikit-learn objects only, so
    the file does not depend on where a module lives; written beside and moved into place, so a
    reader (extraction in a data dir that is learning) never sees half a file."""
    import joblib
    import sklearn

    path.parent.mkdir(parents=True, exist_ok=True)
    card = {**card, "sklearn": sklearn.__version__}
    path.with_suffix(".json").write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp = path.with_suffix(".tmp")
    joblib.dump(fields, tmp, compress=3)
    os.replace(tmp, path)


def packaged_path(models: Path, model: str) -> Path:
    """`model` as given when absolute, else the packaged file of that name under `models`."""
    return Path(model) if Path(model).is_absolute() else models / model
