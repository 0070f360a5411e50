"""One report, from the request to the file: what the API and the CLI both call."""

from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import today
from app.i18n import Language
from app.reports.content import build_report
from app.reports.document import Report
from app.reports.markup import to_html, to_markdown
from app.reports.schemas import MEDIA_TYPES, ReportRequest
from app.reports.service import load_report
from app.reports.word import to_docx

WRITERS = {"docx": to_docx, "md": to_markdown, "html": to_html}


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    media_type: str
    filename: str


async def compose(session: AsyncSession, request: ReportRequest, lang: Language) -> Report:
    """The report's blocks in `lang` (the request's own `lang` wins)."""
    data = await load_report(session, request, today())
    return build_report(data, request.lang or lang)


async def make_report(session: AsyncSession, request: ReportRequest, lang: Language) -> ReportFile:
    report = await compose(session, request, lang)
    # Writing DOCX/HTML is plain Python taking up to seconds: a worker thread keeps the event
    # loop serving other requests meanwhile.
    content = await anyio.to_thread.run_sync(WRITERS[request.format], report)
    return ReportFile(content, MEDIA_TYPES[request.format], f"{report.file_stem}.{request.format}")
