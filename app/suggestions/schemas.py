"""Shapes of the SDG suggestions API (DESIGN §12)."""

import uuid
from typing import Literal

from pydantic import BaseModel, Field


class SuggestionReason(BaseModel):
    """Why a target is suggested: a tagged recommendation like this one, or the target's text."""

    kind: Literal["recommendation", "target_text"]
    recommendation_id: uuid.UUID | None = None
    lang: str | None = Field(default=None, description="The language of the target text")
    text: str | None = None
    similarity: float = Field(description="Cosine similarity to this recommendation's text")


class TargetSuggestion(BaseModel):
    code: str = Field(examples=["16.2"])
    goal: int
    score: float = Field(description="0 to 1; higher is likelier")
    because: list[SuggestionReason]


class Suggestions(BaseModel):
    sdg_targets: list[TargetSuggestion]
    lang: str | None = Field(default=None, description="The language of the text that was read")
