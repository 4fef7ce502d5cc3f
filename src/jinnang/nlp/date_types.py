"""A learned type for each key date the rules find, beside their cue words (issue 15: learned parts
where the rules overfit).

On notes by new hands the rules find nearly every deal date (date-only F1 0.91–0.99 on fresh sets) but
type one in six or seven wrongly: the cue words of nlp/config/dates.yaml stand near the date in one
writer's phrasing and not in the next one's (约了6月18号过去给科里看机器 is a demo; 下周二再碰一下 a next
meeting). This model reads the characters (1–3-grams) of the date's sentence on either side of it, with
the rules' type and whether a cue typed it as features, and names one of the ten types or none: a date
the writer mentions that is no deal date (a holiday's days off, a day in a list of past visits). Where
it names another type than the rules past its threshold, its type stands; where it is sure past its drop
threshold that the date is none, the date is left out. The day, the evidence and every date the rules
left out are unchanged.

Trained offline by `python training/train_date_types.py` (C and threshold chosen by pooled
leave-one-set-out over the retired blind sets); a joblib file under nlp/models/ with a JSON card.
Without the file the rules type alone.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.core.records import KEY_DATE_TYPES, KeyDate
from jinnang.nlp.logistic import logistic_proba
from jinnang.nlp.model_files import DataDirModel, load_joblib, save_joblib
from jinnang.nlp.tfidf import tfidf_transform

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "date_types.joblib"
WINDOW = 30  # characters on either side, within the sentence
RULE_WEIGHT = 3.0  # the rules' type weighs as much as a handful of telling characters
NONE = "none"  # the class of a date the rules find on a day the gold does not list
_BREAK = re.compile(r"[。；;！!？?\n]")


def context(text: str, start: int, end: int) -> str:
    """The date's sentence around it: up to WINDOW characters before, the date as ⟨D⟩, and after.

    A date alone at the start or end of its line, as a form's value under its label (试用起止日期 /
    2025.12.01 / 至 / 2026.01.10), reads the neighbouring line instead, marked ¶: that is where its
    label stands."""
    lo = max(0, start - WINDOW)
    left = text[lo:start]
    if (cut := list(_BREAK.finditer(left))):
        left = left[cut[-1].end():]
    if not left.strip() and text[:start - len(left)].endswith("\n"):
        line = text[:start - len(left) - 1].rstrip().rsplit("\n", 1)[-1]
        if line and not _BREAK.match(line[-1]):  # a label, not a sentence's end
            left = f"{line[-WINDOW:].strip()}¶"
    right = text[end:end + WINDOW]
    if (stop := _BREAK.search(right)):
        right = right[:stop.start()]
    if not right.strip() and text[end + len(right):].startswith("\n"):
        line = _BREAK.split(text[end + len(right) + 1:].lstrip(), 1)[0]
        right = f"¶{line[:WINDOW].strip()}"
    return f"{left}⟨D⟩{right}"


def _rule_columns(types: Sequence[str], cued: Sequence[bool]) -> Any:
    from scipy.sparse import csr_matrix

    cols = np.zeros((len(types), len(KEY_DATE_TYPES) + 1))
    for row, (t, c) in enumerate(zip(types, cued)):
        cols[row, KEY_DATE_TYPES.index(t)] = RULE_WEIGHT
        cols[row, -1] = RULE_WEIGHT if c else 0.0
    return csr_matrix(cols)


def usable_rows(found: Sequence[KeyDate]) -> list[int]:
    """The dates the model reads: those with their place in the text."""
    return [i for i, d in enumerate(found) if d.start is not None and d.end is not None]


@dataclass
class DateTypesModel:
    vectorizer: Any  # TfidfVectorizer over characters of the contexts
    model: Any  # LogisticRegression over the types (and NONE, when fitted with such rows)
    threshold: float
    drop_threshold: float = 1.01  # 1.01: no date is left out (a model fitted without NONE rows)

    def probabilities(self, contexts: Sequence[str], types: Sequence[str], cued: Sequence[bool]) -> np.ndarray:
        from scipy.sparse import hstack

        x = hstack([tfidf_transform(self.vectorizer, contexts), _rule_columns(types, cued)]).tocsr()
        return logistic_proba(self.model, x)

    def retyped(self, text: str, found: list[KeyDate], cued: Sequence[bool],
                probs: np.ndarray | None = None) -> list[tuple[int, KeyDate]]:
        """(index in `found`, date) with the model's type where it differs from the rules' past the
        threshold, less the dates it holds no deal date past the drop threshold; a day then named
        twice with one type is kept once (the first). `probs`: those of `usable_rows`, when known (a
        training script trying thresholds)."""
        usable = usable_rows(found)
        out: list[KeyDate | None] = list(found)
        if usable:
            if probs is None:
                probs = self.probabilities([context(text, found[i].start or 0, found[i].end or 0) for i in usable],
                                           [found[i].type for i in usable], [cued[i] for i in usable])
            classes = list(self.model.classes_)
            none = classes.index(NONE) if NONE in classes else None
            for row, i in enumerate(usable):
                p = probs[row].copy()
                if none is not None:
                    if p[none] >= self.drop_threshold:
                        out[i] = None
                        continue
                    # the type's share of what is left: a date kept is one of the types
                    p[none], rest = 0.0, 1.0 - p[none]
                    p = p / rest if rest > 0 else p
                best = int(np.argmax(p))
                if classes[best] != found[i].type and p[best] >= self.threshold:
                    out[i] = found[i].model_copy(update={"type": classes[best]})
        seen: set[tuple[str, Any]] = set()
        kept = []
        for i, d in enumerate(out):
            if d is not None and (d.type, d.date) not in seen:
                seen.add((d.type, d.date))
                kept.append((i, d))
        return kept


def fit(contexts: Sequence[str], types: Sequence[str], cued: Sequence[bool], gold: Sequence[str], c: float) -> DateTypesModel:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True).fit(contexts)
    x = hstack([vectorizer.transform(contexts), _rule_columns(types, cued)]).tocsr()
    return DateTypesModel(vectorizer, LogisticRegression(C=c, max_iter=3000).fit(x, list(gold)), 1.01)


def save(model: DateTypesModel, path: Path, card: dict[str, Any]) -> None:
    save_joblib({"vectorizer": model.vectorizer, "model": model.model, "threshold": model.threshold,
                 "drop_threshold": model.drop_threshold}, path, card)


def load(path: Path) -> DateTypesModel | None:
    """The model in `path`; None when it is missing or unreadable (the rules then type alone)."""
    return load_joblib(path, DateTypesModel, "date types model")


_file: DataDirModel[DateTypesModel | None] = DataDirModel(
    MODELS, MODEL_FILE, load, "date types model %s is missing (run `python training/train_date_types.py`): rules only")


def current_path(data_dir: Path | None = None) -> Path:
    """The data dir's refit (`jinnang learn`) when there is one, else the packaged model."""
    return _file.current_path(data_dir)


def load_model(model: str | None = None) -> DateTypesModel | None:
    """The fitted model (`model`, else the data dir's refit or the packaged one), re-read when its file
    changes; None when it is missing or unreadable: the rules alone."""
    return _file.load(model)


def with_learned_types(text: str, found: list[KeyDate], details: list[dict[str, bool]] | None = None,
                       model: DateTypesModel | str | None = None) -> list[KeyDate]:
    """The rules' dates, typed by the model (`model`, a path, else the data dir's refit or the packaged
    one) where it is sure of another type."""
    if not isinstance(model, DateTypesModel):
        model = load_model(model)
    if model is None or not found:
        return found
    aligned = details is not None and len(details) == len(found)
    cued = [bool(d.get("cued")) for d in details] if aligned else [True] * len(found)  # type: ignore[union-attr]
    kept = model.retyped(text, found, cued)
    if aligned and len(kept) < len(found):  # the details stay one per date (calibration zips them)
        details[:] = [details[i] for i, _ in kept]  # type: ignore[index]
    return [d for _, d in kept]
