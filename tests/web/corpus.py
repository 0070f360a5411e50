"""A small corpus for page tests, written through the API: texts of our own in six languages."""

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.models.user import Role, User
from tests.accounts import bearer, make_institution, make_user
from tests.planning.factories import assign, days_from_today, plan_action, validated
from tests.recommendations.factories import create_recommendation

TORTURE = {
    "en": "Ratify the Optional Protocol to the Convention against Torture and set up a national "
    "preventive mechanism.",
    "fr": "Ratifier le Protocole facultatif se rapportant à la Convention contre la torture et "
    "mettre en place un mécanisme national de prévention.",
    "es": "Ratificar el Protocolo Facultativo de la Convención contra la Tortura y establecer un "
    "mecanismo nacional de prevención.",
    "ar": "التصديق على البروتوكول الاختياري لاتفاقية مناهضة التعذيب وإنشاء آلية وقائية وطنية.",
    "ru": "Ратифицировать Факультативный протокол к Конвенции против пыток и создать "
    "национальный превентивный механизм.",
    "zh": "批准《禁止酷刑公约任择议定书》并建立国家防范机制。",
}
BIRTHS = {
    "en": "Ensure that every child is registered at birth, free of charge, including in rural "
    "areas.",
    "fr": "Veiller à ce que chaque enfant soit enregistré à la naissance, gratuitement, y compris "
    "dans les zones rurales.",
    "zh": "确保每个儿童在出生时免费登记，包括在农村地区。",
}
ENGLISH_ONLY = [
    "Adopt a comprehensive law prohibiting discrimination on all grounds, with effective "
    "remedies for victims.",
    "Strengthen the independence and the budget of the national human rights institution in "
    "line with the Paris Principles.",
    "Increase the budget for inclusive education so that children with disabilities learn in "
    "mainstream schools.",
    "Investigate every allegation of torture or ill-treatment by law enforcement officials "
    "promptly and impartially.",
]


@dataclass
class Corpus:
    coordinator: User
    focal_point: User
    viewer: User
    ministry_id: uuid.UUID
    torture_ids: list[str]
    detail_id: str


async def fill(app: FastAPI, count: int = 24) -> Corpus:
    coordinator = await make_user(app, Role.coordinator, email="coordinator@example.org")
    ministry = await make_institution(app, "Ministry of Justice")
    await make_institution(app, "Ministry of Education")
    focal_point = await make_user(
        app, Role.focal_point, email="focal@example.org", institution_id=ministry.id
    )
    viewer = await make_user(app, Role.viewer, email="viewer@example.org")
    transport = ASGITransport(app=app)
    async with AsyncClient(
        transport=transport, base_url="http://test/api/v1", headers=bearer(app, coordinator)
    ) as api:
        torture: list[str] = []
        made: list[dict[str, Any]] = []
        for n in range(count):
            kind = n % 4
            fields: dict[str, Any] = {"paragraph": f"{100 + n}.{n + 1}"}
            if kind == 0:
                fields.update(
                    text=TORTURE, mechanism="UPR", symbol="A/HRC/52/10", sdg_goals=[16],
                    sdg_targets=["16.3"], publication_date="2023-01-05",
                    upr={"position": "supported", "recommending_states": ["Denmark", "Chile"],
                         "cycle": 4, "session": 41},
                )  # fmt: skip
            elif kind == 1:
                fields.update(
                    text=BIRTHS, mechanism="CRC", symbol="CRC/C/KEN/CO/6", sdg_goals=[16],
                    sdg_targets=["16.9"], publication_date="2022-06-01",
                )  # fmt: skip
            else:
                fields.update(
                    text={"en": ENGLISH_ONLY[n % len(ENGLISH_ONLY)]},
                    mechanism="CEDAW" if kind == 2 else "CAT",
                    symbol="CEDAW/C/KEN/CO/9" if kind == 2 else "CAT/C/KEN/CO/3",
                    sdg_goals=[5, 10] if kind == 2 else [16], publication_date="2021-11-20",
                )  # fmt: skip
            rec = await create_recommendation(api, **fields)
            made.append(rec)
            if kind == 0:
                torture.append(rec["id"])
        detail = made[0]
        await assign(
            api, detail["id"], str(ministry.id), focal_point_id=str(focal_point.id),
            due_date=days_from_today(90),
        )  # fmt: skip
        await plan_action(
            api, [detail["id"]], institution_id=str(ministry.id), due_date=days_from_today(-10),
            title="Draft the ratification bill",
        )  # fmt: skip
        await validated(api, made[1]["id"], "partially_implemented")
        indicator = await api.post(
            "/indicators",
            json={"name": "Places of detention visited each year", "baseline": 0, "target": 40,
                  "recommendation_ids": [detail["id"]], "sdg_indicator": "16.3.2"},
        )  # fmt: skip
        assert indicator.status_code == 201, indicator.text
        measured = await api.post(
            f"/indicators/{indicator.json()['id']}/measurements",
            json={"date": days_from_today(-30), "value": 12},
        )
        assert measured.status_code == 201, measured.text
    return Corpus(coordinator, focal_point, viewer, ministry.id, torture, detail["id"])
