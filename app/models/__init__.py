"""ORM models, one module per aggregate. Importing this package registers them all on Base."""

from app.models import (
    audit,
    country,
    import_job,
    institution,
    mechanism,
    recommendation,
    sdg,
    taxonomy,
    user,
)
from app.models.base import Base

__all__ = [
    "Base",
    "audit",
    "country",
    "import_job",
    "institution",
    "mechanism",
    "recommendation",
    "sdg",
    "taxonomy",
    "user",
]
