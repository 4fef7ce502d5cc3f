"""Text normalisation, tokens and concept tags shared by indexing and querying.

Documents and queries go through the same functions, so a typo in traditional script
(注冊证), full-width letters (ＨＩＳ) or English case (Demo) match their plain forms.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinnang.coaching.config import ConceptLexicon, load_concepts
from jinnang.core.text import SENTENCE_OR_LINE_END
from jinnang.nlp.traditional import simplified_table

_PUNCT_OR_SPACE = re.compile(r"^[\W_]+$", re.UNICODE)
_SENTENCE_END = re.compile(rf"(?<=[{re.escape(SENTENCE_OR_LINE_END)}])")
_CJK = re.compile(r"[\u3400-\u9fff]")
_RUNS = re.compile(r"[\u3400-\u9fff]+|[a-z0-9][a-z0-9.+\-]*")

# Function words that carry no topic; BM25's idf handles the rest.
STOPWORDS = frozenset(["的", "了", "是", "在", "和", "与", "及", "也", "都", "就", "还", "又", "把", "被", "给", "让", "对", "跟", "我", "我们", "你", "你们", "他", "她", "他们", "它", "这", "那", "这个", "那个", "吗", "呢", "吧", "啊", "呀", "嘛", "么", "说", "要", "有", "没", "不", "很", "太", "个", "一", "上", "下", "里", "后", "前", "时", "会", "能", "可以", "就是", "一下"])


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, traditional → simplified."""
    return unicodedata.normalize("NFKC", text or "").lower().translate(simplified_table())


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def word_tokens(norm_text: str) -> list[str]:
    """LAC words (the extraction segmenter), sentence by sentence so repeated sentences hit LAC's cache."""
    return word_tokens_many([norm_text])[0]


def word_tokens_many(norm_texts: Sequence[str]) -> list[list[str]]:
    """`[word_tokens(t) for t in norm_texts]`, with every sentence of them read by LAC in one batch."""
    from jinnang.nlp.lac import segment_many

    split = [sentences(text) for text in norm_texts]
    segmented = iter(segment_many([s for parts in split for s in parts]))
    out: list[list[str]] = []
    for parts in split:
        words: list[str] = []
        for _ in parts:
            for w in next(segmented):
                w = w.strip()
                if w and w not in STOPWORDS and not _PUNCT_OR_SPACE.match(w):
                    words.append(w)
        out.append(words)
    return out


def char_tokens(norm_text: str) -> list[str]:
    """Character bigrams of Chinese runs (a lone character stays a unigram) plus whole Latin/number words."""
    grams: list[str] = []
    for run in _RUNS.findall(norm_text):
        if _CJK.match(run):
            if len(run) == 1:
                grams.append(run)
            else:
                grams.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            grams.append(run)
    return grams


