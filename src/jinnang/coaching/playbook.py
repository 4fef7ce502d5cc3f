"""The playbook (锦囊): tips mined from won deals, by scenario, each citing its source documents.

Building (`build_playbook(settings)`) reads the documents indexed for search and, for every
won or lost deal note/form:
- finds the customer's objections (`nlp.objections.find_objections`, or the concept lexicon);
- takes the sentences that answered them or moved the deal (won: action cues after the
  objection; lost: the stated lesson) as candidate tips;
- files them under a scenario: department × journey node × objection category;
- ranks each tip by how much more often its key terms appear in won than in lost deals of
  the same objection category (smoothed rate ratio), and merges near-duplicates so a tip
  cites every document it came from.
Talk tracks are attached to the scenarios of their department and category. Everything is
extractive and offline; entries are stored in SQLite (jinnang.db).
"""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from jinnang.coaching.config import load_concepts, load_playbook_config
from jinnang.coaching.records import PlaybookDocument
from jinnang.coaching.search import mask_identifiers
from jinnang.coaching.store import PlaybookStore
from jinnang.coaching.text import STOPWORDS, canonical_department, concept_matcher, normalise, word_tokens
from jinnang.core.db import Base, ensure_tables, open_engine, session_factory
from jinnang.core.errors import InputError, NotFound
from jinnang.core.records import OBJECTION_CATEGORIES
from jinnang.core.settings import Settings
from jinnang.core.text import SENTENCE_END, SENTENCE_OR_LINE_END
from jinnang.nlp.objections import find_objections

log = logging.getLogger(__name__)
GENERAL = "general"  # scenario category of deals with no objection
ANY_NODE = "any"
_SENTENCE = re.compile(rf"[^{re.escape(SENTENCE_OR_LINE_END)}]+[{re.escape(SENTENCE_END)}]?")


class PlaybookScenario(Base):
    __tablename__ = "playbook_scenarios"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # "设备科|admission_filing|compliance"
    department: Mapped[str] = mapped_column(String(60))
    journey_node: Mapped[str] = mapped_column(String(60))
    category: Mapped[str] = mapped_column(String(30))
    won_deals: Mapped[int] = mapped_column(Integer, default=0)
    lost_deals: Mapped[int] = mapped_column(Integer, default=0)
    built_at: Mapped[str] = mapped_column(String(40))


class PlaybookTip(Base):
    __tablename__ = "playbook_tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("playbook_scenarios.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # answer | lesson | talk_track
    text: Mapped[str] = mapped_column(Text)
    lift: Mapped[float] = mapped_column(Float)
    won_hits: Mapped[int] = mapped_column(Integer)
    won_total: Mapped[int] = mapped_column(Integer)
    lost_hits: Mapped[int] = mapped_column(Integer)
    lost_total: Mapped[int] = mapped_column(Integer)
    key_terms: Mapped[str] = mapped_column(Text)  # JSON list
    sources: Mapped[str] = mapped_column(Text)  # JSON list of document ids


TABLES = [Base.metadata.tables[PlaybookScenario.__tablename__], Base.metadata.tables[PlaybookTip.__tablename__]]


def _engine(settings: Settings) -> Any:
    engine = open_engine(settings.sqlite_path)
    ensure_tables(engine, TABLES)
    return engine


# ---------------- mining ----------------

def _objections(text: str) -> list[tuple[str, int]]:
    """(category, offset) of each objection: the extraction finder's when it finds any (it is tuned for
    precision), else the concept lexicon's objection concepts (the playbook needs every deal filed)."""
    try:
        found: list[tuple[str, int]] = [(o.category, o.start or 0) for o in find_objections(text)]
    except Exception:  # a finder fault must not stop the build; the lexicon below still files the deal
        log.exception("objection finder failed; using the concept lexicon")
        found = []
    if found:
        return found
    lexicon = load_concepts().by_id()
    by_lexicon: dict[str, int] = {}
    for start, _, ids in concept_matcher().spans(normalise(text)):
        for cid in ids:
            category = lexicon[cid].objection
            if category and category not in by_lexicon:
                by_lexicon[category] = start
    return list(by_lexicon.items())


def _sentences(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0).strip()) for m in _SENTENCE.finditer(text) if len(m.group(0).strip()) >= 8]


def _content_words(text: str) -> set[str]:
    return {w for w in word_tokens(normalise(text))
            if len(w) >= 2 and w not in STOPWORDS and not any(ch.isdigit() for ch in w)}


@dataclass
class Candidate:
    scenario: tuple[str, str, str]
    kind: str
    text: str
    source: str
    words: set[str]
    outcome: str | None


