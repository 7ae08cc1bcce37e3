"""`Content-Disposition` for downloads named after user data (pure).

A document may be called anything: quotes, semicolons, line breaks, slashes, right-to-left
marks, emoji. The header carries an ASCII `filename` every client understands (anything outside
a small safe set becomes `_`) and the UTF-8 name as RFC 6266 / RFC 5987 `filename*`, which
modern browsers prefer; neither can break out of the header or name a path.
"""

import re
import unicodedata
from urllib.parse import quote

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()+-]+")
_UNSAFE_UNICODE = re.compile(r"[\x00-\x1f\x7f/\\\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
MAX_NAME = 150


def _trim(name: str, fallback: str) -> str:
    name = name.strip(" .")[:MAX_NAME].strip(" .")
    return name or fallback


def content_disposition(filename: str, *, fallback: str = "export") -> str:
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    suffix = f".{_UNSAFE_ASCII.sub('_', ext)}" if ext else ""
    unicode_name = _trim(_UNSAFE_UNICODE.sub("_", stem), fallback) + suffix
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_name = _trim(_UNSAFE_ASCII.sub("_", folded), fallback) + suffix
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(unicode_name, safe='')}"
