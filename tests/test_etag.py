"""If-Match: the quoted and unquoted forms of a tag are the same tag; a weak one never matches."""

from httpx import AsyncClient

from tests.problems import assert_problem


async def test_an_unquoted_if_match_is_the_same_tag(client: AsyncClient) -> None:
    created = await client.post("/institutions", json={"name": "Ministry", "kind": "ministry"})
    url = f"/institutions/{created.json()['id']}"
    assert created.headers["etag"] == '"1"'
    changed = await client.patch(
        url, json={"name": "Ministry of Justice"}, headers={"If-Match": "1"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"name": "Again"}, headers={"If-Match": "1"})
    assert_problem(stale, 412)
    weak = await client.patch(url, json={"name": "Again"}, headers={"If-Match": 'W/"2"'})
    assert_problem(weak, 412)
    listed = await client.delete(url, headers={"If-Match": '"7", 2'})
    assert listed.status_code == 204, listed.text
