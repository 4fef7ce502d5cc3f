"""What a hit shows: the window of its text around the first match, and the query's words marked in it.

Highlights are whole words: the query is segmented (LAC, the same words search uses) and a Chinese
word needs two characters or more — a lone 科, 办 or 院 of the query would otherwise light up every
department, office and hospital of the snippet (a one-character query still highlights itself).
Function words of the query (怎么, 已经) are not highlighted (`search.yaml` `highlight_skip`).
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache

from jinnang.coaching.config import ConceptLexicon, SearchConfig, load_concepts, load_search_config
from jinnang.coaching.text import ConceptMatcher, concept_matcher, normalise, word_tokens

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_OR_DIGIT = re.compile(r"[a-z0-9]")


def highlight_terms(norm_query: str, config: SearchConfig | None = None) -> list[str]:
    """The query's words and the concept terms it names, longest first, fit to be highlighted."""
    config = config or load_search_config()
    skip = set(config.highlight_skip)
    terms = set(word_tokens(norm_query))
    terms.update(norm_query[s:e] for s, e, _ in concept_matcher().spans(norm_query))
    one_char_query = len(norm_query.strip()) == 1

    def fit(term: str) -> bool:
        if term in skip or not term.strip():
            return False
        if _CJK.search(term):
            return len(term) >= 2 or one_char_query
        return len(term) >= 2 and bool(_LATIN_OR_DIGIT.search(term))

    return sorted((t for t in terms if fit(t)), key=lambda t: (-len(t), t))


def _occurrences(norm: str, term: str) -> list[tuple[int, int]]:
    """Where `term` occurs in `norm`; a Latin word or number only as a whole word (his ≠ this)."""
    found = []
    latin = not _CJK.search(term)
    start = norm.find(term)
    while start >= 0:
        end = start + len(term)
        if not latin or ((start == 0 or not norm[start - 1].isalnum() or _CJK.match(norm[start - 1]))
                         and (end == len(norm) or not norm[end].isalnum() or _CJK.match(norm[end]))):
            found.append((start, end))
        start = norm.find(term, end)
    return found


Prepared = tuple[str, tuple[tuple[int, int, tuple[str, ...]], ...]]
SNIPPET_TEXTS_KEPT = 2048  # a few MB: the chunks that come up in searches, each once


def _text_cache(lexicon: ConceptLexicon) -> Callable[[str], Prepared]:
    matcher = lexicon.derived("matcher", ConceptMatcher.build)

    @lru_cache(maxsize=SNIPPET_TEXTS_KEPT)
    def prepared(text: str) -> Prepared:
        norm = normalise(text)  # same length as text: NFKC of CJK/half-width corpus text keeps offsets for most text
        if len(norm) != len(text):
            norm = text.lower()
        return norm, tuple(matcher.spans(norm))

    return prepared


def prepared_text(text: str) -> Prepared:
    """A hit's text normalised, with the lexicon's concept terms found in it. Kept per process for the
    lexicon version in use (the same chunks come up search after search; the term regex was a third of
    a search's time); an edited lexicon is a new version with an empty cache."""
    return load_concepts().derived("snippet_texts", _text_cache)(text)


def make_snippet(text: str, terms: list[str], concepts: dict[str, float], width: int) -> tuple[str, list[tuple[int, int]]]:
    """A window of `text` around the first match, and the match spans inside the window."""
    norm, concept_spans = prepared_text(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        spans.extend(_occurrences(norm, term))
    for s, e, ids in concept_spans:
        if e - s >= 2 and any(concepts.get(i, 0) >= 1.0 for i in ids):
            spans.append((s, e))
    spans = merge_spans(spans)
    first = spans[0][0] if spans else 0
    begin = max(0, min(first - width // 4, len(text) - width))
    end = min(len(text), begin + width)
    window = [(max(s, begin) - begin, min(e, end) - begin) for s, e in spans if s < end and e > begin]
    snippet = text[begin:end]
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix)
    return prefix + snippet + suffix, [(s + shift, e + shift) for s, e in window]


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def mark(snippet: str, spans: list[tuple[int, int]]) -> str:
    """HTML of a snippet with each match in <mark>…</mark> (text escaped)."""
    out, last = [], 0
    for s, e in spans:
        out.append(html.escape(snippet[last:s]))
        out.append("<mark>" + html.escape(snippet[s:e]) + "</mark>")
        last = e
    out.append(html.escape(snippet[last:]))
    return "".join(out)
