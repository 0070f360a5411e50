"""Substring search over every language's text, the symbol and the paragraph.

Both backends keep one lower-cased document per recommendation (RecommendationSearch) under a
trigram index: FTS5's trigram tokenizer on SQLite, pg_trgm's GIN index on PostgreSQL. A query is
split into terms (double quotes keep a phrase together); a recommendation matches when its
document contains every term. Terms shorter than three characters still match, by a scan
of the search table.
"""

import re

from sqlalchemy import ColumnElement, Integer, and_, column, select, table

from app.models.recommendation import Recommendation, RecommendationSearch

MAX_TERMS = 12
TRIGRAM = 3
_TERM = re.compile(r'"([^"]+)"|(\S+)')

_fts = table("recommendation_search_fts", column("rowid", Integer), column("document"))


def search_document(symbol: str, paragraph: str | None, texts: dict[str, str]) -> str:
    parts = [symbol, paragraph or "", *texts.values()]
    return "\n".join(parts).lower()


def parse_terms(q: str) -> list[str]:
    terms = [(quoted or bare).strip().lower() for quoted, bare in _TERM.findall(q)]
    return [t for t in terms if t][:MAX_TERMS]


def _glob_literal(term: str) -> str:
    # In GLOB, [x] matches x literally: the only escape GLOB has.
    return re.sub(r"([*?\[])", r"[\1]", term)


def _like_literal(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(terms: list[str], dialect: str) -> ColumnElement[bool]:
    document = RecommendationSearch.document
    if dialect == "sqlite":
        # FTS5's trigram index finds nothing for terms under three characters (two Chinese
        # characters make a word), so those are matched on the table itself. GLOB is
        # case-sensitive, which is right: the document and the terms are both lower-cased.
        indexed = [t for t in terms if len(t) >= TRIGRAM]
        conditions = [
            document.op("GLOB")(f"*{_glob_literal(t)}*") for t in terms if len(t) < TRIGRAM
        ]
        if indexed:
            matching_rows = select(_fts.c.rowid).where(
                and_(*(_fts.c.document.op("GLOB")(f"*{_glob_literal(t)}*") for t in indexed))
            )
            conditions.append(RecommendationSearch.id.in_(matching_rows))
    else:
        conditions = [document.like(f"%{_like_literal(t)}%", escape="\\") for t in terms]
    ids = select(RecommendationSearch.recommendation_id).where(and_(*conditions))
    return Recommendation.id.in_(ids)
