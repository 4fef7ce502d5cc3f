"""The pages' templates, their words in Chinese and English, and the front-end libraries served from our own origin.

Words live in `web/config/ui/*.yaml` (one file per page area, every key in both languages), loaded
through the one config loader by `service/ui_words.py`, so a broken edit names its file, line and field. A template says
`{{ t("review") }}`; the language is the `lang` cookie's (zh by default).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from jinnang.service.ui_words import LANGUAGES, words

WEB = Path(__file__).resolve().parent
LANG_COOKIE = "lang"

# npm packages of web/assets/package.json (installed by scripts/setup.sh with `npm ci`), by the
# name the pages ask for under /static/vendor/
ASSETS = WEB / "assets" / "node_modules"
VENDOR_FILES = {
    "echarts.min.js": "echarts/dist/echarts.min.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
    "redoc.standalone.js": "redoc/bundles/redoc.standalone.js",
}


def language_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return lang if lang in LANGUAGES else "zh"


def vendor_path(name: str) -> Path | None:
    relative = VENDOR_FILES.get(name)
    return ASSETS / relative if relative else None


def missing_assets() -> list[str]:
    """Front-end files the pages need that are not installed (set-up's `npm ci` did not run)."""
    return [name for name, rel in VENDOR_FILES.items() if not (ASSETS / rel).is_file()]


templates = Jinja2Templates(directory=str(WEB / "templates"))

# functions (request, page user) → extra values for every signed-in page, e.g. the bell's unread count;
# a page area registers its own when its module is imported
CONTEXT_PROVIDERS: list[Callable[[Request, Any], dict[str, Any]]] = []


def render(request: Request, template: str, status_code: int = 200, **context: Any):
    """A page in the request's language; `t(key)` and `lang` are available to every template."""
    lang = language_of(request)
    table = words(lang)

    def t(key: str, **values: Any) -> str:
        text = table.get(key, key)
        return text.format(**values) if values else text

    page = getattr(request.state, "page", None)
    extra: dict[str, Any] = {}
    if page is not None:
        for provider in CONTEXT_PROVIDERS:
            extra.update(provider(request, page))
    return templates.TemplateResponse(request, template, {"t": t, "lang": lang, "page": page, **extra, **context},
                                      status_code=status_code)
