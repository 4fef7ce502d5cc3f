"""nlp: the spaCy pipeline for Chinese and the extraction of typed records."""
from jinnang.nlp.thinc_without_torch import import_thinc_without_torch

import_thinc_without_torch()  # before any module here imports spaCy
