"""SQLite tables of ingest: documents, pages, OCR lines (with confidence), chunks and jobs.

Each table's class is named `…Row`: a stored row, not the domain record of the same name
(`rules.models.Document` is a document reference in an account snapshot).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from jinnang.core.db import Base, ensure_schema, open_engine
from jinnang.core.settings import Settings


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    sha256: Mapped[str] = mapped_column(String, unique=True, index=True)
    filename: Mapped[str] = mapped_column(String)
    media_type: Mapped[str] = mapped_column(String)
    source_kind: Mapped[str] = mapped_column(String)  # text | image | pdf | docx | xlsx
    # a text's detected codec (utf-8, gb18030, utf-16, cp950, …); the blob keeps the original bytes
    encoding: Mapped[str | None] = mapped_column(String, nullable=True)
    kind: Mapped[str] = mapped_column(String, default="visit_note")  # visit_note | trial_feedback | talk_track
    size_bytes: Mapped[int] = mapped_column(Integer)
    blob_path: Mapped[str] = mapped_column(String)
    account_id: Mapped[str | None] = mapped_column(String, index=True, nullable=True)
    rep_id: Mapped[str | None] = mapped_column(String, index=True, nullable=True)
    hospital: Mapped[str | None] = mapped_column(String, nullable=True)
    reference_date: Mapped[dt.date | None] = mapped_column(nullable=True)
    meta: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # e.g. a talk track's objection_category
    # queued | text | indexed | done | no_text (read, but nothing legible: a blank scan) | failed
    status: Mapped[str] = mapped_column(String, default="queued")
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    min_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    pages: Mapped[list[PageRow]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                order_by="PageRow.page_no")


class PageRow(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "page_no"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    page_no: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    text: Mapped[str] = mapped_column(Text, default="")

    document: Mapped[DocumentRow] = relationship(back_populates="pages")
    lines: Mapped[list[OcrLineRow]] = relationship(cascade="all, delete-orphan", order_by="OcrLineRow.line_no")


class OcrLineRow(Base):
    __tablename__ = "ocr_lines"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    box: Mapped[str | None] = mapped_column(String, nullable=True)  # "x0,y0,x1,y1"


class ChunkRow(Base):
    __tablename__ = "chunks"

    id: Mapped[str] = mapped_column(String, primary_key=True)  # "<document id>:<seq>"
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class IngestJobRow(Base):
    __tablename__ = "ingest_jobs"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String, default="queued")  # queued | running | done | failed
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # "host:pid" of the process running it, so a resume takes over only what a dead process left
    worker: Mapped[str | None] = mapped_column(String, nullable=True)
    # a failed job's failure may pass by itself (a busy database, Chroma starting): resume retries it
    transient: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


TABLES = [DocumentRow.__table__, PageRow.__table__, OcrLineRow.__table__, ChunkRow.__table__, IngestJobRow.__table__]


def ingest_engine(settings: Settings) -> Engine:
    engine = open_engine(settings.db_url)
    ensure_schema(engine)
    return engine


def unfinished_jobs(session: Session) -> list[IngestJobRow]:
    """Jobs a restart should run: queued, left running, or failed on a transient error (not bad input)."""
    failed_transiently = and_(IngestJobRow.status == "failed", IngestJobRow.transient.is_(True))
    return list(session.scalars(select(IngestJobRow)
                                .where(or_(IngestJobRow.status.in_(("queued", "running")), failed_transiently))
                                .order_by(IngestJobRow.created_at)))
