"""Every configuration file jinnang reads, checked in one pass (`jinnang config check`)."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from jinnang.core.config import FILES, ConfigError, ConfigFile

# the packages (or single modules) whose modules hold configuration files (ConfigFile objects made at import)
_CONFIGURED = ("jinnang.ingest", "jinnang.nlp", "jinnang.rules", "jinnang.coaching", "jinnang.service.alerts",
               "jinnang.service.ui_words")


def config_files() -> list[ConfigFile]:
    """Every ConfigFile of the configured packages, one per path."""
    for package_name in _CONFIGURED:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), package_name + "."):
            importlib.import_module(info.name)
    by_path: dict[Path, ConfigFile] = {}
    for file in sorted(FILES, key=lambda f: not f.primary):  # the service's own reading of a file first
        by_path.setdefault(file.path.resolve(), file)
    return [by_path[p] for p in sorted(by_path)]


def check_configuration() -> list[tuple[Path, ConfigError | None]]:
    """(path, the error of the file as it is on disk now, or None) for every configuration file."""
    return [(file.path, file.check()) for file in config_files()]
