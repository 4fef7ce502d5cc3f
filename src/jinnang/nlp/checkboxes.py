"""Check-box forms: an option left unticked (□一般) says nothing about the product.

    >>> masked = mask_unticked("价格：□可接受 ■偏高")
    >>> masked.replace(" ", "")
    '价格：■偏高'

Unticked options are blanked with spaces of the same length, so offsets into the original
text stay valid for evidence spans.
"""
from __future__ import annotations

import re

UNTICKED = "□☐"
TICKED = "■☑☒✓✔√▣"
# an unticked box and its option word, up to the next box, space or punctuation
_UNTICKED_OPTION = re.compile(rf"[{UNTICKED}][^\s{UNTICKED}{TICKED}（()）:：，,；;。/|]*")


def mask_unticked(text: str) -> str:
    """The text with every unticked option blanked out (same length)."""
    if not any(c in text for c in UNTICKED):
        return text
    return _UNTICKED_OPTION.sub(lambda m: " " * len(m.group()), text)
