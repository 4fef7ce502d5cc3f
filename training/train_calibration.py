"""Fit the confidence calibration (nlp/calibration.py) on the dev and tune sets, offline.

The shipped calibration is fitted by calibrate_on_unseen.py instead (on blind sets' items as read
before the learned parts were fitted on them), which runs far closer to new writers' notes; this
fit is kept to compare with, and calibrate_on_unseen.py reuses its row and fit helpers.

    .venv/bin/python training/train_calibration.py   # → src/jinnang/nlp/models/calibration.joblib (+ .json)

Data: the shared dev set and the generalisation tune sets (never a holdout). Every note is run
through the finders; each item is labelled right or wrong as `jinnang eval extraction` counts it.
Three things keep the fit honest:
- the rules were tuned on these sets, so today's rules are right on nearly every person, visit and
  journey node there (99–100 %), far above what unseen notes get. People, visit facts and journey
  nodes (whose features come from the record alone) are therefore learned from the records the
  rules gave while a set was still unseen: tune3, tune4 and tune5 read by the commit before their
  round of tuning (BLIND_SNAPSHOTS; `git archive` of that commit, its own extractor, run once and
  cached). Objections and key dates need what today's finders know of each item, so they are
  learned from today's rules on every set (tune5 is the one still unseen by the rules);
- the objection scorer was trained on these very notes, so its probabilities here would be
  in-sample; each set is read with a scorer trained on the other sets only;
- reliability is measured leaving one set out at a time (cross-validated by set), and the review
  line is chosen on those out-of-fold probabilities; the shipped model is then fitted on all rows.
Holdout figures (`jinnang eval extraction eval/data/generalisation/holdout*.jsonl`) are the
honest ones.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from jinnang.core.jsonl_file import read_jsonl
from jinnang.core.paths import CHECKOUT, SHARED_DATA
from jinnang.core.records import ExtractionRecord
from jinnang.eval.extraction import GoldCase, Reliability, expected_calibration_error, item_outcomes
from jinnang.nlp import calibration
from jinnang.nlp.extract import extract_uncalibrated
from jinnang.nlp.objection_scorer import train as train_scorer
from jinnang.nlp.objections import default_finder

ROOT = CHECKOUT
TRAINING_SETS = {
    "dev": SHARED_DATA / "dev" / "extraction.jsonl",
    **{name: ROOT / "eval" / "data" / "generalisation" / f"{name}.jsonl"
       for name in ("tune", "tune2", "tune3", "tune4", "tune5")},
}
Row = tuple[str, str, dict[str, float], bool]  # (set, field, features, right)
# the last commit before the rules were tuned on a set (eval/data/generalisation/README.md):
# dd50caf adds tune3, 0d8ba34 adds tune4, d37e82e is round 5 (tune5 not yet tuned on)
BLIND_SNAPSHOTS = {"tune3": "dd50caf", "tune4": "0d8ba34", "tune5": "d37e82e"}
FROM_SNAPSHOTS = ("decision_makers", "visit", "journey_node")
# Objections and key dates are learned from today's rules, which were tuned on every set but
# tune5: their probabilities are then rescaled (Platt: two numbers) to fit tune5's outcomes
RECALIBRATED = ("objections", "key_dates")
RECALIBRATE_ON = "tune5"
_OLD_EXTRACT = """
import datetime as dt, json, sys
import nlp.extract as ex
assert ex.__file__.startswith(sys.argv[1]), ex.__file__
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for line in open(sys.argv[2], encoding="utf-8"):
        if line.strip():
            case = json.loads(line)
            rec = ex.extract(case["text"], dt.date.fromisoformat(case["reference_date"]), case.get("kind", "visit_note"))
            out.write(json.dumps({"id": case["id"], "record": rec.model_dump(mode="json")}, ensure_ascii=False) + "\\n")
