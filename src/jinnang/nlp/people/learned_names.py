"""A learned reading of the name that goes with a title, beside the rules (issue 15: learned parts
where the rules overfit).

On sets by new hands most missed people are names the surname rules cannot read: names by sound
(其木格护士长, 玉罕主任, 泽仁多吉院长 read as 多吉), a name after its title (护士长其木格在旁边), a field's
value in a new layout. For each title the rules leave without a name, every run of Han characters
that ends at the title, or starts after it, is a candidate; a logistic regression scores each by its
characters, what LAC and the entity tagger read there, what stands before and after it, whether it
recurs, and what the rules read at the title (rules as features). The best candidate past the
packaged threshold becomes a mention. Where the rules read a name, the model may only lengthen it
to the left (多吉 → 泽仁多吉) when it is surer of the longer one: the runs scored end where the rules'
name ends, so a name read in part before a second title (梅 in 佘雪梅大夫（副主任医师）) is lengthened too.

Trained offline by `python training/train_names.py` (C and thresholds chosen by pooled
leave-one-set-out over the retired blind sets); a joblib file under nlp/models/ with a JSON card.
Without the file the rules answer alone.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from jinnang.nlp.components import doc_text
from jinnang.nlp.gazetteers import Title
from jinnang.nlp.logistic import logistic_proba
from jinnang.nlp.model_files import load_joblib
from jinnang.nlp.people.doc_facts import departments, name_spans, words_at
from jinnang.nlp.people.mention import PersonMention, dept_before
from jinnang.nlp.people.transliterated import inventory
from jinnang.nlp.people.vocabulary import BEFORE_NAME, CJK, DOTS, people_vocab

MODELS = Path(__file__).resolve().parents[1] / "models"
MODEL_FILE = "names.joblib"
LONGEST = 8  # characters of a candidate, dots included (阿不都热依木·吐尔逊 is 10: its parts are read by LAC)
GAP_BEFORE = re.compile(r"[ \u3000\t]*[（(]?[ \u3000\t]*$")  # 哈斯 护士长, 祖力胡玛尔（工程师）
GAP_AFTER = re.compile(r"[ \u3000\t]*(?:[:：∶][ \u3000\t]*)?")


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    side: str  # before / after the title

    def name(self, text: str) -> str:
        return text[self.start:self.end]


@dataclass(frozen=True)
class TitleAt:
    start: int
    end: int
    title: Title


def titles_in(doc: Doc) -> list[TitleAt]:
    """Each title of the note outside a department's word (麻醉科主任: 主任, not 科主任)."""
    text, vocab = doc_text(doc), people_vocab()
    depts = departments(doc)
    out, pos = [], 0
    while (m := vocab.title_rx.search(text, pos)) is not None:
        ts, te = m.span()
        if any(s <= ts < e for s, e in depts) or not CJK.match(m.group()[0]):
            pos = ts + 1
            continue
        out.append(TitleAt(ts, te, vocab.titles[m.group()]))
        pos = te
    return out


# characters no name holds (钱不是问题, 主任说), and those no name begins with (和住院医师, 不同意; but
# 孟和 and 阿不都热依木 hold them)
NEVER_IN_NAME = set("说问的是在没也就又还很太把被等")
NEVER_BEGINS_NAME = NEVER_IN_NAME | set("和与及跟不都")


def _name_char(c: str) -> bool:
    return (bool(CJK.match(c)) or c in DOTS) and c not in NEVER_IN_NAME


def _may_be_name(run: str) -> bool:
    """A run that may be a name: no dot at either end and no word it cannot begin with. A lone
    character is a candidate too, a surname of the list or not (弭科长, 甯院长): the model reads
    whether it stands where a name starts."""
    return not (run[0] in DOTS or run[-1] in DOTS or run[0] in NEVER_BEGINS_NAME)


