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
from collections import defaultdict
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from jinnang.coaching.config import load_playbook_config
from jinnang.coaching.mining import (
    ANY_NODE,
    GENERAL,
    MiningCache,
    Tip,
    category_deals,
    common_words,
    merge_tips,
    mine,
    rank,
)
from jinnang.coaching.scenario_text import (
    BUILT_IN_PREFIX,
    category_label,
    evidence_summary,
    node_label,
    scenario_slug,
    situation,
    tip_frequency,
    tip_label,
    title,
)
from jinnang.coaching.store import PlaybookStore, store_dir
from jinnang.coaching.text import canonical_department
from jinnang.core.db import Base, ensure_schema, open_engine, session_factory
from jinnang.core.errors import InputError, NotFound
from jinnang.core.records import OBJECTION_CATEGORIES
from jinnang.core.settings import Settings

log = logging.getLogger(__name__)
__all__ = ["ANY_NODE", "GENERAL", "build_playbook", "export_scenario", "get_scenario", "list_scenarios", "mine",
           "talk_tracks_for"]
MINING_CACHE = "mining_cache.json"


class PlaybookScenario(Base):
    __tablename__ = "playbook_scenarios"

    id: Mapped[str] = mapped_column(String, primary_key=True)  # "设备科|admission_filing|compliance"
    department: Mapped[str] = mapped_column(String)
    journey_node: Mapped[str] = mapped_column(String)
    category: Mapped[str] = mapped_column(String)
    # the id as a URL takes it (`price-any-zonghe`); nullable: a database of an older build has none
    slug: Mapped[str | None] = mapped_column(String, nullable=True, index=True)
    won_deals: Mapped[int] = mapped_column(Integer, default=0)
    lost_deals: Mapped[int] = mapped_column(Integer, default=0)
    built_at: Mapped[str] = mapped_column(String)


class PlaybookTip(Base):
    __tablename__ = "playbook_tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("playbook_scenarios.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String)  # answer | lesson | talk_track
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
    engine = open_engine(settings.db_url)
    ensure_schema(engine)
    return engine


def build_playbook(settings: Settings, fresh: bool = False) -> dict[str, Any]:
    """Mine the indexed documents into playbook scenarios and tips (replacing a previous build).
    The NLP of each text is kept between builds (`MiningCache`); `fresh` mines every text again."""
    docs = list(PlaybookStore(settings).read_documents().values())
    if not docs:
        raise NotFound("store", f"no indexed documents under {settings.data_dir}; run `jinnang index` first")
    directory = store_dir(settings)
    cache = MiningCache(directory / MINING_CACHE if directory.is_dir() else None, load=not fresh)
    scenarios, candidates = mine(docs, cache)
    deals = category_deals(docs, cache)
    by_scenario: dict[tuple[str, str, str], list[Tip]] = defaultdict(list)
    for c in candidates:
        by_scenario[c.scenario].append(Tip(c.kind, c.text, [c.source], [], words=c.words))
    # talk tracks join every mined scenario of their department and category
    for key in list(scenarios):
        # (not into itself: a deal of no known node is filed under ANY_NODE too, and would extend forever)
        for tk in [k for k in by_scenario if k[1] == ANY_NODE and k[0] == key[0] and k[2] == key[2] and k != key]:
            by_scenario[key].extend(Tip(t.kind, t.text, list(t.sources), [], words=t.words) for t in by_scenario[tk])
    common = frozenset(common_words(deals["*"]))
    built_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    rows: list[Any] = []
    slugs: set[str] = set()
    for key, tips in sorted(by_scenario.items()):
        department, node, category = key
        category_deals_ = deals[category] if deals.get(category, {}).get("won") else deals["*"]
        for tip in tips:
            rank(tip, category_deals_, common)
        ranked = merge_tips(sorted(tips, key=lambda t: (-t.lift, t.kind != "talk_track", t.sources[0], t.text)))
        ranked = ranked[:load_playbook_config().max_tips_per_scenario]
        sid = "|".join(key)
        slug = base = scenario_slug(department, node, category)
        n = 1
        while slug in slugs:  # two departments of the same reading
            n += 1
            slug = f"{base}-{n}"
        slugs.add(slug)
        info = scenarios.get(key, {"won": set(), "lost": set()})
        rows.append(PlaybookScenario(id=sid, slug=slug, department=department, journey_node=node, category=category,
                                     won_deals=len(info["won"]), lost_deals=len(info["lost"]), built_at=built_at))
        for position, tip in enumerate(ranked, start=1):
            # a tip is company knowledge every rep reads: the customer's and people's names stay in the note
            text = tip.text if tip.kind == "talk_track" else cache.masked(tip.text)
            rows.append(PlaybookTip(scenario_id=sid, rank=position, kind=tip.kind, text=text, lift=tip.lift,
                                    won_hits=tip.won_hits, won_total=len(category_deals_["won"]),
                                    lost_hits=tip.lost_hits, lost_total=len(category_deals_["lost"]),
                                    key_terms=json.dumps(tip.key_terms, ensure_ascii=False),
                                    sources=json.dumps(tip.sources)))
    engine = _engine(settings)
    with session_factory(engine)() as session, session.begin():  # the write lasts only for the rows
        session.execute(delete(PlaybookTip))
        session.execute(delete(PlaybookScenario))
        session.add_all(rows)
    try:
        cache.save()
    except OSError:  # the playbook is built; only the next build is slower
        log.exception("could not save the playbook mining cache")
    n_tips = sum(isinstance(r, PlaybookTip) for r in rows)
    return {"scenarios": len(by_scenario), "tips": n_tips, "documents": len(docs), "mined_texts": cache.misses}


