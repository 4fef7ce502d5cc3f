"""Customer objections in a visit note or trial feedback form, one per category at most.

    >>> [(o.category, o.evidence) for o in find_objections("主任说单价偏高，预算不是问题。")]
    [('price', '单价偏高')]

Cue phrases, negations and speaker rules live in `nlp/config/objections.yaml`.
Per-category figures: `jinnang eval extraction PATH --json` (objections.per_category; `--errors` lists each case).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jinnang.core.config import ConfigFile
from jinnang.core.records import OBJECTION_CATEGORIES, Objection, ObjectionCategory
from jinnang.nlp.checkboxes import mask_unticked
from jinnang.nlp.vocab import (
    CONFIG_DIR,
    CompiledRule,
    CueRule,
    Hit,
    Unit,
    check_phrases,
    clause_around,
    clauses,
    compile_rules,
    first_hit,
    phrase_alternation,
    sentences,
)

if TYPE_CHECKING:
    import numpy as np

    from jinnang.nlp.objection_clauses import ClauseModel
    from jinnang.nlp.objection_scorer import ClauseScore, ObjectionScorer

CONTRAST = ("但", "但是", "不过", "就是", "可是", "只是", "然而")
_TURN = re.compile("但|不过|可是|然而|只是")
SENTENCE_REACH = 40  # characters either side of a clause that a sentence-wide `unless` looks at


class CategoryRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cues: list[CueRule] = Field(min_length=1)
    unless: list[CueRule] = Field(default_factory=list)
    # where `unless` looks: the clause of the cue, that clause and the one before, or the sentence
    unless_scope: Literal["clause", "with_previous", "sentence"] = "clause"
    # rules that cancel a hit when they occur within `near` characters of it in its sentence:
    # the motive to replace old kit (用了快八年了 报警太多 想换一批) sits a clause or two away
    unless_near: list[CueRule] = Field(default_factory=list)
    near: int = Field(default=30, ge=1, le=200)


class ScorerSettings(BaseModel):
    """The learned scorer beside the rules (nlp/objection_scorer.py)."""
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    # a clause at or above this probability adds a category the rules missed
    threshold: float = Field(default=0.7, gt=0.0, lt=1.0)
    # shorter clauses are form labels and fragments (价格评价, 避开); short real concerns (太贵了) are the rules' job
    min_chars: int = Field(default=6, ge=1, le=50)
    model: str = "objection_scorer.joblib"


class ClauseSettings(BaseModel):
    """The clause classifier over embeddings (nlp/objection_clauses.py); its threshold is the model's."""
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True  # used when a model file exists (packaged, or the data dir's refit)


