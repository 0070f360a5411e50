"""The OpenAPI document: served, kept current in schemas/, and honest about errors."""

import json

from httpx import AsyncClient

from app.config import PROJECT_ROOT
from app.schema_export import export_documents


def test_published_schemas_are_current() -> None:
    for name, document in export_documents().items():
        path = PROJECT_ROOT / "schemas" / name
        assert path.exists(), f"{path} is missing: run `rectrack openapi --write`"
        published = json.loads(path.read_text(encoding="utf-8"))
        assert published == document, f"{path} is stale: run `rectrack openapi --write`"


async def test_served_document_matches_the_published_one(root_client: AsyncClient) -> None:
    served = (await root_client.get("/openapi.json")).json()
    published = json.loads((PROJECT_ROOT / "schemas" / "openapi.json").read_text("utf-8"))
    assert served == published


def test_every_error_response_is_documented_as_problem_json() -> None:
    document = export_documents()["openapi.json"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (
                        path,
                        method,
                        status,
                    )
    writes = document["paths"]["/api/v1/recommendations/{recommendation_id}"]["patch"]
    assert {"404", "412", "422", "428"} <= set(writes["responses"])


async def test_the_documented_request_examples_are_accepted(client: AsyncClient) -> None:
    document = export_documents()["openapi.json"]
    example = document["components"]["schemas"]["RecommendationCreate"]["examples"][0]
    created = await client.post("/recommendations", json=example)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["text"]["en"] == example["text"]["en"]
    assert body["upr"]["position"] == "supported"
