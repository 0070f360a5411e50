"""ORM models, one module per aggregate. Importing this package registers them all on Base."""

from app.models import (
    action,
    assignment,
    audit,
    cluster,
    country,
    credentials,
    import_job,
    indicator,
    institution,
    mechanism,
    progress_update,
    recommendation,
    sdg,
    sdg_tally,
    taxonomy,
    user,
)
from app.models.base import Base

__all__ = [
    "Base",
    "action",
    "assignment",
    "audit",
    "cluster",
    "country",
    "credentials",
    "import_job",
    "indicator",
    "institution",
    "mechanism",
    "progress_update",
    "recommendation",
    "sdg",
    "sdg_tally",
    "taxonomy",
    "user",
]