class ObjectionVocab(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scorer: ScorerSettings = Field(default_factory=ScorerSettings)
    clauses: ClauseSettings = Field(default_factory=ClauseSettings)

    terms: dict[str, list[str]] = Field(default_factory=dict)
    not_concern: list[CueRule] = Field(default_factory=list)
    not_customer: list[CueRule] = Field(default_factory=list)
    distributor_sentence: list[CueRule] = Field(default_factory=list)
    customer_speaker: list[CueRule] = Field(default_factory=list)
    categories: dict[ObjectionCategory, CategoryRules]

    @model_validator(mode="after")
    def _scorer_model_exists(self) -> "ObjectionVocab":
        if self.scorer.enabled:
            from jinnang.nlp.objection_scorer import model_path

            if not model_path(self.scorer.model).is_file():
                raise ValueError(f"scorer.model {self.scorer.model!r} is not under nlp/models/: "
                                 "run `python training/train_objections.py`, or set scorer.enabled: false")
        return self

    @model_validator(mode="after")
    def _phrases_compile(self) -> "ObjectionVocab":
        check_phrases(self.not_concern, self.terms, "not_concern")
        check_phrases(self.not_customer, self.terms, "not_customer")
        check_phrases(self.distributor_sentence, self.terms, "distributor_sentence")
        check_phrases(self.customer_speaker, self.terms, "customer_speaker")
        for name, cat in self.categories.items():
            check_phrases(cat.cues, self.terms, f"categories/{name}/cues")
            check_phrases(cat.unless, self.terms, f"categories/{name}/unless")
            check_phrases(cat.unless_near, self.terms, f"categories/{name}/unless_near")
        return self


class CueHit(NamedTuple):
    """A cue hit that survived the filters; start/end are offsets in the whole text."""

    hit: Hit
    start: int
    end: int


class ObjectionFinder:
    """Compiled objection rules of one vocabulary file."""

    def __init__(self, vocab: ObjectionVocab):
        self.vocab = vocab
        terms = vocab.terms
        self.not_concern = compile_rules(vocab.not_concern, terms)
        self.not_customer = compile_rules(vocab.not_customer, terms)
        self.distributor_sentence = compile_rules(vocab.distributor_sentence, terms)
        self.customer_speaker = compile_rules(vocab.customer_speaker, terms)
        self.cues: dict[str, list[CompiledRule]] = {}
        self.unless: dict[str, list[CompiledRule]] = {}
        self.unless_scope: dict[str, str] = {}
        self.unless_near: dict[str, list[CompiledRule]] = {}
        self.near: dict[str, int] = {}
        # the vocabulary's term groups (brand, price_word, it_system …): features of the clause model
        self.term_rx = {g: phrase_alternation(words, terms) for g, words in sorted(terms.items())}
        self.packaged_scorer: ObjectionScorer | None = None
        # None: the data dir's refit when it has one, else the packaged scorer; a scorer: that one
        self.scorer_override: ObjectionScorer | None = None
        # None: the data dir's or packaged clause model (nlp/objection_clauses.py); False: none;
        # a ClauseModel: that one (training and `jinnang learn` compare models this way)
        self.clause_override: ClauseModel | bool | None = None
        if vocab.scorer.enabled:
            from jinnang.nlp.objection_scorer import load_scorer

            self.packaged_scorer = load_scorer(vocab.scorer.model)
        for cat in OBJECTION_CATEGORIES:
            rules = vocab.categories.get(cat)  # type: ignore[call-overload]
            self.cues[cat] = compile_rules(rules.cues, terms) if rules else []
            self.unless[cat] = compile_rules(rules.unless, terms) if rules else []
            self.unless_scope[cat] = rules.unless_scope if rules else "clause"
            self.unless_near[cat] = compile_rules(rules.unless_near, terms) if rules else []
            self.near[cat] = rules.near if rules else 30

    def _cancelled(self, rules: list[CompiledRule], clause: str) -> bool:
        return first_hit(rules, clause) is not None

    @staticmethod
    def _scope(unit: Unit, clause: Unit, scope: str) -> str:
        # 价格也可以，但仪器体积太大: a contrast opens a new topic, the clause before does not count
        if scope == "with_previous" and clause.text.lstrip(" ，,").startswith(CONTRAST):
            return clause.text
        if scope == "sentence":
            # a dictated note without punctuation is one 'sentence': there the scope is the
            # stretch around the clause, not every other topic of the note
            a = max(0, clause.start - unit.start - SENTENCE_REACH)
            return unit.text[a:clause.end - unit.start + SENTENCE_REACH]
        if scope == "with_previous":
            before = [c for c in clauses(unit) if c.end <= clause.start]
            start = before[-1].start if before else clause.start
            return unit.text[start - unit.start:clause.end - unit.start]
        return clause.text

    @staticmethod
    def _near(text: str, hit: Hit, near: int) -> str:
        # the window stops at a contrast: 生化线他们想换，但罗氏的仪器是投放的 keeps its loyalty cue
        a, b = max(0, hit.start - near), hit.end + near
        before = [m.end() for m in _TURN.finditer(text, a, hit.start)]
        after = _TURN.search(text, hit.end, b)
        return text[before[-1] if before else a:after.start() if after else b]

    def hits(self, text: str) -> dict[str, list[CueHit]]:
        """Every surviving cue hit per category, with its whole-text span."""
        found: dict[str, list[CueHit]] = {}
        units = sentences(text)
        # many hits share a clause or sentence (a transcript without punctuation is one long
        # sentence): each rule list is searched once per distinct stretch of text
        seen: dict[tuple[int, str], bool] = {}

        def cancelled(rules: list[CompiledRule], stretch: str) -> bool:
            key = (id(rules), stretch)
            if key not in seen:
                seen[key] = self._cancelled(rules, stretch)
            return seen[key]

        for cat in OBJECTION_CATEGORIES:
            for rule in self.cues[cat]:
                for unit, hit in rule.search_units(text, units):
                    start, end = unit.start + hit.start, unit.start + hit.end
                    if self._stands(cat, unit, clause_around(unit, start, end), hit, cancelled):
                        found.setdefault(cat, []).append(CueHit(hit, start, end))
        return found

    def _stands(self, cat: str, unit: Unit, clause: Unit, hit: Hit, cancelled) -> bool:
        """Whether a hit of `cat` (a cue's, or a clause the scorer picked) survives the filters:
        the category's unless and unless_near, negations, other speakers and distributors."""
        if cancelled(self.unless[cat], self._scope(unit, clause, self.unless_scope[cat])):
            return False
        if self.unless_near[cat] and cancelled(self.unless_near[cat], self._near(unit.text, hit, self.near[cat])):
            return False
        if cancelled(self.not_customer, clause.text) or cancelled(self.not_concern, clause.text):
            return False
        return not (cancelled(self.distributor_sentence, unit.text)
                    and not cancelled(self.customer_speaker, clause.text))

    @property
    def scorer(self) -> ObjectionScorer | None:
        """The character scorer extraction uses: None when `scorer.enabled` is false; else the
        override, or the data dir's own refit (`jinnang learn`), or the packaged one."""
        if self.packaged_scorer is None:
            return None
        if self.scorer_override is not None:
            return self.scorer_override
        from jinnang.nlp.objection_scorer import learned_scorer

        return learned_scorer() or self.packaged_scorer

    @scorer.setter
    def scorer(self, value: ObjectionScorer | None) -> None:
        self.scorer_override = value

    def scored(self, text: str, skip: set[str], scores: list[ClauseScore] | None = None) -> list[Objection]:
        """Categories the learned scorer finds in clauses that the rules' filters leave standing
        (`scores`: the scorer's clause probabilities of `text`, when already computed)."""
        scorer = self.scorer
        if scorer is None:
            return []
        settings = self.vocab.scorer
        best: dict[str, tuple[float, Unit]] = {}
        for unit, clause, probs in (scorer.clause_probs(text) if scores is None else scores):
            if len(clause.text.strip(" ，,、：:")) < settings.min_chars:
                continue
            hit = Hit("scorer", clause.start - unit.start, clause.end - unit.start, 0.0)
            for cat, p in probs.items():
                if cat in skip or p < settings.threshold or (cat in best and p <= best[cat][0]):
                    continue
                if self._stands(cat, unit, clause, hit, lambda rules, stretch: self._cancelled(rules, stretch)):
                    best[cat] = (p, clause)
        out = []
        for cat, (p, clause) in best.items():
            lead = len(clause.text) - len(clause.text.lstrip(" ，,、"))
            start, end = clause.start + lead, clause.start + len(clause.text.rstrip())
            out.append(Objection(category=cat, evidence=text[start:end], start=start, end=end,  # type: ignore[arg-type]
                                 confidence=round(p * 0.8, 3)))  # below a rule's: a manager sees it as less sure
        return out

    def clause_model(self) -> ClauseModel | None:
        # the character scorer picks the clauses worth embedding, so `scorer.enabled: false`
        # (rules only) switches both learned add-ons off
        if self.clause_override is False or not self.vocab.clauses.enabled or self.scorer is None:
            return None
        if self.clause_override is not None and self.clause_override is not True:
            return self.clause_override
        from jinnang.nlp.objection_clauses import load_model

        return load_model()

    def clause_extras(self, pairs: list[tuple[Unit, Unit]], scores: list[ClauseScore] | None,
                      hits: dict[str, list[CueHit]], groups: list[str]) -> np.ndarray:
        """What the rules saw in each clause, the clause model's features beside the embeddings: the
        character scorer's probability of each category, whether a cue of each category stood in
        it, and whether it names a word of each of `groups` (term groups of objections.yaml; one
        the vocabulary no longer has reads as absent)."""
        import numpy as np

        n, cats = len(pairs), OBJECTION_CATEGORIES
        scored = np.zeros((n, len(cats)), dtype=np.float32)
        if scores and len(scores) == n:
            scored[:] = [[s.probs.get(c, 0.0) for c in cats] for s in scores]
        cued = np.zeros((n, len(cats)), dtype=np.float32)
        for j, cat in enumerate(cats):
            for h in hits.get(cat, ()):
                for k, (_, clause) in enumerate(pairs):
                    if clause.start < h.end and h.start < clause.end:
                        cued[k, j] = 1.0
        named = np.zeros((n, len(groups)), dtype=np.float32)
        for g, group in enumerate(groups):
            rx = self.term_rx.get(group)
            if rx is not None:
                named[:, g] = [1.0 if rx.search(clause.text) else 0.0 for _, clause in pairs]
        return np.hstack([scored, cued, named])

    def clause_scored(self, text: str, skip: set[str], scores: list[ClauseScore] | None = None,
                      hits: dict[str, list[CueHit]] | None = None) -> list[Objection]:
        """Categories the clause classifier finds in clauses the rules' filters leave standing
        (`scores`: the character scorer's, which decide which clauses are worth embedding;
        `hits`: the rules' cue hits, which it reads as features)."""
        model = self.clause_model()
        if model is None or len(skip) == len(OBJECTION_CATEGORIES):
            return []
        from jinnang.nlp.objection_clauses import MIN_CHARS, clause_pairs, note_features

        pairs = clause_pairs(text)
        keep = [len(c.text.strip(" ，,、：:")) >= MIN_CHARS for _, c in pairs]
        if scores and len(scores) == len(pairs):
            keep = [k and max(p for cat, p in s.probs.items() if cat not in skip) >= model.gate
                    for k, s in zip(keep, scores)]
        if not any(keep):
            return []
        groups = model.term_groups
        extras = None if groups is None else self.clause_extras(
            pairs, scores, self.hits(text) if hits is None else hits, groups)
        pairs, rows, x = note_features(text, keep, extras)
        best: dict[str, tuple[float, Unit]] = {}
        for k, row in zip(rows, model.probabilities(x)):
            unit, clause = pairs[k]
            hit = Hit("clauses", clause.start - unit.start, clause.end - unit.start, 0.0)
            for cat, p in zip(OBJECTION_CATEGORIES, row):
                if cat in skip or p < model.threshold or (cat in best and p <= best[cat][0]):
                    continue
                if self._stands(cat, unit, clause, hit, lambda rules, stretch: self._cancelled(rules, stretch)):
                    best[cat] = (float(p), clause)
        out = []
        for cat, (p, clause) in best.items():
            lead = len(clause.text) - len(clause.text.lstrip(" ，,、"))
            start, end = clause.start + lead, clause.start + len(clause.text.rstrip())
            out.append(Objection(category=cat, evidence=text[start:end], start=start, end=end,  # type: ignore[arg-type]
                                 confidence=round(p * 0.8, 3)))
        return out

    def find(self, text: str, details: list[dict[str, Any]] | None = None) -> list[Objection]:
        """The objections of `text`. `details`, when given, receives for each one (in the same
        order) what the calibration reads: its source, the scorer's probability of its category
        at its clause, and how many cue hits of the category stood."""
        out = []
        # an unticked option (□满意) is no statement; blanking keeps the offsets
        masked = mask_unticked(text)
        scorer = self.scorer
        scores = scorer.clause_probs(masked) if scorer is not None else []
        rule_hits: dict[str, int] = {}
        all_hits = self.hits(masked)
        for cat, hits in all_hits.items():
            # the strongest rule wins; among equals the earliest mention
            hit, start, end = max(hits, key=lambda h: (h.hit.weight, -h.start))
            out.append(Objection(category=cat, evidence=text[start:end], start=start, end=end,  # type: ignore[arg-type]
                                 confidence=hit.weight))
            rule_hits[cat] = len(hits)
        out += self.scored(masked, {o.category for o in out}, scores)
        out += self.clause_scored(masked, {o.category for o in out}, scores, all_hits)
        out.sort(key=lambda o: o.start or 0)
        if details is not None:
            # the calibration knows two sources; a clause-classifier add-on is read as a learned one
            details.extend({"source": "rule" if o.category in rule_hits else "scorer",
                            "scorer_p": _clause_probability(scores, o), "rule_hits": rule_hits.get(o.category, 0)}
                           for o in out)
        return out


def _clause_probability(scores: list[ClauseScore], objection: Objection) -> float:
    """The scorer's highest probability of the objection's category over the clauses its evidence touches."""
    start, end = objection.start or 0, objection.end or 0
    touched = [s.probs.get(objection.category, 0.0) for s in scores if s.clause.start < end and start < s.clause.end]
    return round(max(touched, default=0.0), 4)


# rebuilt when objections.yaml changes (an edit that does not validate keeps the last good one)
default_finder: ConfigFile[ObjectionFinder] = ConfigFile(CONFIG_DIR / "objections.yaml", ObjectionVocab, ObjectionFinder)


def find_objections(text: str, details: list[dict[str, Any]] | None = None) -> list[Objection]:
    """Objections the customer raised, one per category, with the evidence span and offsets
    (`details`: see ObjectionFinder.find)."""
    return default_finder().find(text, details)