def candidates(text: str, at: TitleAt) -> list[Candidate]:
    """Runs of Han characters (and a name's dots) ending at the title, or starting after it."""
    out = []
    gap = GAP_BEFORE.search(text, max(0, at.start - 6), at.start)
    end = gap.start() if gap else at.start
    for start in range(end - 1, max(-1, end - LONGEST - 1), -1):
        if not _name_char(text[start]):
            break
        if _may_be_name(text[start:end]):
            out.append(Candidate(start, end, "before" + ("+gap" if end < at.start else "")))
    if at.title.after_surname_only:
        return out  # 戴工, 设备科拓科: written after a surname only, so no name follows it
    gap_after = m.group() if (m := GAP_AFTER.match(text, at.end)) else ""  # it matches empty at worst
    start = at.end + len(gap_after)
    kind = "after" + (":" if re.search("[:：∶]", gap_after) else "+gap" if gap_after else "")
    for stop in range(start + 1, min(len(text), start + LONGEST) + 1):
        if not _name_char(text[stop - 1]):
            break
        if stop - start >= 2 and _may_be_name(text[start:stop]):
            out.append(Candidate(start, stop, kind))
    return out


def lengthenings(text: str, mention: PersonMention) -> list[Candidate]:
    """A rule's name read before its title, and each longer run ending where it ends (屠秀兰 for 兰 in
    屠秀兰主任; 佘雪梅 for 梅 in 佘雪梅大夫（副主任医师）, where another title stands between); empty
    for a name read after its title or not as written."""
    start, end = mention.start, mention.start + len(mention.name)
    if end > mention.title_start or text[start:end] != mention.name:
        return []
    side = "before" + ("+gap" if end < mention.title_start else "")
    out = [Candidate(start, end, side)]
    for s in range(start - 1, max(-1, end - LONGEST - 1), -1):
        if not _name_char(text[s]):
            break
        if _may_be_name(text[s:end]):
            out.append(Candidate(s, end, side))
    return out


def _char_class(c: str) -> str:
    if c == "\n":
        return "line"
    if c in " \u3000\t":
        return "space"
    if c in BEFORE_NAME:
        return "before-name"
    if CJK.match(c):
        return "han"
    if c.isascii() and c.isalnum():
        return "latin"
    return "punct"


class NoteReader:
    """What the features of one note's candidates need, read once."""

    def __init__(self, doc: Doc, rule_mentions: Sequence[PersonMention]):
        from jinnang.nlp.crf_features import word_lexicon

        self.doc, self.text = doc, doc_text(doc)
        self.words = words_at(doc)
        self.word_ends = {s + len(w) for s, (w, _) in self.words.items()}
        self.names = name_spans(doc)
        self.depts = departments(doc)
        self.dept_ends = {e for _, e in self.depts}
        self.lexicon = word_lexicon()[0]
        self.vocab = people_vocab()
        self.rule_names: dict[int, set[str]] = {}
        for m in rule_mentions:
            self.rule_names.setdefault(m.title_start, set()).add(m.name)

    def features(self, at: TitleAt, c: Candidate) -> dict[str, float]:
        text, name = self.text, c.name(self.text)
        bare = "".join(ch for ch in name if ch not in DOTS)
        f: dict[str, float] = {f"side={c.side}": 1, f"len={min(len(bare), 6)}": 1, f"title={at.title.bare}": 1,
                               f"first={name[0]}": 1, f"last={name[-1]}": 1}
        for ch in name[1:-1]:
            f[f"in={ch}"] = 1
        if len(name) >= 2:
            f[f"head={name[:2]}"] = 1
            f[f"tail={name[-2:]}"] = 1
        if len(bare) < len(name):
            f["dotted"] = 1
        share = sum(ch in inventory() for ch in bare) / len(bare)
        f[f"by_sound={'all' if share == 1 else 'most' if share >= 0.5 else 'some' if share else 'none'}"] = 1
        if name[0] in self.vocab.surnames:
            f["surname"] = 1
        elif len(bare) == 1:
            f["lone_unlisted"] = 1  # a rare surname, or a word before the title (找科长)
        if any(name.startswith(s) for s in self.vocab.compound_surnames):
            f["compound_surname"] = 1
        before = text[c.start - 1] if c.start else "\n"
        after = text[c.end] if c.end < len(text) else "\n"
        f[f"prev={_char_class(before)}"] = 1
        f[f"next={_char_class(after)}"] = 1
        if c.side.startswith("before"):
            f[f"prev_char={before}"] = 1
        else:
            f[f"next_char={after}"] = 1
        if c.start in self.dept_ends:
            f["after_department"] = 1
        if any(s < c.end and c.start < e for s, e in self.depts):
            f["holds_department"] = 1
        word = self.words.get(c.start)
        f[f"word_tag={word[1] if word else 'inside'}"] = 1
        if c.end in self.word_ends:
            f["word_end"] = 1
        if word and word[0] == name:
            f[f"word_is={word[1]}"] = 1
        if self.names.get(c.start) == c.end:
            f["tagged_name"] = 1
        elif any(s <= c.start and c.end <= e for s, e in self.names.items()):
            f["inside_tagged_name"] = 1
        f[f"lexicon={self.lexicon.get(name, 'none')}"] = 1
        if len(name) > 2:
            f[f"lexicon_head={self.lexicon.get(name[:2], 'none')}"] = 1
        if text.count(name) > 1:
            f["recurs"] = 1
        if self.vocab.title_rx.search(name):
            f["holds_title"] = 1
        read = self.rule_names.get(at.start, set())
        if read:
            f["rules_read_one"] = 1
            if name in read:
                f["rules_read_this"] = 1
            elif any(name.endswith(r) for r in read):
                f["lengthens_rules"] = 1
        return f


