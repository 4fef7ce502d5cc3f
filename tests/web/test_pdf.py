"""Pages as PDFs: Chinese text survives, the pages' own stylesheet is used, nothing is fetched from elsewhere."""
from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pypdf

from jinnang.web.pdf import html_to_pdf


def test_a_chinese_page_with_our_stylesheet_becomes_a_readable_pdf():
    pdf = html_to_pdf('<html><head><link rel="stylesheet" href="/static/app.css"></head>'
                      "<body><main><h1>本周周报</h1><p>市一院 设备科 演示</p></main></body></html>")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "本周周报" in text and "市一院 设备科 演示" in text


def test_a_pdf_asks_nothing_of_another_server():
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        pdf = html_to_pdf(f'<html><head><link rel="stylesheet" href="{url}/x.css"></head>'
                          f'<body><img src="{url}/tracker.png"><p>正文</p></body></html>')
    finally:
        server.shutdown()
    assert asked == []
    assert "正文" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
