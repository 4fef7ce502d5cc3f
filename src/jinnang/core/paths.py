"""Where bundled files and the labelled sets are, for defaults of the eval and demo commands."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
# In a source checkout (src/jinnang/…); an installed wheel has no checkout, so the labelled
# sets must then be named on the command line or by JINNANG_SHARED_DATA.
CHECKOUT = PACKAGE.parents[1]
SHARED_DATA = Path(os.environ.get("JINNANG_SHARED_DATA") or CHECKOUT.parent / "shared" / "data")
DEMO_DOCUMENTS = PACKAGE / "service" / "demo_documents"