@dataclass(frozen=True)
class ConceptMatcher:
    """Finds the concepts of the lexicon named in a text (substring match on normalised text)."""

    lexicon: ConceptLexicon
    pattern: re.Pattern[str]
    term_to_concepts: dict[str, tuple[str, ...]]

    @classmethod
    def build(cls, lexicon: ConceptLexicon) -> ConceptMatcher:
        term_to: dict[str, list[str]] = {}
        for c in lexicon.concepts:
            for term in c.terms:
                term_to.setdefault(normalise(term), []).append(c.id)
        # longest first so 资本性支出 wins over 支出; Latin terms only on word boundaries
        alternatives = []
        for term in sorted(term_to, key=len, reverse=True):
            escaped = re.escape(term)
            if re.match(r"^[a-z0-9]", term):
                escaped = rf"(?<![a-z0-9]){escaped}(?![a-z0-9])"
            alternatives.append(escaped)
        return cls(lexicon, re.compile("|".join(alternatives)), {t: tuple(ids) for t, ids in term_to.items()})

    def spans(self, norm_text: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, concept ids) of each term occurrence, non-overlapping, left to right."""
        return [(m.start(), m.end(), self.term_to_concepts[m.group(0)]) for m in self.pattern.finditer(norm_text)]

    def concepts(self, norm_text: str) -> set[str]:
        found: set[str] = set()
        for _, _, ids in self.spans(norm_text):
            found.update(ids)
        return found


def concept_matcher(path: Path | None = None) -> ConceptMatcher:
    """The matcher of the lexicon in use (rebuilt when the lexicon file is edited), or of the file at `path`."""
    return load_concepts(path).derived("matcher", ConceptMatcher.build)


def canonical_department(raw: str | None) -> str:
    """设备科 / 器械科 / 医学工程处 → 设备科 (department concepts of the lexicon); else as written."""
    if not raw:
        return "综合"
    lexicon = load_concepts().by_id()
    for cid in concept_matcher().concepts(normalise(raw)):
        if lexicon[cid].kind == "department":
            return lexicon[cid].department or raw
    return raw


@lru_cache(maxsize=1)
def _initials_table() -> dict[str, frozenset[str]]:
    """Character → first letters of its readings (polyphones give several)."""
    return {ch: frozenset(r[0] for r in readings) for ch, readings in _readings_table().items()}


def _jionlp_dictionary_text(folder: Path, name: str) -> str | None:
    """A dictionary jionlp ships: zipped in the wheel, unzipped only once jionlp itself has used it."""
    import zipfile

    plain, packed = folder / f"{name}.txt", folder / f"{name}.zip"
    if plain.is_file():
        return plain.read_text(encoding="utf-8")
    if packed.is_file():
        with zipfile.ZipFile(packed) as archive:
            return archive.read(f"{name}.txt").decode("utf-8")
    return None


@lru_cache(maxsize=1)
def _readings_table() -> dict[str, frozenset[str]]:
    """Character → its toneless pinyin readings (polyphones give several), from the character
    dictionary jionlp ships (read directly, like the traditional → simplified table)."""
    import importlib.util

    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        return {}
    text = _jionlp_dictionary_text(Path(list(spec.submodule_search_locations)[0]) / "dictionary",
                                   "chinese_char_dictionary")
    if text is None:
        return {}
    reading = re.compile(r"\[([^\]\s]{1,8})\]")
    table: dict[str, frozenset[str]] = {}
    for line in text.splitlines():
        char, _, rest = line.partition("\t")
        if len(char) != 1:
            continue
        readings = set()
        for r in reading.findall(rest):
            plain = "".join(c for c in unicodedata.normalize("NFKD", r) if c.isascii() and c.isalpha()).lower()
            if plain:
                readings.add(plain)
        if readings:
            table[char] = frozenset(readings)
    return table


def pinyin_slug(text: str) -> str:
    """`text` as URL-safe ASCII: Chinese characters by their (first) toneless reading, other
    letters and digits kept, the rest a hyphen (综合 → zonghe, 设备科 → shebeike)."""
    table = _first_readings()
    out: list[str] = []
    for ch in normalise(text):
        if ch in table:
            out.append(table[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
        else:
            out.append("-")
    return re.sub(r"-+", "-", "".join(out)).strip("-") or "x"


@lru_cache(maxsize=1)
def _first_readings() -> dict[str, str]:
    """Character → its first listed toneless reading (the common one: 综 zong, 行 hang as listed)."""
    import importlib.util

    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        return {}
    text = _jionlp_dictionary_text(Path(list(spec.submodule_search_locations)[0]) / "dictionary",
                                   "chinese_char_dictionary") or ""
    reading = re.compile(r"\[([^\]\s]{1,8})\]")
    table: dict[str, str] = {}
    for line in text.splitlines():
        char, _, rest = line.partition("\t")
        first = reading.search(rest) if len(char) == 1 else None
        if first:
            plain = "".join(c for c in unicodedata.normalize("NFKD", first.group(1)) if c.isascii() and c.isalpha())
            if plain:
                table[char] = plain.lower()
    return table


_LATIN_WORD = re.compile(r"(?<![a-z0-9])[a-z]{2,6}(?![a-z0-9])")
# two-letter English words are not abbreviations (`by` is not 便宜, `pm` is not 排满)
_ENGLISH_SHORT = frozenset(["am", "an", "as", "at", "be", "by", "do", "go", "he", "hi", "if", "in", "is", "it", "me", "my", "no", "of", "ok", "on", "or", "pm", "so", "to", "up", "us", "we"])
MAX_INITIALS_READINGS = 3  # an abbreviation that fits more lexicon terms than this says nothing


def _initials_index(lexicon: ConceptLexicon) -> dict[str, tuple[str, ...]]:
    """Pinyin initials of every Chinese lexicon term: `sbk` → 设备科, `jc` → 集采 (reps type these)."""
    table = _initials_table()
    index: dict[str, set[str]] = {}
    for concept in lexicon.concepts:
        for term in concept.terms:
            term = normalise(term)
            if not 2 <= len(term) <= 6 or not all(_CJK.match(ch) for ch in term):
                continue
            options = [""]
            for ch in term:
                letters = table.get(ch)
                if not letters:
                    options = []
                    break
                options = [o + letter for o in options for letter in sorted(letters)][:16]
            for o in options:
                index.setdefault(o, set()).add(term)
    return {k: tuple(sorted(v)) for k, v in index.items() if len(v) <= MAX_INITIALS_READINGS}


def expand_query(norm_query: str) -> str:
    """The query with the lexicon terms its pinyin abbreviations stand for appended
    (`sbk要资质` → `sbk要资质 设备科`); Latin words the lexicon knows (his, roi, demo) stay as they are.
    (Same-sounding typos are not corrected here: 手术时/手术室, 试用机/试用期 collide too often.)"""
    lexicon = load_concepts()
    matcher = concept_matcher()
    latin_known = {norm_query[s:e] for s, e, _ in matcher.spans(norm_query) if norm_query[s:e].isascii()}
    index = lexicon.derived("initials", _initials_index)
    extra: list[str] = []
    for m in _LATIN_WORD.finditer(norm_query):
        word = m.group(0)
        if word in latin_known or word in _ENGLISH_SHORT:
            continue
        for term in index.get(word, ()):
            if term not in extra:
                extra.append(term)
    return norm_query + (" " + " ".join(extra) if extra else "")
