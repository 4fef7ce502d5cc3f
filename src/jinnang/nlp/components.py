"""spaCy components of the entity layer, registered by name and wired in nlp/config.cfg.

- `jinnang.LacTokenizer.v1`: Baidu LAC words as tokens; LAC's tag in `token.tag_`,
  all its (word, tag) pairs in `doc._.lac_words`.
- `jinnang_gazetteer_aligner`: finds titles, departments and hospitals of the YAML
  gazetteers and retokenizes so each is exactly one token (LAC glues 林主任, splits 设备/科).
- `span_ruler` (spaCy's own) then labels those tokens from patterns built from the YAML.
- `jinnang_crf_ner`: the CLUENER-trained character tagger (a feature CRF) → `doc._.crf_spans`
  (char offsets; the resolver turns them into `doc.spans["crf"]`).
- `jinnang_entity_resolver`: merges gazetteer and CRF spans into `doc.ents`.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import Any

import spacy
from spacy.attrs import IDX
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from jinnang.nlp.gazetteers import gazetteers

# the gazetteers' regexes and hospital finding need no spaCy (search masks hits with them in the web process)
from jinnang.nlp.hospitals import NOT_NAME_TAGS as NOT_NAME_TAGS
from jinnang.nlp.hospitals import _alt
from jinnang.nlp.hospitals import find_hospitals as find_hospitals
from jinnang.nlp.hospitals import gazetteer_regexes as gazetteer_regexes
from jinnang.nlp.lac import Words, analyse, tagged_spans, words_and_tags


def doc_text(doc: Doc) -> str:
    """The note's text, kept on the Doc: spaCy's `Doc.text` joins every token again at each call (about
    twenty calls a note, 6 % of ingest in a profile). Merging tokens never changes the text."""
    text = doc.user_data.get("jinnang_text")
    if text is None:
        text = doc.user_data["jinnang_text"] = doc.text
    return text

MODELS = Path(__file__).resolve().parent / "models"
# LAC's tags for function words (conjunction, preposition, particle, adverb, pronoun, numeral,
# measure word, place word, punctuation): a 和 or 经 before a title is no surname (教授和专家, 每经记者)
LAC_FUNCTION_TAGS = frozenset({"c", "p", "u", "d", "r", "m", "q", "f", "w", "xc"})


def carry_on_doc(*names: str) -> None:
    """Register `Doc._.<name>` attributes (default None), once however often it is called."""
    for name in names:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


# LAC's (word, tag) pairs and the CRF's (label, start, end): char offsets, not Spans, which
# later components' retokenizing would leave stale
carry_on_doc("lac_words", "crf_spans")


class LacTokenizer:
    """Tokens are LAC words; they always cover the text, so offsets are the text's own."""

    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        pairs = words_and_tags(text)
        words = [w for w, _ in pairs]
        doc = Doc(self.vocab, words=words, spaces=[False] * len(words))
        for token, (_, tag) in zip(doc, pairs):
            token.tag_ = tag
        doc._.lac_words = pairs
        return doc

    # the tokenizer holds no state of its own: LAC's weights come with its wheel
    def to_disk(self, path, **kwargs):  # pragma: no cover - spaCy API
        pass

    def from_disk(self, path, **kwargs):  # pragma: no cover - spaCy API
        return self

    def to_bytes(self, **kwargs):  # pragma: no cover - spaCy API
        return b""

    def from_bytes(self, data, **kwargs):  # pragma: no cover - spaCy API
        return self


@spacy.registry.tokenizers("jinnang.LacTokenizer.v1")
def create_lac_tokenizer():
    def make(nlp: Language) -> LacTokenizer:
        return LacTokenizer(nlp.vocab)

    return make


