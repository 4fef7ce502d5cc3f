"""Hybrid playbook search: fuses word BM25, character-bigram BM25, concept tags and dense vectors.

Each channel's scores are scaled to 0–1 for the query, weighted (coaching/config/search.yaml),
and a per-document prior puts documents that say what to do above notes that only restate
the problem. `search_hits(settings, "医生嫌操作麻烦咋办", k=10)` → `SearchHit`s best first;
`search(…)` → the same as the dicts the CLI and the API emit.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.coaching.config import ConceptLexicon, SearchConfig, load_concepts, load_search_config
from jinnang.coaching.records import META_FILTERS, SearchHit
from jinnang.coaching.snapshot import LoadedIndex
from jinnang.coaching.snippets import highlight_terms, make_snippet
from jinnang.coaching.store import load_index
from jinnang.coaching.text import (
    canonical_department,
    char_tokens,
    concept_matcher,
    expand_query,
    normalise,
    word_tokens,
)
from jinnang.core.access import Viewer, shared_meta
from jinnang.core.errors import InputError
from jinnang.core.settings import Settings
from jinnang.core.text import SENTENCE_OR_LINE_END

log = logging.getLogger(__name__)

CHANNELS = ("words", "chars", "concepts", "dense")
MAX_QUERY_CHARS = 500


def _scaled(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else scores


def _concept_scores(loaded: LoadedIndex, query_concepts: dict[str, float], n: int) -> np.ndarray:
    return loaded.concept_scores(query_concepts)


def query_concepts(norm_query: str, config: SearchConfig | None = None) -> dict[str, float]:
    """Concepts of a query with their weights: those named, their related concepts (weaker), and
    `obj:<category>` for each objection named (matches the labels of talk tracks)."""
    config = config or load_search_config()
    lexicon = load_concepts().by_id()
    found: dict[str, float] = {}
    for cid in concept_matcher().concepts(norm_query):
        concept = lexicon[cid]
        found[cid] = max(found.get(cid, 0.0), concept.weight)
        for rid in concept.related:
            found[rid] = max(found.get(rid, 0.0), concept.weight * config.related_weight)
        if concept.objection:
            key = f"obj:{concept.objection}"
            found[key] = max(found.get(key, 0.0), config.objection_label_weight)
        if concept.journey_node and config.journey_label_weight:
            key = f"node:{concept.journey_node}"
            found[key] = max(found.get(key, 0.0), config.journey_label_weight)
    return found


def _feedback_concepts(loaded: LoadedIndex, total: np.ndarray, concepts: dict[str, float],
                       config: SearchConfig) -> dict[str, float]:
    """Concept tags most shared by the first pass's best documents (idf-weighted), not already asked."""
    fb = config.feedback
    if not fb.docs or not fb.weight or not total.any():
        return {}
    take = min(len(total), fb.docs * 4)
    top = np.argpartition(-total, take - 1)[:take] if take < len(total) else np.arange(len(total))
    top = top[np.argsort(-total[top], kind="stable")]
    picked, seen = [], set()
    for i in top:  # one chunk per document
        if loaded.chunk_doc[i] not in seen:
            seen.add(loaded.chunk_doc[i])
            picked.append(i)
        if len(picked) >= fb.docs:
            break
    votes = loaded.concept_votes(picked)
    names = loaded.concept_names
    skip = set(concepts)
    ranked = [j for j in np.argsort(-votes) if votes[j] > 0 and names[j] not in skip
              and not names[j].startswith(("node:", "obj:")) and names[j] not in _intent_ids()]
    best = votes[ranked[0]] if ranked else 0.0
    return {names[j]: float(votes[j] / best) for j in ranked[:fb.tags]}


def _label_class_scores(loaded: LoadedIndex, vector: list[float], config: SearchConfig) -> np.ndarray:
    """The query classified into each labelled field (objection category, journey node, department)
    by its nearest label centroid (centroids of the indexed chunks' vectors, built at index time);
    a chunk scores the probability of its own label, summed over fields."""
    centroids = loaded.label_centroids
    n = len(loaded.chunk_ids)
    out = np.zeros(n, dtype=np.float32)
    if not centroids:
        return out
    q = np.asarray(vector, dtype=np.float32)
    q = q / (np.linalg.norm(q) or 1.0)
    for field, (labels, matrix, codes) in centroids.items():
        if field not in config.label_classes.fields or len(labels) < 2:
            continue
        sims = matrix @ q
        p = np.exp((sims - sims.max()) / config.label_classes.temperature)
        p /= p.sum()
        scores = np.concatenate([p, [0.0]]).astype(np.float32)  # code -1: chunk without this label
        out += scores[codes]
    return out


def _intent_ids() -> frozenset[str]:
    def intents(lexicon: ConceptLexicon) -> frozenset[str]:
        return frozenset(c.id for c in lexicon.concepts if c.kind == "intent")

    return load_concepts().derived("intent_ids", intents)