@dataclass
class NamesModel:
    vectorizer: Any  # DictVectorizer
    model: Any  # LogisticRegression, classes False / True
    add_threshold: float  # a title the rules left alone
    lengthen_threshold: float  # a longer name than the rules read

    def probabilities(self, rows: Sequence[dict[str, float]]) -> list[float]:
        if not rows:
            return []
        return list(logistic_proba(self.model, self.vectorizer.transform(rows))[:, 1])


def fit(rows: Sequence[dict[str, float]], gold: Sequence[bool], c: float) -> tuple[Any, Any]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer().fit(rows)
    model = LogisticRegression(C=c, max_iter=3000).fit(vectorizer.transform(rows), list(gold))
    return vectorizer, model


def with_learned_names(doc: Doc, found: list[PersonMention], model: NamesModel | None = None) -> list[PersonMention]:
    """`found` (the rules' mentions) with names the model reads at titles the rules left alone, and
    rule names it lengthens."""
    model = model if model is not None else packaged_model()
    if model is None:
        return found
    text = doc_text(doc)
    reader = NoteReader(doc, found)
    depts = departments(doc)
    taken = [(m.start, m.end) for m in found]
    out = list(found)
    read_at: dict[int, list[PersonMention]] = {}
    for m in found:
        read_at.setdefault(m.title_start, []).append(m)

    def wanted(at: TitleAt) -> list[Candidate]:
        """Every candidate where the rules read nobody; where they read one name, only it and its
        lengthenings (the model may do no more there, and scoring fewer keeps extraction fast)."""
        read = read_at.get(at.start, [])
        if len(read) > 1:
            return []
        if read and (longer := lengthenings(text, read[0])):
            return longer
        cands = candidates(text, at)
        return [c for c in cands if c.name(text).endswith(read[0].name)] if read else cands

    per_title = [(at, cands) for at in titles_in(doc) if (cands := wanted(at))]
    scores = iter(model.probabilities([reader.features(at, c) for at, cands in per_title for c in cands]))
    for at, cands in per_title:
        probs = [next(scores) for _ in cands]  # one call to the model a note: a title at a time is slower
        best = max(range(len(cands)), key=probs.__getitem__)
        c, p = cands[best], probs[best]
        name = c.name(text)
        read = read_at.get(at.start, [])
        if not read:
            if p < model.add_threshold or any(s < c.end and c.start < e for s, e in taken):
                continue
            out.append(PersonMention(name, c.start, max(at.end, c.end), at.title, dept_before(text, c.start, depts), at.start))
            taken.append((c.start, c.end))
        elif name != read[0].name and p >= model.lengthen_threshold:
            rule_p = next((q for q, o in zip(probs, cands) if o.name(text) == read[0].name), 0.0)
            if p > rule_p:
                m = read[0]
                if len(m.name) == 1 and len(name) >= 3 and name[0] == m.name:
                    name = name[:-1]  # 马福祥马工: the full name, then its surname as the title's form of address
                out[out.index(m)] = PersonMention(name, c.start, m.end, m.title,
                                                  m.department or dept_before(text, c.start, depts), m.title_start)
    return out


_PACKAGED: list[NamesModel | None] = []


def packaged_model() -> NamesModel | None:
    if not _PACKAGED:
        _PACKAGED.append(load(MODELS / MODEL_FILE))
    return _PACKAGED[0]


def load(path: Path) -> NamesModel | None:
    """The model in `path`; None when it is missing or unreadable (the rules then read alone)."""
    return load_joblib(path, NamesModel, "learned names model")
