"""An image or PDF that cannot be read is refused at registration, naming `file`, and nothing is stored."""
import io

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy.orm import Session

from jinnang.core.errors import InputError
from jinnang.ingest.pipeline import register_document, run_job
from jinnang.ingest.store import DocumentRow, IngestJobRow, ingest_engine


def _photo(format: str) -> bytes:
    pixels = (np.random.default_rng(13).random((300, 400, 3)) * 255).astype("uint8")  # noise compresses little
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=format)
    return buffer.getvalue()


def _pdf(pages: int = 2) -> bytes:
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _nothing_stored(settings) -> bool:
    blobs = settings.data_dir / "blobs"
    with Session(ingest_engine(settings)) as session:
        rows = session.query(DocumentRow).count() + session.query(IngestJobRow).count()
    return rows == 0 and not (blobs.exists() and any(blobs.iterdir()))


@pytest.mark.parametrize("name,data", [
    ("truncated.png", _photo("PNG")[: len(_photo("PNG")) // 2]),  # the header is whole, the pixels are not
    ("truncated.jpg", _photo("JPEG")[: len(_photo("JPEG")) // 2]),
    ("truncated.pdf", _pdf()[: len(_pdf()) // 2]),
    ("broken-page.pdf", _pdf().replace(b"5 0 obj", b"9 9 xyz")),  # opens and counts 2 pages; page 2 is gone
], ids=["truncated-png", "truncated-jpeg", "truncated-pdf", "pdf-with-a-broken-page"])
def test_an_unreadable_image_or_pdf_is_refused_at_registration_and_nothing_is_stored(settings, name, data):
    with pytest.raises(InputError) as refused:
        register_document(settings, data, name)
    assert refused.value.field == "file"
    assert "cannot" in refused.value.message
    assert _nothing_stored(settings)


def test_a_whole_image_and_a_whole_pdf_pass_the_door_and_their_jobs_end(settings):
    for name, data in [("photo.png", _photo("PNG")), ("form.pdf", _pdf(1))]:
        registration = register_document(settings, data, name)
        assert registration.job_id and not registration.duplicate
        assert run_job(settings, registration.job_id).status == "done"
