"""Unknown query parameters are refused with 422, naming them and the name meant (DESIGN §7)."""

from httpx import AsyncClient

from tests.problems import assert_problem


def _messages(body: dict[str, object]) -> dict[str, str]:
    errors = body["errors"]
    assert isinstance(errors, list)
    return {e["field"]: e["message"] for e in errors}


async def test_a_misspelt_filter_is_refused_with_the_name_meant(anonymous: AsyncClient) -> None:
    body = assert_problem(
        await anonymous.get("/recommendations", params={"sdg": 16, "include_total": "true"}),
        422,
        "query.sdg",
    )
    assert _messages(body) == {"query.sdg": "unknown parameter `sdg`; did you mean `sdg_goal`?"}
    assert str(body["detail"]).startswith(
        "Unknown parameter `sdg`; did you mean `sdg_goal`? Accepted here: affected_person, "
    )
    body = assert_problem(await anonymous.get("/recommendations?goal=16"), 422, "query.goal")
    assert _messages(body)["query.goal"].endswith("did you mean `sdg_goal`?")
    body = assert_problem(await anonymous.get("/recommendations?statuss=done"), 422)
    assert _messages(body)["query.statuss"].endswith("did you mean `status`?")


async def test_every_operation_refuses_what_it_does_not_declare(
    anonymous: AsyncClient, root_client: AsyncClient
) -> None:
    body = assert_problem(await anonymous.get("/progress/countries?bogus=1"), 422, "query.bogus")
    assert _messages(body) == {"query.bogus": "unknown parameter `bogus`"}
    assert_problem(
        await anonymous.get("/institutions?kind=ministry&colour=red"), 422, "query.colour"
    )
    assert_problem(await root_client.get("/healthz?verbose=1"), 422, "query.verbose")
    assert_problem(
        await anonymous.post("/auth/token?debug=1", data={"username": "a", "password": "b"}),
        422,
        "query.debug",
    )


async def test_declared_parameters_and_lang_are_accepted(anonymous: AsyncClient) -> None:
    listed = await anonymous.get(
        "/recommendations", params={"sdg_goal": [16, 5], "include_total": "true", "lang": "fr"}
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 0
    # `lang` even where the operation has no labels to translate.
    assert (await anonymous.get("/institutions?lang=ar")).status_code == 200
    assert (await anonymous.get("/progress/countries?lang=zh")).status_code == 200


async def test_workspace_pages_keep_their_own_parameters(root_client: AsyncClient) -> None:
    page = await root_client.get("/recommendations?page_size_whatever=1")
    assert page.status_code != 422
