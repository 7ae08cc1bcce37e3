"""Which values an export carries for a block (pure).

`confirmed` carries only what a person confirmed or edited; `staged` what the model answered;
`merged` the confirmed values where there are some, else the staged ones. A rejected block has
no confirmed values, and in `merged` its staged values are not offered in their place either: a
person said they are wrong.
"""

from typing import TypeVar

from strata.contracts.exports import ExportContent
from strata.contracts.overlays import ReviewStatus

_REVIEWED = frozenset({ReviewStatus.CONFIRMED.value, ReviewStatus.EDITED.value})

SOURCE_CONFIRMED = "confirmed"
SOURCE_STAGED = "staged"


V = TypeVar("V")  # the values however they are carried (a dict, or JSON text)


def select_values(
    content: ExportContent, *, review_status: str, staged: V | None, confirmed: V | None
) -> tuple[str | None, V | None]:
    """(where the values came from, the values); (None, None) when the block has none to give."""
    has_confirmed = review_status in _REVIEWED and confirmed is not None
    if content is ExportContent.CONFIRMED:
        return (SOURCE_CONFIRMED, confirmed) if has_confirmed else (None, None)
    if content is ExportContent.STAGED:
        return (SOURCE_STAGED, staged) if staged is not None else (None, None)
    if has_confirmed:
        return SOURCE_CONFIRMED, confirmed
    if staged is not None and review_status != ReviewStatus.REJECTED.value:
        return SOURCE_STAGED, staged
    return None, None