def _dense_scores(loaded: LoadedIndex, query: str, candidates: int,
                  keep: dict[str, Any] | None = None) -> np.ndarray:
    n = len(loaded.chunk_ids)
    scores = np.zeros(n, dtype=np.float32)
    vector = loaded.vectors.embed_query(query)
    if keep is not None:
        keep["vector"] = vector
    ids, distances = loaded.vectors.nearest(vector, min(candidates, n))
    position = loaded.position
    if not ids:
        return scores
    sims = 1.0 - np.asarray(distances, dtype=np.float32)
    low, high = float(sims.min()), float(sims.max())
    span = high - low if high > low else 1.0
    for cid, sim in zip(ids, sims):
        i = position.get(cid)
        if i is not None:
            scores[i] = (sim - low) / span if high > low else 1.0
    return scores


def fused_scores(loaded: LoadedIndex, query: str, config: SearchConfig,
                 channels: tuple[str, ...] | None = None, use_prior: bool = True) -> tuple[np.ndarray, dict[str, float]]:
    """Fused score of every chunk for `query`, and the query's concepts."""
    channels = channels or CHANNELS
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise InputError("channels", f"unknown channel {unknown[0]!r}; one of {', '.join(CHANNELS)}")
    n = len(loaded.chunk_ids)
    norm = expand_query(normalise(query))
    concepts = query_concepts(norm, config)
    weights = config.channels
    total = np.zeros(n, dtype=np.float32)
    if "words" in channels and weights.words:
        total += weights.words * _scaled(loaded.bm25("words", word_tokens(norm)))
    if "chars" in channels and weights.chars:
        total += weights.chars * _scaled(loaded.bm25("chars", char_tokens(norm)))
    if "concepts" in channels and weights.concepts:
        total += weights.concepts * _scaled(_concept_scores(loaded, concepts, n))
    kept: dict[str, Any] = {}
    if "dense" in channels and weights.dense:
        total += weights.dense * _dense_scores(loaded, norm, config.candidates, kept)
    lexical_or_dense_used = total.any()
    if lexical_or_dense_used and use_prior:
        total += loaded.prior
        if "vector" in kept and config.label_classes.weight:
            total += config.label_classes.weight * _label_class_scores(loaded, kept["vector"], config)
        lexicon = load_concepts().by_id()
        for cid in concepts:
            concept = lexicon.get(cid)
            if concept is not None and concept.boost:
                for facet, boost in concept.boost.items():
                    mask = loaded.facets.get(facet)
                    if mask is not None:
                        total += np.float32(boost) * mask
        if "concepts" in channels and weights.concepts:
            extra = _feedback_concepts(loaded, total, concepts, config)
            if extra:
                total += weights.concepts * config.feedback.weight * _scaled(_concept_scores(loaded, extra, n))
    return total, concepts


def _filter_mask(loaded: LoadedIndex, filters: dict[str, str] | None) -> np.ndarray | None:
    if not filters:
        return None
    mask = np.ones(len(loaded.chunk_ids), dtype=bool)
    for key, value in filters.items():
        if value in (None, ""):
            continue
        if key not in META_FILTERS:
            raise InputError(key, f"cannot filter on {key!r}; filters are {', '.join(META_FILTERS)}")
        column = loaded.meta_columns[key]
        if key == "department":  # 器械科 finds 设备科 notes: compare canonical department names
            wanted = canonical_department(str(value))
            mapping = {raw: canonical_department(raw) == wanted for raw in set(column.tolist())}
            mask &= np.array([mapping[raw] for raw in column.tolist()], dtype=bool)
        else:
            mask &= column == str(value)
    return mask


def search_hits(settings: Settings, query: str, k: int = 10, filters: dict[str, str] | None = None,
                channels: tuple[str, ...] | None = None, config: SearchConfig | None = None,
                use_prior: bool = True, viewer: Viewer | None = None) -> list[SearchHit]:
    """Best documents for `query`, one hit per document, best first. A `viewer` who may not see a
    hit's note gets it anonymised (`core.access`); without one (the CLI, evaluation) every hit is whole."""
    if not isinstance(query, str) or not query.strip():
        raise InputError("query", "query must be a non-empty string")
    if len(query) > MAX_QUERY_CHARS:
        raise InputError("query", f"query is longer than {MAX_QUERY_CHARS} characters")
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 100:
        raise InputError("k", "k must be an integer from 1 to 100")
    config = config or load_search_config()
    loaded = load_index(settings)
    scores, concepts = fused_scores(loaded, query, config, channels, use_prior)
    mask = _filter_mask(loaded, filters)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    # best chunks first; keep one hit per document
    take = min(len(scores), k * 4)
    top = np.argpartition(-scores, take - 1)[:take] if take < len(scores) else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    norm_query = expand_query(normalise(query))
    terms = highlight_terms(norm_query, config)
    hits: list[SearchHit] = []
    chunks: list[str] = []
    seen: set[str] = set()
    for i in top:
        if not np.isfinite(scores[i]) or len(hits) >= k:
            break
        doc_id = loaded.chunk_doc[i]
        if doc_id in seen:
            continue
        seen.add(doc_id)
        doc = loaded.docs.get(doc_id)
        snippet, spans = make_snippet(loaded.chunk_text[i], terms, concepts, config.snippet_chars)
        hits.append(SearchHit(doc_id=doc_id, score=round(float(scores[i]), 4), snippet=snippet, highlights=spans,
                              text=doc.text if doc else loaded.chunk_text[i], kind=doc.kind if doc else "",
                              meta=doc.meta if doc else {}))
        chunks.append(loaded.chunk_text[i])
    if viewer is None or viewer.sees_all:
        return hits
    names = _extracted_names(settings, [h.doc_id for h in hits if not viewer.sees_note(h.kind, h.meta.get("rep"))])
    return [hit if viewer.may_see_rep(hit.meta.get("rep")) else
            _anonymised(hit, chunk, terms, concepts, config, viewer, names.get(hit.doc_id, ()))
            for hit, chunk in zip(hits, chunks)]