def clear_playbook(settings: Settings) -> None:
    """No documents left: no scenarios either."""
    with session_factory(_engine(settings))() as session, session.begin():
        session.execute(delete(PlaybookTip))
        session.execute(delete(PlaybookScenario))


# ---------------- reading ----------------

def _tip_dict(t: PlaybookTip) -> dict[str, Any]:
    tip = {"rank": t.rank, "kind": t.kind, "text": t.text, "lift": t.lift,
           "won": {"hits": t.won_hits, "deals": t.won_total}, "lost": {"hits": t.lost_hits, "deals": t.lost_total},
           "key_terms": json.loads(t.key_terms), "sources": json.loads(t.sources)}
    return {**tip, "label": tip_label(t.kind), "frequency": tip_frequency(tip)}


def _scenario_dict(r: PlaybookScenario) -> dict[str, Any]:
    s = {"id": r.id, "slug": r.slug or r.id, "department": r.department, "journey_node": r.journey_node,
         "category": r.category, "won_deals": r.won_deals, "lost_deals": r.lost_deals}
    return {**s, "title": title(s), "situation": situation(s), "summary": evidence_summary(s),
            "node_label": node_label(r.journey_node), "category_label": category_label(r.category)}


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
        return [{**_scenario_dict(r), "tips": counts[r.id]} for r in rows]


def get_scenario(settings: Settings, scenario_id: str) -> dict[str, Any]:
    """One scenario by its slug (`price-any-zonghe`) or its id (`综合|any|price`, as a URL decodes it)."""
    engine = _engine(settings)
    with session_factory(engine)() as session:
        row = session.get(PlaybookScenario, scenario_id) or session.scalars(
            select(PlaybookScenario).where(PlaybookScenario.slug == scenario_id)).first()
        if row is None:
            raise NotFound("scenario", f"no playbook scenario {scenario_id!r}; list them with "
                                         f"`jinnang playbook list` (ids look like price-any-zonghe)")
        tips = session.scalars(select(PlaybookTip).where(PlaybookTip.scenario_id == row.id)
                               .order_by(PlaybookTip.rank)).all()
        return {**_scenario_dict(row), "built_at": row.built_at, "tips": [_tip_dict(t) for t in tips]}


def export_scenario(settings: Settings, scenario_id: str, fmt: str = "markdown") -> str:
    """One scenario as Markdown or HTML, in Chinese: the situation, where the tips come from, tips best
    first with how often they appear in won deals and the documents they cite."""
    if fmt not in ("markdown", "html"):
        raise InputError("format", "format must be markdown or html")
    s = get_scenario(settings, scenario_id)
    lines = [f"# {s['title']}", "", s["situation"], "", f"{s['summary']}（生成于 {s['built_at']}）", ""]
    for tip in s["tips"]:
        lines += [f"## {tip['rank']}. {tip['label']}", ""]
        lines += ["> " + line for line in tip["text"].splitlines() if line.strip()]
        terms = "、".join(tip["key_terms"]) or "—"
        lines += ["", f"- {tip['frequency']}；关键词：{terms}", f"- 来源：{', '.join(tip['sources'])}", ""]
    markdown = "\n".join(lines)
    if fmt == "markdown":
        return markdown
    body = [f"<h1>{html.escape(s['title'])}</h1><p>{html.escape(s['situation'])}</p>"
            f"<p>{html.escape(s['summary'])}</p>"]
    for tip in s["tips"]:
        body.append(f"<section><h2>{tip['rank']}. {html.escape(tip['label'])}</h2><blockquote>"
                    f"{html.escape(tip['text']).replace(chr(10), '<br>')}</blockquote>"
                    f"<p>{html.escape(tip['frequency'])}</p><p>来源："
                    + ", ".join(f"<code>{html.escape(x)}</code>" for x in tip["sources"]) + "</p></section>")
    return ("<!doctype html><html lang=\"zh\"><meta charset=\"utf-8\"><title>" + html.escape(s["title"])
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
        # the company's own talk tracks before the rule file's built-in advice they refine
        for row in sorted(rows, key=lambda r: json.loads(r.sources)[0].startswith(BUILT_IN_PREFIX)):
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
