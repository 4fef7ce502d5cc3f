"""api: thin FastAPI shell over ingest, nlp, rules and coaching."""