_ID_LIKE = re.compile(r"\d[\d\- ]{3,}\d|[A-Za-z]+[-_]\d+[\w-]*")  # phone, record, bed and account numbers
_SENTENCE = re.compile(f"[^{re.escape(SENTENCE_OR_LINE_END)}]+[{re.escape(SENTENCE_OR_LINE_END)}]?")


def _anonymised(hit: SearchHit, chunk: str, terms: list[str], concepts: dict[str, float], config: SearchConfig,
                viewer: Viewer, known_names: Iterable[str]) -> SearchHit:
    """Someone else's document as `viewer` may see it: never whose or which customer's it is; of a raw
    note only the matched sentence, with hospitals, people and id-like numbers masked."""
    meta = shared_meta(hit.kind, hit.meta)
    if viewer.sees_note(hit.kind, hit.meta.get("rep")):
        return hit.model_copy(update={"meta": meta})  # company knowledge: the text is the point
    owner_words = [str(hit.meta.get(k) or "") for k in ("hospital", "account_id", "rep", "source")]
    masked = mask_identifiers(_matched_sentence(chunk, terms), [*owner_words, *known_names])
    snippet, spans = make_snippet(masked, terms, concepts, config.snippet_chars)
    return hit.model_copy(update={"snippet": snippet, "highlights": spans, "text": snippet, "meta": meta})


def _matched_sentence(text: str, terms: list[str]) -> str:
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip()] or [text.strip()]
    return next((s for s in sentences if any(t in normalise(s) for t in terms)), sentences[0])


@lru_cache(maxsize=1)
def _surname_before_title() -> re.Pattern[str]:
    from jinnang.nlp.gazetteers import gazetteers

    surnames, titles = gazetteers()["surnames"], gazetteers()["titles"].titles
    alternation = [sorted(words, key=len, reverse=True) for words in
                   ([*surnames.compound, *surnames.single], {t.written for t in titles})]
    return re.compile("(?:{})(?=(?:{}))".format(*("|".join(map(re.escape, words)) for words in alternation)))


def mask_identifiers(text: str, known: Iterable[str] = ()) -> str:
    """`text` with the `known` names, hospitals, people (王主任 → 某主任) and id-like numbers masked."""
    from jinnang.nlp.hospitals import find_hospitals  # no spaCy in the web process
    from jinnang.nlp.lac import analyse

    for word in sorted({w for w in known if len(w) >= 2}, key=len, reverse=True):
        text = text.replace(word, "某")
    for start, end in reversed(find_hospitals(text)):
        text = text[:start] + "某医院" + text[end:]
    titled = _surname_before_title()
    out = []
    for word, tag in analyse(text):
        if tag == "PER":
            title = titled.match(word)
            word = "某" + word[title.end():] if title else "某人"
        elif tag == "ORG":
            word = "某单位"
        out.append(word)
    return _ID_LIKE.sub("＊＊", titled.sub("某", "".join(out)))


def _extracted_names(settings: Settings, document_ids: list[str]) -> dict[str, list[str]]:
    """The people and organisations each note's own extraction found (ingested notes have one)."""
    from jinnang.nlp.store import ExtractionRow, records_engine

    if not document_ids:
        return {}
    try:
        with Session(records_engine(settings)) as session:
            rows = session.scalars(select(ExtractionRow).where(ExtractionRow.document_id.in_(document_ids))).all()
            return {r.document_id: [n for dm in r.record.decision_makers for n in (dm.name, dm.organization or "")]
                    + [r.hospital or ""] for r in rows}
    except Exception:  # the gazetteers still mask; a broken records table must not break search
        log.exception("could not read extraction records for masking search hits")
        return {}


def search(settings: Settings, query: str, k: int = 10, filters: dict[str, str] | None = None,
           channels: tuple[str, ...] | None = None, config: SearchConfig | None = None,
           use_prior: bool = True, viewer: Viewer | None = None) -> list[dict[str, Any]]:
    """`search_hits` as the dicts the CLI and the API emit: {doc_id, score, snippet, highlights, text, kind, meta}."""
    return [hit.model_dump() for hit in search_hits(settings, query, k, filters, channels, config, use_prior, viewer)]
