"""nlp: the spaCy pipeline for Chinese and the extraction of typed records."""
