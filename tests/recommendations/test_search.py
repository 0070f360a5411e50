"""Full-text search (`q`) over every language's text, the symbol and the paragraph."""

import pytest
from httpx import AsyncClient

from tests.recommendations.factories import create_recommendation, ids_matching


@pytest.fixture
async def multilingual(client: AsyncClient) -> dict[str, str]:
    torture = await create_recommendation(
        client,
        symbol="CAT/C/KEN/CO/2",
        paragraph="12(b)",
        mechanism="CAT",
        text={
            "en": "Criminalize Torture and ensure that all allegations are investigated.",
            "fr": "Ériger la torture en infraction pénale et enquêter sur toutes les allégations.",
            "zh": "将酷刑定为刑事罪，并确保对所有指控进行调查。",
            "ar": "تجريم التعذيب وضمان التحقيق في جميع الادعاءات.",
        },
    )
    education = await create_recommendation(
        client,
        symbol="CRC/C/UGA/CO/3-5",
        paragraph="58",
        text={
            "en": "Ensure free primary education (100% enrolment) for every_child.",
            "fr": "Garantir l'éducation primaire gratuite pour tous les enfants.",
            "zh": "确保所有儿童享有免费初等教育。",
            "ar": "ضمان التعليم الابتدائي المجاني لجميع الأطفال.",
        },
    )
    return {"torture": torture["id"], "education": education["id"]}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("torture", {"torture"}),
        ("TORTURE", {"torture"}),
        ("criminalize investigated", {"torture"}),
        ('"primary education"', {"education"}),
        ('"education primary"', set()),
        ("éducation", {"education"}),
        ("ÉRIGER", {"torture"}),
        ("酷刑", {"torture"}),
        ("初等教育", {"education"}),
        ("التعذيب", {"torture"}),
        ("التعليم", {"education"}),
        ("CAT/C/KEN", {"torture"}),
        ("12(b)", {"torture"}),
        ("100%", {"education"}),
        ("every_child", {"education"}),
        ("%", {"education"}),
        ("_", {"education"}),
        ("*", set()),
        ("[a-z]", set()),
        ("'; DROP TABLE recommendation; --", set()),
        ("nothing-like-this", set()),
        ("所有", {"torture", "education"}),
    ],
)
async def test_search(
    client: AsyncClient, multilingual: dict[str, str], q: str, expected: set[str]
) -> None:
    assert await ids_matching(client, q=q) == {multilingual[name] for name in expected}


async def test_search_combines_with_filters(
    client: AsyncClient, multilingual: dict[str, str]
) -> None:
    assert await ids_matching(client, q="所有", mechanism="CAT") == {multilingual["torture"]}


async def test_search_sees_edited_text(client: AsyncClient, multilingual: dict[str, str]) -> None:
    rec_id = multilingual["education"]
    response = await client.patch(
        f"/recommendations/{rec_id}",
        json={"text": {"ru": "Обеспечить бесплатное начальное образование."}},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert await ids_matching(client, q="образование") == {rec_id}
    assert await ids_matching(client, q="бесплатное образование") == {rec_id}
