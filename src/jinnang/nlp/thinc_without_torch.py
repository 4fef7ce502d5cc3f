"""spaCy's thinc imports torch whenever it is installed (the `st` extra and the test tools bring it):
about 1 s and 180 MB more in every process that extracts, for no use — nothing here runs a torch
layer. `thinc.compat` is the one module that looks for torch, so it is imported first with torch
hidden; thinc then runs as in the default install. torch itself stays importable afterwards for
what does use it (the sentence-transformers embedder, ingest/embed.py)."""
from __future__ import annotations

import importlib.abc
import sys
from typing import Any


class _HideTorch(importlib.abc.MetaPathFinder):
    # a finder, not a None in sys.modules: scipy reads whatever sits there under "torch"
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError("torch is hidden while thinc loads", name=name)
        return None


def import_thinc_without_torch() -> None:
    """Import thinc with torch hidden, unless either is loaded already (then it is too late, or moot)."""
    if "thinc" in sys.modules or "torch" in sys.modules:
        return
    hide = _HideTorch()
    sys.meta_path.insert(0, hide)
    try:
        import thinc.compat  # noqa: F401
    finally:
        sys.meta_path.remove(hide)