@dataclass
class Tip:
    kind: str
    text: str
    sources: list[str]
    key_terms: list[str]
    won_hits: int = 0
    lost_hits: int = 0
    lift: float = 0.0
    words: set[str] = field(default_factory=set)


def mine(docs: Iterable[PlaybookDocument | Mapping[str, Any]]
         ) -> tuple[dict[tuple[str, str, str], dict[str, Any]], list[Candidate]]:
    """Scenarios (with their won/lost deal ids) and candidate tips from indexed documents."""
    config = load_playbook_config()
    scenarios: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(lambda: {"won": set(), "lost": set()})
    candidates: list[Candidate] = []
    for doc in map(PlaybookDocument.parse, docs):
        meta = doc.meta
        department = canonical_department(meta.get("department"))
        if doc.kind == "talk_track":
            category = meta.get("objection_category") or GENERAL
            candidates.append(Candidate((department, ANY_NODE, category), "talk_track", doc.text.strip(),
                                        doc.id, _content_words(doc.text), None))
            continue
        outcome = meta.get("outcome")
        if outcome not in ("won", "lost"):
            continue  # an open deal has not shown what works yet
        node = meta.get("journey_node") or ANY_NODE
        objections = _objections(doc.text) or [(GENERAL, 0)]
        for category, offset in objections:
            key = (department, node, category)
            scenarios[key][outcome].add(doc.id)
            if doc.kind not in config.tip_kinds:
                continue
            for start, sentence in _sentences(doc.text):
                if outcome == "won":
                    # what answered the objection or moved the deal: action sentences from the objection on
                    if start + len(sentence) < offset or not any(c in sentence for c in config.tip_cues):
                        continue
                    kind = "answer"
                else:
                    if not any(c in sentence for c in config.lesson_cues):
                        continue
                    kind = "lesson"
                candidates.append(Candidate(key, kind, sentence, doc.id, _content_words(sentence), outcome))
    return scenarios, candidates


def _category_deals(docs: list[PlaybookDocument]) -> dict[str, dict[str, list[set[str]]]]:
    """Per objection category, the content words of each won and each lost deal document."""
    out: dict[str, dict[str, list[set[str]]]] = defaultdict(lambda: {"won": [], "lost": []})
    for doc in docs:
        outcome = doc.meta.get("outcome")
        if doc.kind == "talk_track" or outcome not in ("won", "lost"):
            continue
        words = _content_words(doc.text)
        for category, _ in _objections(doc.text) or [(GENERAL, 0)]:
            out[category][outcome].append(words)
        out["*"][outcome].append(words)
    return out


def _common_words(deals: dict[str, list[set[str]]], share: float = 0.25) -> set[str]:
    """Words in more than `share` of all deal documents (医院, 主任, 已经): never key terms."""
    everything = deals["won"] + deals["lost"]
    counts: dict[str, int] = defaultdict(int)
    for words in everything:
        for w in words:
            counts[w] += 1
    return {w for w, c in counts.items() if c > share * max(len(everything), 1)}


def _rank(tip: Tip, deals: dict[str, list[set[str]]], common: frozenset[str] = frozenset()) -> None:
    """Key terms = the tip's words most typical of won deals; lift = smoothed won/lost rate of deals using them."""
    won, lost = deals["won"], deals["lost"]

    def odds(word: str) -> float:
        w = sum(word in d for d in won)
        lo = sum(word in d for d in lost)
        return math.log((w + 0.5) / (len(won) + 1)) - math.log((lo + 0.5) / (len(lost) + 1))

    # terms seen in at least one won deal, most won-typical first (ties: longer words)
    terms = sorted((t for t in tip.words if t not in common and any(t in d for d in won)), key=lambda t: (-odds(t), -len(t), t))[:3]
    tip.key_terms = terms
    need = max(1, math.ceil(len(terms) * 2 / 3))
    tip.won_hits = sum(sum(t in d for t in terms) >= need for d in won) if terms else 0
    tip.lost_hits = sum(sum(t in d for t in terms) >= need for d in lost) if terms else 0
    tip.lift = round(((tip.won_hits + 0.5) / (len(won) + 1)) / ((tip.lost_hits + 0.5) / (len(lost) + 1)), 3)


def _merge(tips: list[Tip]) -> list[Tip]:
    """Near-duplicate tips (word Jaccard ≥ 0.6) become one tip citing every source."""
    merged: list[Tip] = []
    for tip in tips:
        for kept in merged:
            union = tip.words | kept.words
            if kept.kind == tip.kind and union and len(tip.words & kept.words) / len(union) >= 0.6:
                kept.sources = sorted(set(kept.sources) | set(tip.sources))
                break
        else:
            merged.append(tip)
    return merged