def gazetteer_char_spans(text: str, lac_org: list[tuple[int, int]] | None = None) -> list[tuple[str, int, int]]:
    """Non-overlapping (label, start, end) of hospitals, departments and titles; earlier kinds win."""
    rx = gazetteer_regexes()
    spans = [("organization", s, e) for s, e in find_hospitals(text, lac_org)]
    taken = [False] * (len(text) + 1)
    for _, s, e in spans:
        for i in range(s, e):
            taken[i] = True
    for label in ("department", "position"):
        for m in rx[label].finditer(text):
            if any(taken[m.start():m.end()]):
                continue
            spans.append((label, m.start(), m.end()))
            for i in range(m.start(), m.end()):
                taken[i] = True
    return sorted(spans, key=lambda s: s[1])


def align_to_tokens(doc: Doc, char_spans: list[tuple[int, int]], merge: bool = True) -> Doc:
    """Split (and, with `merge`, join) tokens so every char span is exactly one token."""
    cuts = sorted({c for s, e in char_spans for c in (s, e)})
    # no token has a trailing space (LacTokenizer): each ends where the next begins
    starts = [int(i) for i in doc.to_array(IDX)] if len(doc) else []
    split = []
    for n, (start, end) in enumerate(zip(starts, [*starts[1:], len(doc_text(doc))])):
        first = bisect_right(cuts, start)
        if first < len(cuts) and cuts[first] < end:
            split.append((n, [c - start for c in cuts[first:bisect_left(cuts, end, first)]]))
    if split:
        with doc.retokenize() as retok:
            for n, inner in split:
                token = doc[n]
                bounds = [0, *inner, len(token.text)]
                orths = [token.text[a:b] for a, b in zip(bounds, bounds[1:])]
                retok.split(token, orths, heads=[(token, i) for i in range(len(orths))],
                            attrs={"TAG": [token.tag_] * len(orths)})
    if merge:
        with doc.retokenize() as retok:
            for s, e in char_spans:
                span = doc.char_span(s, e)
                if span is not None and len(span) > 1:
                    retok.merge(span, attrs={"TAG": span[0].tag_})
    return doc


@Language.factory("jinnang_gazetteer_aligner")
def create_gazetteer_aligner(nlp: Language, name: str):
    def align(doc: Doc) -> Doc:
        lac_org = tagged_spans(doc._.lac_words or (), "ORG")
        spans = gazetteer_char_spans(doc_text(doc), lac_org)
        return align_to_tokens(doc, [(s, e) for _, s, e in spans])

    return align


@spacy.registry.misc("jinnang.gazetteer_patterns.v1")
def gazetteer_patterns() -> list[dict[str, Any]]:
    """SpanRuler patterns from the YAML: one token per title, department and hospital."""
    rx = gazetteer_regexes()
    org = gazetteers()["organizations"]
    return [
        {"label": "position", "pattern": [{"TEXT": {"REGEX": rf"^(?:{rx['position'].pattern})$"}}]},
        {"label": "department", "pattern": [{"TEXT": {"REGEX": rf"^(?:{rx['department'].pattern})$"}}]},
        {"label": "organization", "pattern": [{"TEXT": {"REGEX":
            rf"^.{{{org.min_name_chars},}}(?:{_alt(org.hospital_suffixes)})$"}}]},
    ]


# --- the CLUENER tagger ---------------------------------------------------------------------

class CrfNer:
    """The CLUENER-trained feature CRF (`*.crfsuite`), the model file named in config.cfg."""

    def __init__(self, model: str):
        path = Path(model)
        if not path.is_absolute():
            path = MODELS / path
        if not path.is_file():
            raise FileNotFoundError(f"tagger model {path} is missing: run `python training/train_ner.py` once")
        import pycrfsuite

        self.tagger = pycrfsuite.Tagger()
        self.tagger.open(str(path))

    def char_spans(self, text: str, words: Words | None = None) -> list[tuple[str, int, int]]:
        """(label, start, end) the tagger finds; `words` are the text's LAC words if already read."""
        from jinnang.nlp.crf_features import bio_to_spans, char_features

        if not text:
            return []
        spans = bio_to_spans(self.tagger.tag(char_features(text, analyse(text) if words is None else words)))
        return [t for lab, s, e in spans if (t := trim_span(text, lab, s, e))]

    def __call__(self, doc: Doc) -> Doc:
        spans = self.char_spans(doc_text(doc), doc._.lac_words)
        align_to_tokens(doc, [(s, e) for _, s, e in spans], merge=False)
        doc._.crf_spans = spans
        return doc


