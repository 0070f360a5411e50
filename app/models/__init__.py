"""ORM models, one module per aggregate. Importing this package registers them all on Base."""

from app.models import (
    audit,
    country,
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
    "institution",
    "mechanism",
    "recommendation",
    "sdg",
    "taxonomy",
    "user",
]
