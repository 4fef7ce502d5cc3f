"""The shape of the code: layers that import only downwards, no import cycles, small modules, one package.

    core → ingest → nlp → rules → coaching → service → eval → api | cli;  api → web

A module imports only from its own layer or a layer below it; the CLI and the API never import
each other. The website (`web`) is the API with pages around it, so it sits on top of `api`. `eval` sits under the CLI because `jinnang eval …` and `jinnang bench …` are CLI
commands; api and web never use it. Function-level imports count: a late import that dodges a
cycle is still a dependency.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
LAYERS = {"core": 0, "ingest": 1, "nlp": 2, "rules": 3, "coaching": 4, "service": 5, "eval": 6,
          "api": 7, "web": 8, "cli": 7}
MAX_MODULE_LINES = 400


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, src: Path) -> set[str]:
    """Every jinnang module `path` imports, anywhere in the file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path, src).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from jinnang.x import module`
    return {m for m in found if m == "jinnang" or m.startswith("jinnang.")}


def import_graph(src: Path) -> dict[str, set[str]]:
    modules = {module_name(p, src): p for p in (src / "jinnang").rglob("*.py")}
    return {name: {m for m in imports_of(path, src) if m in modules and m != name} for name, path in modules.items()}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def upward_imports(src: Path) -> list[str]:
    """`jinnang.nlp.people imports jinnang.rules.models` for each import against the layers."""
    problems = []
    for module, targets in sorted(import_graph(src).items()):
        mine = layer_of(module)
        for target in sorted(targets):
            theirs = layer_of(target)
            if mine is None and target != "jinnang":
                problems.append(f"{module} (outside the layers) imports {target}")
            elif mine and theirs and mine != theirs and LAYERS[theirs] >= LAYERS[mine]:
                problems.append(f"{module} imports {target}")
    return problems


def import_cycles(src: Path) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), each a cycle of imports."""
    graph = import_graph(src)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            # a package's __init__ re-exporting its own modules is not a cycle of design
            if len(group) > 1:
                cycles.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    for node in graph:
        if node not in index:
            visit(node)
    return cycles


def test_every_import_points_down_the_layers():
    assert upward_imports(SRC) == []


def test_the_layering_check_catches_an_upward_import(tmp_path):
    for layer, text in {"core": "", "nlp": "", "rules": "", "rules/models": "X = 1\n",
                        "nlp/people": "def f():\n    from jinnang.rules.models import X\n    return X\n"}.items():
        path = tmp_path / "jinnang" / (layer + ".py" if "/" in layer else layer + "/__init__.py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "jinnang" / "__init__.py").write_text("")
    assert upward_imports(tmp_path) == ["jinnang.nlp.people imports jinnang.rules.models"]


def test_no_module_takes_part_in_an_import_cycle():
    assert import_cycles(SRC) == []


def test_the_cycle_check_catches_a_cycle(tmp_path):
    package = tmp_path / "jinnang" / "rules"
    package.mkdir(parents=True)
    (tmp_path / "jinnang" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "registry.py").write_text("from jinnang.rules import actions\n")
    (package / "actions.py").write_text("def f():\n    from jinnang.rules.registry import x\n")
    assert import_cycles(tmp_path) == [["jinnang.rules.actions", "jinnang.rules.registry"]]


def test_every_module_is_under_the_size_limit():
    # a migration is written by autogenerate once and never edited: its length is the schema's
    too_long = {str(p.relative_to(SRC)): n for p in (SRC / "jinnang").rglob("*.py") if "migrations" not in p.parts
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert too_long == {}


@pytest.mark.slow
def test_the_wheel_installs_exactly_one_top_level_package(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(SRC.parent)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("jinnang-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"jinnang"}
    # configuration, the shipped models and the demo documents travel with it; labelled sets do not
    assert "jinnang/rules/config/journey.yaml" in names
    assert "jinnang/nlp/models/cluener_crf.crfsuite" in names
    assert "jinnang/service/demo_documents/manifest.jsonl" in names
    assert not any("generalisation" in n or n.endswith("extraction.jsonl") for n in names)
    # the pages' templates, scripts and words travel with it; npm's node_modules (set-up's) does not
    assert {"jinnang/web/templates/base.html", "jinnang/web/static/app.js",
            "jinnang/web/config/ui/common.yaml"} - set(names) == set()
    assert not any("node_modules" in n for n in names)


def test_the_default_install_works_without_torch():
    # torch and sentence-transformers are the optional `st` extra; this venv may have them, so
    # the child process is made to behave as if they were not installed (thinc, under spaCy,
    # imports torch whenever it can, which is harmless but hides a real dependency)
    code = ("import sys, datetime, importlib.abc\n"
            "class Absent(importlib.abc.MetaPathFinder):\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] in ('torch', 'sentence_transformers', 'transformers'):\n"
            "            raise ModuleNotFoundError(name)\n"
            "sys.meta_path.insert(0, Absent())\n"
            "from jinnang.cli import app\n"
            "from jinnang.nlp.extract import extract\n"
            "record = extract('下午拜访设备科王主任，他说价格太高。', datetime.date(2026, 3, 2), 'visit_note')\n"
            "assert record.objections and record.decision_makers, record\n"
            "from jinnang.ingest.embed import get_embedder\n"
            "assert get_embedder().embed(['价格']).shape == (1, 512)\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
