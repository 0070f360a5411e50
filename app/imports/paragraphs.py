"""Paragraph numbers in doubt: a heading ending in a digit glued to the number.

CERD/C/JPN/CO/10-11's "Reservation to article 412. Recalling…" is paragraph 12, not 412. The
import decides with the evidence it has: the numbers of the same document's other paragraphs (in
the batch and already stored), then the number another language's text of the same record gave.
What it cannot decide keeps the longest reading and is reported as a warning.
"""

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.imports.normalize import ImportRecord
from app.models.recommendation import Recommendation

# A reading this close to a neighbouring paragraph of the same document is taken.
_NEAR = 2


def _nearest(readings: tuple[str, ...], neighbours: set[int]) -> str | None:
    if not neighbours:
        return None
    distance = {r: min(abs(int(r) - n) for n in neighbours) for r in readings}
    best = min(distance.values())
    chosen = [r for r, d in distance.items() if d == best]
    return chosen[0] if best <= _NEAR and len(chosen) == 1 else None


async def resolve_paragraphs(
    session: AsyncSession, records: list[ImportRecord]
) -> list[dict[str, Any]]:
    """Set the paragraph of each record in doubt that the evidence decides; warn of the rest."""
    doubtful = [r for r in records if len(r.paragraph_readings) > 1]
    if not doubtful:
        return []
    symbols = {r.facts.symbol for r in doubtful}
    in_doubt = {r.uhri_id for r in doubtful}
    neighbours: dict[str, set[int]] = defaultdict(set)
    for record in records:
        if record.uhri_id not in in_doubt and (record.paragraph or "").isdigit():
            neighbours[record.facts.symbol].add(int(record.paragraph or 0))
    R = Recommendation
    stored: dict[str, str | None] = {}
    rows = await session.execute(
        select(R.uhri_id, R.symbol, R.paragraph).where(R.symbol.in_(symbols))
    )
    for uhri_id, symbol, paragraph in rows.all():
        if uhri_id in in_doubt:
            stored[uhri_id] = paragraph
        elif paragraph is not None and paragraph.isdigit():
            neighbours[symbol].add(int(paragraph))
    warnings = []
    for record in doubtful:
        readings = record.paragraph_readings
        choice = _nearest(readings, neighbours[record.facts.symbol])
        other_language = stored.get(record.uhri_id)
        # The longest reading stored may be this same doubtful reading, from an earlier import.
        if choice is None and other_language in readings[1:]:
            choice = other_language
        if choice is not None:
            record.paragraph = choice
            continue
        shown = ", ".join(readings[:-1]) + f" or {readings[-1]}"
        warnings.append({
            "index": record.index, "field": "Text", "severity": "warning",
            "message": f"the paragraph number may be {shown} (a heading ending in a digit is "
            f"glued to it); kept {record.paragraph}",
        })  # fmt: skip
    return warnings
