"""ASCII names made from customer names, for files and Ansible groups.

German umlauts are spelled out (``Bäckerei`` -> ``baeckerei``) rather than
dropped, so names stay readable to the people they belong to.
"""

from __future__ import annotations

import re
import unicodedata

_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def ascii_slug(text: str, separator: str = "-", fallback: str = "customer") -> str:
    """Lower-case ASCII words of ``text`` joined by ``separator``; ``fallback`` if none are left."""
    spelled = text.lower().translate(_SPELLED_OUT)
    ascii_text = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", separator, ascii_text).strip(separator) or fallback


def group_name(customer: str) -> str:
    """An Ansible-safe group name for a customer: ``Bäckerei X & Y`` -> ``baeckerei_x_y``."""
    return ascii_slug(customer, "_")
