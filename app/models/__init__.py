"""ORM models, one module per aggregate. Importing this package registers them all on Base."""

from app.models import country, mechanism, recommendation, sdg, taxonomy
from app.models.base import Base

__all__ = ["Base", "country", "mechanism", "recommendation", "sdg", "taxonomy"]
