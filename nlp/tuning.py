"""Quick figures for objections, visit facts and journey node on gold-format JSONL (tuning aid).

    python -m nlp.tuning shared/data/dev/extraction.jsonl shared/data/dev/ocr/manifest.jsonl [-v]

The official scorer is `eval/extraction.py`; this one prints the errors case by case.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path


def _cases(paths: list[str]) -> list[dict]:
    out = []
    for p in paths:
        for line in Path(p).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return out


def score(paths: list[str], verbose: bool = False, only: str | None = None) -> dict:
    from nlp.journey import find_journey_node
    from nlp.objections import find_objections
    from nlp.visit import find_visit_facts

    cases = _cases(paths)
    # load and compile the vocabularies before timing (once per process, not per note)
    find_objections(""), find_visit_facts(""), find_journey_node("", "visit_note")
    tp = fp = fn = 0
    per_cat: dict[str, list[int]] = {}
    node_ok = visit_total = 0
    visit_ok = {"sample_brought": 0, "questions_resolved": 0, "cross_dept_needs": 0}
    elapsed = 0.0
    for case in cases:
        text, gold, kind = case["text"], case["gold"], case.get("kind", "visit_note")
        ref = dt.date.fromisoformat(case["reference_date"]) if case.get("reference_date") else None
        t0 = time.perf_counter()
        objections = find_objections(text)
        visit = find_visit_facts(text)
        node, node_evidence = find_journey_node(text, kind, reference_date=ref)
        elapsed += time.perf_counter() - t0

        got = {o.category for o in objections}
        want = {o["category"] for o in gold.get("objections", [])}
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        for c in got | want:
            s = per_cat.setdefault(c, [0, 0, 0])
            s[0] += c in got and c in want
            s[1] += c in got and c not in want
            s[2] += c in want and c not in got
        msgs = []
        if got != want and only in (None, "objections"):
            ev = {o.category: o.evidence for o in objections}
            msgs.append(f"  objections +{sorted(got - want)} -{sorted(want - got)} "
                        f"FP-evidence={[ev[c] for c in got - want]} gold={gold.get('objections')}")
        node_ok += node == gold.get("journey_node")
        if node != gold.get("journey_node") and only in (None, "journey"):
            msgs.append(f"  journey got={node} ({node_evidence}) want={gold.get('journey_node')}")
        gv = gold.get("visit")
        if gv is not None:
            visit_total += 1
            checks = {"sample_brought": visit.sample_brought == gv["sample_brought"],
                      "questions_resolved": visit.questions_resolved == gv["questions_resolved"],
                      "cross_dept_needs": set(visit.cross_dept_needs) == set(gv["cross_dept_needs"])}
            for k, ok in checks.items():
                visit_ok[k] += ok
            if not all(checks.values()) and only in (None, "visit"):
                msgs.append(f"  visit got={visit.model_dump(exclude={'evidence'})} want={gv}")
        if verbose and msgs:
            print(case["id"], *msgs, sep="\n")
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    result = {
        "cases": len(cases),
        "objections": {"precision": round(p, 3), "recall": round(r, 3), "micro_f1": round(f1, 3),
                       "per_category": {c: dict(zip(("tp", "fp", "fn"), v)) for c, v in sorted(per_cat.items())}},
        "journey_accuracy": round(node_ok / len(cases), 3) if cases else 0.0,
        "visit": {"notes": visit_total,
                  **{k: round(v / visit_total, 3) if visit_total else 0.0 for k, v in visit_ok.items()},
                  "field_accuracy": round(sum(visit_ok.values()) / (3 * visit_total), 3) if visit_total else 0.0},
        "ms_per_note": round(1000 * elapsed / len(cases), 3) if cases else 0.0,
    }
    return result


def main(only: str | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("paths", nargs="+")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--score", action="store_true", help="accepted for `python -m nlp.objections --score PATH`")
    args = ap.parse_args()
    print(json.dumps(score(args.paths, args.verbose, only), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
