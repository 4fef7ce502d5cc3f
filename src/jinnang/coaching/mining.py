"""Mining deal notes into candidate playbook tips, and what of it is kept between builds.

For every won or lost deal note/form: the customer's objections (`nlp.objections.find_objections`,
or the concept lexicon), the sentences that answered them or moved the deal (won: action cues after
the objection; lost: the stated lesson), filed under department × journey node × objection
category; tips are ranked by how much more often their key terms appear in won than in lost deals.

The slow part is the NLP on each text (objections, words, masking names in tips). `MiningCache`
keeps its results by text, on disk beside the search store, so a rebuild after one new deal runs
the NLP on that deal only.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinnang.coaching.config import load_concepts, load_playbook_config
from jinnang.coaching.records import PlaybookDocument
from jinnang.coaching.search import mask_identifiers
from jinnang.coaching.text import STOPWORDS, canonical_department, concept_matcher, normalise, word_tokens
from jinnang.core.text import SENTENCE_END, SENTENCE_OR_LINE_END
from jinnang.nlp.objections import find_objections

log = logging.getLogger(__name__)
GENERAL = "general"  # scenario category of deals with no objection
ANY_NODE = "any"
CACHE_FORMAT = "1"  # bump when what is cached per text changes
_SENTENCE = re.compile(rf"[^{re.escape(SENTENCE_OR_LINE_END)}]+[{re.escape(SENTENCE_END)}]?")


class MiningCache:
    """Objections, content words and masked forms by text; `path=None` keeps them in memory only.
    Entries carry the lexicon's and the playbook config's fingerprint: an edit re-mines everything."""

    def __init__(self, path: Path | None = None, load: bool = True) -> None:
        self.path = path
        self.version = hashlib.sha1((load_concepts().model_dump_json() + load_playbook_config().model_dump_json()
                                     + CACHE_FORMAT).encode("utf-8")).hexdigest()
        self.entries: dict[str, Any] = {}
        self.used: set[str] = set()
        self.misses = 0
        if load and path is not None and path.is_file():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                if saved.get("version") == self.version:
                    self.entries = saved.get("entries", {})
            except (OSError, ValueError):  # a torn cache is only slower, never wrong
                log.exception("playbook mining cache %s unreadable; mining afresh", path)

    def _get(self, kind: str, text: str, compute: Any) -> Any:
        key = kind + ":" + hashlib.sha1(text.encode("utf-8")).hexdigest()
        self.used.add(key)
        if key not in self.entries:
            self.misses += 1
            self.entries[key] = compute(text)
        return self.entries[key]

    def objections(self, text: str) -> list[tuple[str, int]]:
        return [(c, int(o)) for c, o in self._get("obj", text, _objections)]

    def content_words(self, text: str) -> set[str]:
        return set(self._get("words", text, lambda t: sorted(_content_words(t))))

    def masked(self, text: str) -> str:
        return str(self._get("mask", text, mask_identifiers))

    def save(self) -> None:
        """Write the entries this build used (entries of deleted documents go)."""
        if self.path is None:
            return
        kept = {k: v for k, v in self.entries.items() if k in self.used}
        staging = self.path.with_suffix(".tmp")
        staging.write_text(json.dumps({"version": self.version, "entries": kept}, ensure_ascii=False),
                           encoding="utf-8")
        os.replace(staging, self.path)


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


def mine(docs: Iterable[PlaybookDocument | Mapping[str, Any]], cache: MiningCache | None = None
         ) -> tuple[dict[tuple[str, str, str], dict[str, Any]], list[Candidate]]:
    """Scenarios (with their won/lost deal ids) and candidate tips from indexed documents."""
    config = load_playbook_config()
    cache = cache or MiningCache()
    scenarios: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(lambda: {"won": set(), "lost": set()})
    candidates: list[Candidate] = []
    for doc in map(PlaybookDocument.parse, docs):
        meta = doc.meta
        department = canonical_department(meta.get("department"))
        if doc.kind == "talk_track":
            category = meta.get("objection_category") or GENERAL
            candidates.append(Candidate((department, ANY_NODE, category), "talk_track", doc.text.strip(),
                                        doc.id, cache.content_words(doc.text), None))
            continue
        outcome = meta.get("outcome")
        if outcome not in ("won", "lost"):
            continue  # an open deal has not shown what works yet
        node = meta.get("journey_node") or ANY_NODE
        objections = cache.objections(doc.text) or [(GENERAL, 0)]
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
                candidates.append(Candidate(key, kind, sentence, doc.id, cache.content_words(sentence), outcome))
    return scenarios, candidates


def category_deals(docs: list[PlaybookDocument], cache: MiningCache | None = None
                   ) -> dict[str, dict[str, list[set[str]]]]:
    """Per objection category, the content words of each won and each lost deal document."""
    cache = cache or MiningCache()
    out: dict[str, dict[str, list[set[str]]]] = defaultdict(lambda: {"won": [], "lost": []})
    for doc in docs:
        outcome = doc.meta.get("outcome")
        if doc.kind == "talk_track" or outcome not in ("won", "lost"):
            continue
        words = cache.content_words(doc.text)
        for category, _ in cache.objections(doc.text) or [(GENERAL, 0)]:
            out[category][outcome].append(words)
        out["*"][outcome].append(words)
    return out


def common_words(deals: dict[str, list[set[str]]], share: float = 0.25) -> set[str]:
    """Words in more than `share` of all deal documents (医院, 主任, 已经): never key terms."""
    everything = deals["won"] + deals["lost"]
    counts: dict[str, int] = defaultdict(int)
    for words in everything:
        for w in words:
            counts[w] += 1
    return {w for w, c in counts.items() if c > share * max(len(everything), 1)}


def rank(tip: Tip, deals: dict[str, list[set[str]]], common: frozenset[str] = frozenset()) -> None:
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


def merge_tips(tips: list[Tip]) -> list[Tip]:
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