def build_playbook(settings: Settings) -> dict[str, Any]:
    """Mine the indexed documents into playbook scenarios and tips (replacing a previous build)."""
    docs = list(PlaybookStore(settings).read_documents().values())
    if not docs:
        raise NotFound("store", f"no indexed documents under {settings.data_dir}; run `jinnang index` first")
    scenarios, candidates = mine(docs)
    deals = _category_deals(docs)
    by_scenario: dict[tuple[str, str, str], list[Tip]] = defaultdict(list)
    for c in candidates:
        by_scenario[c.scenario].append(Tip(c.kind, c.text, [c.source], [], words=c.words))
    # talk tracks join every mined scenario of their department and category
    for key in list(scenarios):
        # (not into itself: a deal of no known node is filed under ANY_NODE too, and would extend forever)
        for tk in [k for k in by_scenario if k[1] == ANY_NODE and k[0] == key[0] and k[2] == key[2] and k != key]:
            by_scenario[key].extend(Tip(t.kind, t.text, list(t.sources), [], words=t.words) for t in by_scenario[tk])
    common = frozenset(_common_words(deals["*"]))
    built_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    engine = _engine(settings)
    n_tips = 0
    with session_factory(engine)() as session, session.begin():
        session.execute(delete(PlaybookTip))
        session.execute(delete(PlaybookScenario))
        for key, tips in by_scenario.items():
            department, node, category = key
            category_deals = deals[category] if deals.get(category, {}).get("won") else deals["*"]
            for tip in tips:
                _rank(tip, category_deals, common)
            ranked = _merge(sorted(tips, key=lambda t: (-t.lift, t.kind != "talk_track", t.sources[0], t.text)))
            ranked = ranked[:load_playbook_config().max_tips_per_scenario]
            sid = "|".join(key)
            info = scenarios.get(key, {"won": set(), "lost": set()})
            session.add(PlaybookScenario(id=sid, department=department, journey_node=node, category=category,
                                         won_deals=len(info["won"]), lost_deals=len(info["lost"]), built_at=built_at))
            for rank, tip in enumerate(ranked, start=1):
                # a tip is company knowledge every rep reads: the customer's and people's names stay in the note
                text = tip.text if tip.kind == "talk_track" else mask_identifiers(tip.text)
                session.add(PlaybookTip(scenario_id=sid, rank=rank, kind=tip.kind, text=text, lift=tip.lift,
                                        won_hits=tip.won_hits, won_total=len(category_deals["won"]),
                                        lost_hits=tip.lost_hits, lost_total=len(category_deals["lost"]),
                                        key_terms=json.dumps(tip.key_terms, ensure_ascii=False),
                                        sources=json.dumps(tip.sources)))
                n_tips += 1
    return {"scenarios": len(by_scenario), "tips": n_tips, "documents": len(docs)}


# ---------------- reading ----------------

def _tip_dict(t: PlaybookTip) -> dict[str, Any]:
    return {"rank": t.rank, "kind": t.kind, "text": t.text, "lift": t.lift,
            "won": {"hits": t.won_hits, "deals": t.won_total}, "lost": {"hits": t.lost_hits, "deals": t.lost_total},
            "key_terms": json.loads(t.key_terms), "sources": json.loads(t.sources)}


def list_scenarios(settings: Settings, department: str | None = None, journey_node: str | None = None,
                   category: str | None = None) -> list[dict[str, Any]]:
    engine = _engine(settings)
    with session_factory(engine)() as session:
        query = select(PlaybookScenario)
        if department:
            query = query.where(PlaybookScenario.department == canonical_department(department))
        if journey_node:
            query = query.where(PlaybookScenario.journey_node == journey_node)
        if category:
            query = query.where(PlaybookScenario.category == category)
        rows = session.scalars(query.order_by(PlaybookScenario.won_deals.desc(), PlaybookScenario.id)).all()
        counts: dict[str, int] = defaultdict(int)
        for sid in session.scalars(select(PlaybookTip.scenario_id)):
            counts[sid] += 1
        return [{"id": r.id, "department": r.department, "journey_node": r.journey_node, "category": r.category,
                 "won_deals": r.won_deals, "lost_deals": r.lost_deals, "tips": counts[r.id]} for r in rows]


