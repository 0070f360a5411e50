"""A State's recommendations with planning and progress in every state, made through the API."""

import uuid
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.planning.factories import assign, institution_id, plan_action, report, validated
from tests.recommendations.factories import create_recommendation

Scenario = dict[str, Any]
# Narratives that must never appear in a report: only validated progress does.
UNVALIDATED = ("SUBMITTED-SECRET", "DRAFT-SECRET", "REJECTED-SECRET")
HOSTILE = "<script>alert(1)</script> *star* _under_ | pipe # hash & amp [link](x) `tick`"


async def make_scenario(app: FastAPI, client: AsyncClient) -> Scenario:
    made: Scenario = {}

    async def rec(name: str, **fields: Any) -> str:
        fields.setdefault("publication_date", "2022-03-01")
        made[name] = str((await create_recommendation(client, **fields))["id"])
        return str(made[name])

    def upr(position: str | None, cycle: int = 3, states: list[str] | None = None) -> Any:
        return {"position": position, "recommending_states": states or [], "cycle": cycle}

    await rec("U1", mechanism="UPR", symbol="A/HRC/50/9", paragraph="132.9", sdg_goals=[16],
              text={"en": "Strengthen the independence of the judiciary.",
                    "fr": "Renforcer l'indépendance du pouvoir judiciaire."},
              upr=upr("supported", states=["France", "Germany"]))  # fmt: skip
    await rec("U2", mechanism="UPR", symbol="A/HRC/50/9", paragraph="132.10", sdg_goals=[5, 16],
              text={"en": f"Protect girls from early marriage. {HOSTILE}",
                    "ar": "حماية الفتيات من الزواج المبكر.", "zh": "保护女童免遭早婚。"},
              upr=upr("noted", states=["Chile"]))  # fmt: skip
    await rec("U3", mechanism="UPR", symbol="A/HRC/50/9", paragraph="132.100",
              text={"en": "Ratify the Optional Protocol to the Convention against Torture."},
              upr=upr("supported", states=["Denmark"]))  # fmt: skip
    # Not in the cycle-3 report: another cycle, another State, archived.
    await rec("U_cycle2", mechanism="UPR", paragraph="1.1", upr=upr("supported", cycle=2))
    await rec("U_uga", mechanism="UPR", countries=["UGA"], upr=upr("supported"))
    await rec("U_archived", mechanism="UPR", paragraph="132.5", upr=upr("supported"))
    archived = await client.delete(
        f"/recommendations/{made['U_archived']}", headers={"If-Match": '"1"'}
    )
    assert archived.status_code == 204, archived.text
    # Concluding observations for the treaty follow-up report.
    await rec("T1", mechanism="CRC", symbol="CRC/C/KEN/CO/6", paragraph="12(b)", sdg_goals=[4],
              text={"en": "Ensure free primary education for all children."})  # fmt: skip
    await rec("T2", mechanism="CRC", symbol="CRC/C/KEN/CO/6", paragraph="7",
              text={"en": "Establish a data collection system on children."})  # fmt: skip

    made["justice"] = await institution_id(app, "Ministry of Justice")
    made["statistics"] = await institution_id(app, "National Bureau of Statistics")
    await assign(client, made["U1"], made["justice"], due_date="2026-12-31")
    await assign(client, made["U1"], made["statistics"], role="support")
    await assign(client, made["U2"], made["statistics"])
    await assign(client, made["T1"], made["justice"])
    for name, members in (("Access to justice", ["U1", "U2"]), ("Children", ["U2", "T2"])):
        response = await client.post(
            "/clusters", json={"name": name, "recommendation_ids": [made[m] for m in members]}
        )
        assert response.status_code == 201, response.text
        made[f"cluster:{name}"] = response.json()["id"]
    await plan_action(client, [made["U1"]], title="Draft the judiciary bill",
                      institution_id=made["justice"], status="in_progress",
                      start_date="2025-01-01", due_date="2026-06-30")  # fmt: skip
    await plan_action(client, [made["U1"], made["U2"]], title="Train | judges *now*",
                      start_date="2025-02-01")  # fmt: skip
    indicator = await client.post(
        "/indicators",
        json={"name": "Judges trained", "unit": "%", "baseline": 10, "baseline_date": "2024-01-01",
              "target": 50, "target_date": "2027-01-01", "direction": "increase",
              "recommendation_ids": [made["U1"]]},
    )  # fmt: skip
    assert indicator.status_code == 201, indicator.text
    for day, value in (("2025-01-01", 20), ("2025-06-01", 32.5)):
        measured = await client.post(
            f"/indicators/{indicator.json()['id']}/measurements", json={"date": day, "value": value}
        )
        assert measured.status_code == 201, measured.text

    await validated(client, made["U1"], "in_progress")
    first = await report(client, made["U1"], "partially_implemented",
                         narrative="VALIDATED-U1: the bill is before parliament.\n\nSecond line.",
                         )  # fmt: skip
    await client.post(f"/progress-updates/{first['id']}/submit")
    assert (await client.post(f"/progress-updates/{first['id']}/validate")).status_code == 200
    submitted = await report(client, made["U1"], "implemented", narrative="SUBMITTED-SECRET")
    assert (await client.post(f"/progress-updates/{submitted['id']}/submit")).status_code == 200
    await report(client, made["U2"], "implemented", narrative="DRAFT-SECRET")
    rejected = await report(client, made["U3"], "implemented", narrative="REJECTED-SECRET")
    await client.post(f"/progress-updates/{rejected['id']}/submit")
    refused = await client.post(
        f"/progress-updates/{rejected['id']}/reject", json={"comment": "no"}
    )
    assert refused.status_code == 200, refused.text
    await validated(client, made["T1"], "implemented")
    return made


def as_uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)