OPENERS, CLOSERS = "（(《“‘「[【", "）)》”’」]】"


def trim_span(text: str, label: str, start: int, end: int) -> tuple[str, int, int] | None:
    """Drop spaces and unpaired brackets or quotes at a tagged span's edges: CLUENER's labels
    sometimes take them in (（gertjanverbeek）), so the tagger learnt to as well (凌浩）)."""
    while start < end:
        ch = text[start]
        if ch.isspace() or (ch in OPENERS and CLOSERS[OPENERS.index(ch)] not in text[start + 1:end]):
            start += 1
            continue
        ch = text[end - 1]
        if ch.isspace() or (ch in CLOSERS and OPENERS[CLOSERS.index(ch)] not in text[start:end - 1]):
            end -= 1
            continue
        break
    return (label, start, end) if start < end else None


@Language.factory("jinnang_crf_ner", default_config={"model": "cluener_crf.crfsuite"})
def create_crf_ner(nlp: Language, name: str, model: str) -> CrfNer:
    return CrfNer(model)


# --- merging -------------------------------------------------------------------------------

@Language.factory("jinnang_entity_resolver", default_config={"gazetteer_key": "gazetteer", "model_key": "crf"})
def create_entity_resolver(nlp: Language, name: str, gazetteer_key: str, model_key: str):
    """Gazetteer spans win over the CRF where they overlap, except where the CRF span of the same
    label is longer and contains it (研究部主任 stays one position) and where a title word sits
    inside a CRF organization (鼎泰律师事务所); a CRF name that runs into a title is cut before it
    (林主任 → name 林 + position 主任)."""

    def resolve(doc: Doc) -> Doc:
        gaz = list(doc.spans.get(gazetteer_key, []))
        model = [sp for lab, s, e in doc._.crf_spans or ()
                 if (sp := doc.char_span(s, e, label=lab, alignment_mode="expand")) is not None]
        doc.spans[model_key] = model
        chosen: list[Span] = []
        for g in gaz:
            if any(m.label_ == g.label_ and m.start <= g.start and g.end <= m.end and len(m) > len(g)
                   and g.label_ != "department" for m in model):
                continue
            if g.label_ == "position" and any(m.label_ == "organization" and m.start <= g.start and g.end < m.end
                                              for m in model):
                continue  # a title word inside a name: 律师事务所, 建设行政主管部门
            chosen.append(g)
        taken = {i for sp in chosen for i in range(sp.start, sp.end)}
        for m in model:
            free = [i for i in range(m.start, m.end) if i not in taken]
            if len(free) == len(m):
                chosen.append(m)
            elif m.label_ == "name" and free and free[0] == m.start:
                end = m.start
                while end < m.end and end not in taken:
                    end += 1
                chosen.append(Span(doc, m.start, end, label="name"))
        # a surname right before a title is the person's name (卞科长 → 卞 + 科长)
        surnames = gazetteers()["surnames"]
        taken = {i for sp in chosen for i in range(sp.start, sp.end)}
        for sp in list(chosen):
            if sp.label_ == "position" and sp.start > 0 and sp.start - 1 not in taken:
                prev = doc[sp.start - 1]
                if prev.tag_ in LAC_FUNCTION_TAGS:
                    continue
                if prev.text in surnames.compound or (len(prev.text) == 1 and prev.text in surnames.single):
                    chosen.append(Span(doc, sp.start - 1, sp.start, label="name"))
        doc.ents = filter_spans(chosen)
        return doc

    return resolve
