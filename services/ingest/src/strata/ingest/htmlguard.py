"""HTML refused before any parser meets it: entity declarations or an internal DTD subset
(billion laughs, XXE), and element nesting deeper than real pages ever go.

Nesting is measured with a tag scanner, not a parser: docling's HTML reader walks the tree
recursively, so a page nested 10,000 deep costs it minutes before it fails; a regex pass over
the tags costs milliseconds. Elements whose end tag may be left out (`<p>`, `<li>`, `<td>` ...)
and void elements (`<br>`, `<img>` ...) never deepen the count, so sloppy real pages are not
mistaken for hostile ones.
"""

import re

from strata.ingest.errors import HtmlTooDeepError, UnsafeXmlError

_HTML_ENTITY_DECL = re.compile(r"<!\s*ENTITY|<!\s*DOCTYPE[^>\[]*\[", re.IGNORECASE)
_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"  # comment
    r"|<(script|style|textarea|title)\b[^>]*>.*?(?:</\1\s*>|\Z)"  # raw text: no tags inside
    r"|<(/?)([A-Za-z][A-Za-z0-9:-]*)\b[^>]*?(/?)>",
    re.DOTALL | re.IGNORECASE,
)
_VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr")  # fmt: skip
_END_OPTIONAL = ("p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody",
                 "tfoot", "colgroup", "rb", "rt", "rp")  # fmt: skip
_FLAT = frozenset(_VOID + _END_OPTIONAL)


def check_html(text: str, *, max_depth: int) -> None:
    if _HTML_ENTITY_DECL.search(text):
        raise UnsafeXmlError(
            "the HTML declares entities or an internal DTD (billion laughs / XXE); "
            "such files are refused"
        )
    depth = nesting_depth(text, stop_at=max_depth + 1)
    if depth > max_depth:
        raise HtmlTooDeepError(
            f"the HTML nests elements more than {max_depth:,} deep; "
            f"this deployment converts pages nested up to {max_depth:,} deep"
        )


def nesting_depth(text: str, *, stop_at: int) -> int:
    """The deepest element nesting, counting only elements that must be closed."""
    stack: list[str] = []
    deepest = 0
    for match in _TOKEN.finditer(text):
        closing, name, self_closed = match.group(2, 3, 4)
        if name is None:
            continue
        tag = name.lower()
        if tag in _FLAT or self_closed:
            continue
        if not closing:
            stack.append(tag)
            deepest = max(deepest, len(stack))
            if deepest >= stop_at:
                return deepest
        elif tag in stack:
            # Close up to the matching open tag: a missing end tag does not leave us deeper.
            while stack.pop() != tag:
                pass
    return deepest
