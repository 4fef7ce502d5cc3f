"""The neural character tagger: BiLSTM-CRF over characters, their bigrams and LAC's words.

Each character is read as its own embedding (initialised from the multilingual USE v3
SentencePiece table, whose surname and transliteration characters already sit together),
its right bigram, the USE embedding of the LAC word it belongs to, and LAC's tag with
the character's position in that word (B/I/E/S). Trained by `python -m nlp.train_ner`;
at run time the encoder is an ONNX graph on one onnxruntime thread and the CRF's Viterbi
is numpy, so neither torch nor the USE weights are loaded.

Measured (held-out 10% of CLUENER train, raw tagger, hidden 160, 14 epochs, best of a 5%
tune slice): name F1 0.798, position 0.727, organization 0.807 — level with the feature CRF
(0.796 / 0.738 / 0.792); averaging both taggers' marginals gave name 0.812. But the encoder
took ~9 ms and the numpy Viterbi ~3.4 ms per 200-character note (2 busy cores) against the
CRF's ~2.4 ms, so it is not the shipped default (nlp/config.cfg).

>>> NeuralNer().char_spans("浙商银行企业信贷部叶老桂博士认为")  # doctest: +SKIP
[('organization', 0, 4), ('name', 9, 12), ...]
"""
from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.crf_features import bio_to_spans

MODELS = Path(__file__).resolve().parent / "models"
MODEL_NAME = "cluener_bilstm"
PAD, UNK = 0, 1
# the labels the tagger learns: ours plus CLUENER's other kinds, so that a game or
# book title is learnt as what it is rather than as "not a name"
ENTITY_TYPES = ("name", "position", "organization", "address", "book", "game", "movie", "scene")
OURS = frozenset({"name", "position", "organization"})
TAGS = ("O", *(f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I")))


def word_positions(words: Sequence[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Per character: LAC tag with its place in the word (B-PER, E-n …), and the word itself."""
    tags: list[str] = []
    of: list[str] = []
    for w, t in words:
        n = len(w)
        for i in range(n):
            pos = "S" if n == 1 else "B" if i == 0 else "E" if i == n - 1 else "I"
            tags.append(f"{pos}-{t}")
            of.append(w)
    return tags, of


class Vocab:
    """String → id maps for chars, bigrams, LAC words and LAC tags (saved beside the model)."""

    def __init__(self, chars: list[str], bigrams: list[str], words: list[str], tags: list[str]):
        self.lists = {"chars": chars, "bigrams": bigrams, "words": words, "tags": tags}
        self.maps = {k: {s: i + 2 for i, s in enumerate(v)} for k, v in self.lists.items()}

    def encode(self, text: str, words: Sequence[tuple[str, str]]) -> np.ndarray:
        """(4, len(text)) int64: char, bigram, word and tag ids."""
        tags, of = word_positions(words)
        m = self.maps
        padded = text + "\x00"
        return np.array([
            [m["chars"].get(c, UNK) for c in text],
            [m["bigrams"].get(padded[i:i + 2], UNK) for i in range(len(text))],
            [m["words"].get(w, UNK) for w in of],
            [m["tags"].get(t, UNK) for t in tags],
        ], dtype=np.int64)

    def to_json(self) -> dict:
        return self.lists

    @classmethod
    def from_json(cls, obj: dict) -> "Vocab":
        return cls(obj["chars"], obj["bigrams"], obj["words"], obj["tags"])


def allowed_transitions() -> np.ndarray:
    """(n_tags, n_tags) mask: I-x only after B-x or I-x."""
    n = len(TAGS)
    ok = np.ones((n, n), dtype=bool)
    for j, t in enumerate(TAGS):
        if t.startswith("I-"):
            for i, s in enumerate(TAGS):
                ok[i, j] = s[2:] == t[2:] and s != "O"
    return ok


def viterbi(emissions: np.ndarray, transitions: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[int]:
    """Best tag path for (T, n_tags) emissions under the CRF's transition scores."""
    T = emissions.shape[0]
    score = start + emissions[0]
    back = np.empty((T, emissions.shape[1]), dtype=np.int64)
    for t in range(1, T):
        cand = score[:, None] + transitions
        back[t] = cand.argmax(0)
        score = cand[back[t], np.arange(cand.shape[1])] + emissions[t]
    best = int((score + end).argmax())
    path = [best]
    for t in range(T - 1, 0, -1):
        best = int(back[t, best])
        path.append(best)
    return path[::-1]


class NeuralNer:
    """Loads `<name>.onnx` (encoder → emissions) and `<name>.json` (vocab + CRF scores)."""

    def __init__(self, name: str = MODEL_NAME, models: Path = MODELS):
        import onnxruntime as ort

        graph = models / f"{name}.onnx"
        card = models / f"{name}.json"
        for path in (graph, card):
            if not path.is_file():
                raise FileNotFoundError(f"neural tagger file {path} is missing: run `python -m nlp.train_ner` once")
        meta = json.loads(card.read_text(encoding="utf-8"))
        self.vocab = Vocab.from_json(meta["vocab"])
        crf = meta["crf"]
        self.transitions = np.asarray(crf["transitions"], dtype=np.float32)
        self.start = np.asarray(crf["start"], dtype=np.float32)
        self.end = np.asarray(crf["end"], dtype=np.float32)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # extraction runs one note at a time; see nlp/lac.py
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def emissions(self, text: str, words: Sequence[tuple[str, str]]) -> np.ndarray:
        ids = self.vocab.encode(text, words)[:, None, :]  # (4, batch=1, T)
        with self._lock:
            (out,) = self.session.run(None, {"ids": ids})
        return out[0]

    def char_spans(self, text: str, words: Sequence[tuple[str, str]] | None = None) -> list[tuple[str, int, int]]:
        """(label, start, end) of names, positions and organizations in `text`."""
        if not text:
            return []
        if words is None:
            from nlp.lac import analyse

            words = analyse(text)
        path = viterbi(self.emissions(text, words), self.transitions, self.start, self.end)
        return [s for s in bio_to_spans([TAGS[i] for i in path]) if s[0] in OURS]