"""


def snapshot_records(name: str, commit: str, cache: Path) -> dict[str, ExtractionRecord]:
    """The records the extractor of `commit` (an old tree layout) gave for set `name`."""
    out = cache / f"{name}@{commit}.jsonl"
    if not out.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tree:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True)
            subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
            subprocess.run([sys.executable, "-c", _OLD_EXTRACT, tree, str(TRAINING_SETS[name]), str(out)],
                           cwd=tree, env={**os.environ, "PYTHONPATH": tree}, check=True)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["id"]: ExtractionRecord.model_validate(r["record"]) for r in rows}


def snapshot_rows(name: str, cases: list[GoldCase], records: dict[str, ExtractionRecord]) -> list[Row]:
    rows: list[Row] = []
    for case in cases:
        record = records[case.id]
        outcomes = item_outcomes(record, case.gold)
        for dm, ok in zip(record.decision_makers, outcomes["decision_makers"]):
            rows.append((name, "decision_makers",
                         calibration.person_features(dm, case.text, len(record.decision_makers)), ok))
        if record.visit is not None and outcomes["visit"]:
            rows.append((name, "visit", calibration.visit_features(record.visit), outcomes["visit"][0]))
        rows.append((name, "journey_node", calibration.journey_features(record.journey_node, record.journey_evidence),
                     outcomes["journey_node"][0]))
    return rows


def item_rows(set_name: str, case: GoldCase) -> list[Row]:
    record, note = extract_uncalibrated(case.text, case.reference_date, case.kind)
    outcomes = item_outcomes(record, case.gold)
    rows: list[Row] = []
    for dm, ok in zip(record.decision_makers, outcomes["decision_makers"]):
        rows.append((set_name, "decision_makers",
                     calibration.person_features(dm, case.text, len(record.decision_makers)), ok))
    for o, d, ok in zip(record.objections, note.details.get("objections", []), outcomes["objections"]):
        rows.append((set_name, "objections", calibration.objection_features(
            o, d["source"], d["scorer_p"], d["rule_hits"], len(record.objections), case.kind), ok))
    for kd, d, ok in zip(record.key_dates, note.details.get("key_dates", []), outcomes["key_dates"]):
        rows.append((set_name, "key_dates", calibration.date_features(
            kd, case.reference_date, d["cued"], d["in_range"], len(record.key_dates)), ok))
    if record.visit is not None and outcomes["visit"]:
        rows.append((set_name, "visit", calibration.visit_features(record.visit), outcomes["visit"][0]))
    rows.append((set_name, "journey_node",
                 calibration.journey_features(record.journey_node, record.journey_evidence), outcomes["journey_node"][0]))
    return rows


def collect(sets: dict[str, list[GoldCase]], raw: dict[str, list[dict[str, Any]]]) -> list[Row]:
    finder = default_finder()
    shipped = finder.scorer
    rows: list[Row] = []
    try:
        for name, cases in sets.items():
            if shipped is not None:  # out-of-fold scorer: trained without this set
                finder.scorer = train_scorer([c for other, cs in raw.items() if other != name for c in cs])
            for case in cases:
                rows += item_rows(name, case)
            print(f"  {name}: {len(cases)} notes read", flush=True)
    finally:
        finder.scorer = shipped
    return rows


def model(c: float):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(DictVectorizer(sparse=False), StandardScaler(), LogisticRegression(C=c, max_iter=2000))


def fit(features: list[dict[str, float]], labels: list[bool], c: float):
    if len(set(labels)) < 2:  # every item right (or wrong): the base rate is all there is to learn
        from sklearn.dummy import DummyClassifier
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.pipeline import make_pipeline

        return make_pipeline(DictVectorizer(sparse=False), DummyClassifier(strategy="prior")).fit(features, labels)
    return model(c).fit(features, labels)


def linear(fitted) -> calibration.FieldModel:
    """The fitted pipeline (vectorizer → scaler → regression) as one weight a feature and a bias."""
    vectorizer = fitted.steps[0][1]
    names = vectorizer.get_feature_names_out()
    last = fitted.steps[-1][1]
    if not hasattr(last, "coef_"):  # a prior only
        prior = float(dict(zip(last.classes_, last.class_prior_)).get(True, 0.0))
        prior = min(max(prior, 1e-6), 1 - 1e-6)
        return calibration.FieldModel(weights={}, bias=float(np.log(prior / (1 - prior))))
    scaler = fitted.steps[1][1]
    sign = 1.0 if list(last.classes_).index(True) == 1 else -1.0
    coef = sign * last.coef_.ravel() / scaler.scale_
    bias = sign * float(last.intercept_[0]) - float(np.dot(coef, scaler.mean_))
    return calibration.FieldModel(weights={str(n): float(w) for n, w in zip(names, coef) if w != 0.0}, bias=bias)


def out_of_fold(rows: list[Row], field: str, c: float) -> list[tuple[str, float, bool]]:
    """Each set's items scored by a model fitted on the other sets: (set, probability, right)."""
    mine = [r for r in rows if r[1] == field]
    pairs: list[tuple[str, float, bool]] = []
    for held in sorted({r[0] for r in mine}):
        train = [r for r in mine if r[0] != held]
        test = [r for r in mine if r[0] == held]
        fitted = fit([r[2] for r in train], [r[3] for r in train], c)
        probs = fitted.predict_proba([r[2] for r in test])[:, list(fitted.classes_).index(True)] \
            if True in fitted.classes_ else np.zeros(len(test))
        pairs += [(held, float(p), r[3]) for p, r in zip(probs, test)]
    return pairs


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def platt(pairs: list[tuple[str, float, bool]]) -> tuple[float, float]:
    """(a, b) of p' = σ(a·logit(p) + b), fitted on the unseen set's out-of-fold probabilities."""
    from sklearn.linear_model import LogisticRegression

    blind = [(p, ok) for s, p, ok in pairs if s == RECALIBRATE_ON]
    fitted = LogisticRegression(C=100.0).fit([[_logit(p)] for p, _ in blind], [ok for _, ok in blind])
    sign = 1.0 if list(fitted.classes_).index(True) == 1 else -1.0
    return sign * float(fitted.coef_[0][0]), sign * float(fitted.intercept_[0])