def get_scenario(settings: Settings, scenario_id: str) -> dict[str, Any]:
    engine = _engine(settings)
    with session_factory(engine)() as session:
        row = session.get(PlaybookScenario, scenario_id)
        if row is None:
            raise NotFound("scenario", f"no playbook scenario {scenario_id!r}; list them with "
                                         f"`jinnang playbook list` (ids look like 设备科|admission_filing|compliance)")
        tips = session.scalars(select(PlaybookTip).where(PlaybookTip.scenario_id == scenario_id)
                               .order_by(PlaybookTip.rank)).all()
        return {"id": row.id, "department": row.department, "journey_node": row.journey_node,
                "category": row.category, "won_deals": row.won_deals, "lost_deals": row.lost_deals,
                "built_at": row.built_at, "tips": [_tip_dict(t) for t in tips]}


def export_scenario(settings: Settings, scenario_id: str, fmt: str = "markdown") -> str:
    """One scenario as Markdown or HTML: tips best first, each with its won/lost figures and sources."""
    if fmt not in ("markdown", "html"):
        raise InputError("format", "format must be markdown or html")
    s = get_scenario(settings, scenario_id)
    title = f"锦囊 · {s['department']} · {s['journey_node']} · {s['category']}"
    lines = [f"# {title}", "",
             f"Mined from {s['won_deals']} won and {s['lost_deals']} lost deals (built {s['built_at']}). "
             "Lift = how many times more often a tip's key terms appear in won than in lost deals of this "
             "objection category.", ""]
    labels = {"answer": "What worked", "lesson": "Lesson from a lost deal", "talk_track": "Talk track"}
    for tip in s["tips"]:
        lines.append(f"## {tip['rank']}. {labels.get(tip['kind'], tip['kind'])} (lift {tip['lift']:.2f})")
        lines.append("")
        lines.extend("> " + line for line in tip["text"].splitlines() if line.strip())
        lines.append("")
        lines.append(f"- in won deals: {tip['won']['hits']}/{tip['won']['deals']}, in lost deals: "
                     f"{tip['lost']['hits']}/{tip['lost']['deals']}; key terms: {'、'.join(tip['key_terms']) or '—'}")
        lines.append(f"- sources: {', '.join(tip['sources'])}")
        lines.append("")
    markdown = "\n".join(lines)
    if fmt == "markdown":
        return markdown
    body = []
    body.append(f"<h1>{html.escape(title)}</h1><p>{html.escape(lines[2])}</p>")
    for tip in s["tips"]:
        body.append(f"<section><h2>{tip['rank']}. {html.escape(labels.get(tip['kind'], tip['kind']))} "
                    f"(lift {tip['lift']:.2f})</h2><blockquote>{html.escape(tip['text']).replace(chr(10), '<br>')}"
                    f"</blockquote><p>in won deals: {tip['won']['hits']}/{tip['won']['deals']}, in lost deals: "
                    f"{tip['lost']['hits']}/{tip['lost']['deals']}</p><p>sources: "
                    + ", ".join(f"<code>{html.escape(x)}</code>" for x in tip["sources"]) + "</p></section>")
    return ("<!doctype html><html lang=\"zh\"><meta charset=\"utf-8\"><title>" + html.escape(title)
            + "</title><body>" + "".join(body) + "</body></html>")


def talk_tracks_for(category: str, settings: Settings, limit: int = 2) -> list[dict[str, Any]]:
    """The playbook's best talk tracks for an objection category, as evidence dicts
    `{"source": "playbook", "id": doc_id, "snippet": text}` (empty when none is known)."""
    if category not in OBJECTION_CATEGORIES:
        raise InputError("category",
                         f"unknown objection category {category!r}; one of {', '.join(OBJECTION_CATEGORIES)}")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    try:
        engine = _engine(settings)
        with session_factory(engine)() as session:
            rows = session.execute(
                select(PlaybookTip).join(PlaybookScenario, PlaybookTip.scenario_id == PlaybookScenario.id)
                .where(PlaybookScenario.category == category, PlaybookTip.kind == "talk_track")
                .order_by(PlaybookTip.lift.desc(), PlaybookTip.rank)).scalars().all()
        for row in rows:
            doc_id = json.loads(row.sources)[0]
            if doc_id not in seen:
                seen.add(doc_id)
                out.append({"source": "playbook", "id": doc_id, "snippet": row.text})
    except (SQLAlchemyError, OSError):  # the playbook database cannot be read: the indexed talk tracks still answer
        log.exception("cannot read the playbook's talk tracks; using the indexed ones")
    if not out:  # playbook not built: the indexed talk tracks labelled with this category
        for doc in PlaybookStore(settings).read_documents().values():
            if doc.kind == "talk_track" and doc.meta.get("objection_category") == category:
                out.append({"source": "playbook", "id": doc.id, "snippet": doc.text})
    return out[:limit]
