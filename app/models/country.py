"""States and territories, keyed by ISO 3166-1 alpha-3."""

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Country(Base):
    __tablename__ = "country"

    iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    iso2: Mapped[str] = mapped_column(String(2), unique=True)
    # UN regional group, with UHRI's labels; null for territories that are not member States.
    region: Mapped[str | None] = mapped_column(String(40), index=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
