"""The documents published in schemas/: the OpenAPI document and JSON Schemas of the payloads."""

from typing import Any

from pydantic import BaseModel

from app.config import Settings
from app.errors import Problem
from app.main import create_app
from app.notifications.schemas import NotificationSettingsRead, NotificationSettingsUpdate
from app.recommendations.schemas import (
    RecommendationCreate,
    RecommendationRead,
    RecommendationUpdate,
)

JSON_SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "recommendation.schema.json": RecommendationRead,
    "recommendation-create.schema.json": RecommendationCreate,
    "recommendation-update.schema.json": RecommendationUpdate,
    "notification-settings.schema.json": NotificationSettingsRead,
    "notification-settings-update.schema.json": NotificationSettingsUpdate,
    "problem.schema.json": Problem,
}


def export_documents() -> dict[str, dict[str, Any]]:
    # The document does not depend on the database; an in-memory URL avoids touching any file.
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    documents: dict[str, dict[str, Any]] = {"openapi.json": app.openapi()}
    for name, model in JSON_SCHEMA_MODELS.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        documents[name] = schema
    return documents
