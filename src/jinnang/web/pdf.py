"""A page's HTML as a PDF (WeasyPrint), in Chinese with the Noto CJK fonts set-up installs.

The PDF is drawn from the same template as the HTML page, so the two never say different things.
WeasyPrint loads only what `url_fetcher` allows: the page's own static files, never the network.
"""
from __future__ import annotations

from pathlib import Path

from jinnang.web.templating import WEB

PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm; @bottom-right { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: "Noto Sans CJK SC", "Noto Sans CJK", sans-serif; font-size: 10.5pt; background: #fff; }
header.top, nav, form, button, .no-print { display: none !important; }
main { max-width: none; padding: 0; }
.card { border: 1px solid #ccc; break-inside: avoid; }
"""


def _local_only_fetcher():
    from weasyprint.urls import URLFetcher

    class LocalOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = Path(url.removeprefix("file://")).resolve()
                if path.is_relative_to(WEB / "static"):
                    return super().fetch(url, headers)
            raise ValueError(f"a PDF may use only the pages' own static files, not {url}")

    return LocalOnly(allowed_protocols=["file"])


def html_to_pdf(html: str) -> bytes:
    """`html_to_pdf(rendered_page_html)` → PDF bytes; links to /static/… resolve to the package's files."""
    from weasyprint import CSS, HTML

    document = HTML(string=html.replace('href="/static/', f'href="file://{WEB}/static/'),
                    base_url=str(WEB / "static"), url_fetcher=_local_only_fetcher())
    return document.write_pdf(stylesheets=[CSS(string=PRINT_CSS)])
