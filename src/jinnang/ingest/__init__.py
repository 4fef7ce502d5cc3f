"""ingest: sniff, OCR, chunk, embed and store what reps produce."""