def rescaled(model: calibration.FieldModel, a: float, b: float) -> calibration.FieldModel:
    return calibration.FieldModel(weights={k: a * w for k, w in model.weights.items()}, bias=a * model.bias + b)


def choose_line(pairs: list[tuple[float, bool]]) -> float:
    """The line that best separates errors from right items: the most errors below it for the
    fewest items (max of share of errors below − share of items below), on out-of-fold figures."""
    wrong = sum(not ok for _, ok in pairs)
    if not wrong:
        return 0.5
    best, best_gain = 0.5, -1.0
    for line in np.arange(0.30, 0.96, 0.01):
        below = [ok for c, ok in pairs if c < line]
        gain = sum(not ok for ok in below) / wrong - len(below) / len(pairs)
        if gain > best_gain:
            best, best_gain = round(float(line), 2), gain
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=calibration.model_path())
    ap.add_argument("--c", type=float, default=0.3, help="inverse regularisation strength of each regression")
    ap.add_argument("--rows", type=Path, help="also write the labelled feature rows here (JSON Lines)")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "jinnang-calibration",
                    help="where the old commits' records are kept between runs")
    ap.add_argument("--from-rows", type=Path, help="fit on rows written by an earlier --rows (no extraction)")
    args = ap.parse_args()
    started = time.time()
    raw = {name: read_jsonl(path, required=("text", "gold")) for name, path in TRAINING_SETS.items()}
    sets = {name: [GoldCase.model_validate(case) for case in cases] for name, cases in raw.items()}
    if args.from_rows:
        saved = [json.loads(line) for line in args.from_rows.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = [(r["set"], r["field"], r["features"], r["right"]) for r in saved]
    else:
        today = collect(sets, raw)
        rows = [r for r in today if r[1] not in FROM_SNAPSHOTS]
        for name, commit in BLIND_SNAPSHOTS.items():
            rows += snapshot_rows(name, sets[name], snapshot_records(name, commit, args.cache))
            print(f"  {name}: read as unseen by {commit}", flush=True)
    if args.rows:
        args.rows.write_text("".join(json.dumps({"set": s, "field": f, "features": x, "right": ok}) + "\n"
                                     for s, f, x, ok in rows), encoding="utf-8")
    report: dict[str, Any] = {}
    every: list[tuple[float, bool]] = []
    models: dict[str, calibration.FieldModel] = {}
    for field in calibration.FIELDS:
        mine = [r for r in rows if r[1] == field]
        fitted = fit([r[2] for r in mine], [r[3] for r in mine], args.c)
        models[field] = linear(fitted)
        # the plain weights must give the fitted model's probabilities
        plain = [models[field].probability(r[2]) for r in mine[:50]]
        assert np.allclose(fitted.predict_proba([r[2] for r in mine[:50]])[:, list(fitted.classes_).index(True)],
                           plain, atol=1e-9), f"{field}: plain weights disagree with the fitted model"
        scored = out_of_fold(rows, field, args.c)
        report[field] = {"items": len(mine), "right": round(sum(r[3] for r in mine) / max(len(mine), 1), 4),
                         "ece_out_of_fold": expected_calibration_error([(p, ok) for _, p, ok in scored])}
        if field in RECALIBRATED:
            a, b = platt(scored)
            blind = [(p, ok) for s, p, ok in scored if s == RECALIBRATE_ON]
            scored = [(s, 1 / (1 + np.exp(-(a * _logit(p) + b))), ok) for s, p, ok in scored]
            models[field] = rescaled(models[field], a, b)
            report[field].update({
                "platt_on": RECALIBRATE_ON, "platt_a": round(a, 4), "platt_b": round(b, 4),
                f"ece_{RECALIBRATE_ON}_before_platt": expected_calibration_error(blind),
                f"ece_{RECALIBRATE_ON}_after_platt": expected_calibration_error(
                    [(float(p), ok) for s, p, ok in scored if s == RECALIBRATE_ON]),
                "ece_out_of_fold_after_platt": expected_calibration_error([(float(p), ok) for _, p, ok in scored])})
        every += [(float(p), ok) for _, p, ok in scored]
    line = choose_line(every)
    report["overall"] = {"items": len(every), "ece_out_of_fold": expected_calibration_error(every),
                         **Reliability._split(every, line)}
    import sklearn

    card = {"data": {n: os.path.relpath(p, ROOT) for n, p in TRAINING_SETS.items()},
            "blind_snapshots": {"fields": list(FROM_SNAPSHOTS), "sets": BLIND_SNAPSHOTS},
            "notes": sum(len(c) for c in sets.values()), "c": args.c, "line": line,
            "cross_validated_by_set": report, "sklearn": sklearn.__version__,
            "note": "fitted by: python training/train_calibration.py; objection features from out-of-fold scorers; "
                    f"{', '.join(RECALIBRATED)} rescaled (Platt) on {RECALIBRATE_ON}"}
    bundle = calibration.CalibrationFile(fields=models, line=line, card=card)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(bundle.model_dump(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(card["cross_validated_by_set"], indent=1))
    print(f"line {line}; wrote {args.out} in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
