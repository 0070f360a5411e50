"""Small UHRI exports written by the tests, in UHRI's own formats and with UHRI's quirks."""

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from app.imports.readers import EXCEL_COLUMNS

UPR_ID = "0a9b8c7d-0000-4000-8000-000000000001"
CRC_ID = "0a9b8c7d-0000-4000-8000-000000000002"
SR_ID = "0a9b8c7d-0000-4000-8000-000000000003"
PSE_ID = "0a9b8c7d-0000-4000-8000-000000000004"
BAD_ID = "0a9b8c7d-0000-4000-8000-000000000005"


def _record(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "AffectedPersons": [], "AnnotationId": None, "AnnotationType": "- Recommendations",
        "Body": "- UPR", "Countries": [], "DocumentId": "d0c", "PublicationDate": None,
        "PublicationDateOnUhri": "2019-03-12T16:33:39.667", "Regions": [], "Sdgs": [],
        "Symbol": None, "Text": None, "Themes": [], "UprCycle": None, "UprPositions": [],
        "UprRecommendingCountry": [], "UprRecommendingRegions": [], "UprSession": [],
    }  # fmt: skip
    record.update(fields)
    return record


def english() -> list[dict[str, Any]]:
    return [
        _record(
            AnnotationId=UPR_ID, Body="- UPR", Countries=[" Kenya "], Symbol="A/HRC/34/8",
            PublicationDate="2016-12-28T00:00:00", UprPositions=["Noted"],
            UprRecommendingCountry=["New Zealand", "NO"],
            Text="132.90 Repeal laws that restrict freedom of expression &amp; assembly (New Zealand);",
            Sdgs=["16.10 - Ensure public access to information", "16 - PEACE, JUSTICE AND STRONG INSTITUTIONS"],
            Themes=["- Freedom of opinion and expression & access to information "],
            AffectedPersons=["- Journalists (brand new label)"],
        ),
        _record(
            AnnotationId=CRC_ID, Body="- Committee on the Rights of the Child",
            AnnotationType="- Concerns/Observations", Countries=["PK"],
            Symbol="CRC/C/PAK/CO/5", PublicationDate="2016-07-11T00:00:00",
            Text="Birth registration4. The Committee is concerned that <b>birth registration</b> is low.",
            Sdgs=["16.9 - Provide legal identity for all", "5.b - Enhance the use of technology"],
            AffectedPersons=["- Children"],
        ),
        _record(
            AnnotationId=SR_ID, Body="- SR Rights of persons with albinism (new)",
            Countries=[], Symbol="A/HRC/49/56/Add.1", PublicationDate="2022-01-20T00:00:00",
            AnnotationType="- Others", Text="12(b) Adopt a national action plan on albinism.",
            Sdgs=["10 - REDUCED INEQUALITIES"],
        ),
        _record(
            AnnotationId=PSE_ID, Body="- UPR", Countries=["State of Palestine*"],
            Symbol="A/HRC/43/17", PublicationDate="2019-12-18T00:00:00",
            UprPositions=["Supported"], UprRecommendingCountry=["Türkiye"], UprSession=["34"],
            Text="Recommendation No. 33, para. 106:33. Protect children from violence (Türkiye);",
            Sdgs=["16.2 - Protect children from abuse, exploitation, trafficking and violence"],
        ),
        _record(
            AnnotationId=BAD_ID, Body="- UPR", Countries=["Atlantis"], Symbol="A/HRC/1/1",
            PublicationDate="2008-06-01T00:00:00", Text="1.1 Do something (Norway);",
        ),
    ]  # fmt: skip


_TRANSLATIONS = {
    "fr": {
        UPR_ID: ("132.90 Abroger les lois qui restreignent la liberté d'expression (Nouvelle-Zélande);",
                 ["Nouvelle-Zélande", "NO"]),
        CRC_ID: ("Enregistrement des naissances4. Le Comité est préoccupé par le faible taux.", None),
        SR_ID: ("12(b) Adopter un plan d'action national sur l'albinisme.", None),
        PSE_ID: ("106.33 Protéger les enfants contre la violence (Turquie);", ["Turquie"]),
    },
    "ar": {
        UPR_ID: ("١٣٢-٩٠ إلغاء القوانين التي تقيد حرية التعبير (نيوزيلندا)؛", ["نيوزيلندا", "NO"]),
        CRC_ID: ("تسجيل المواليد٤- تشعر اللجنة بالقلق.", None),
        SR_ID: ("12(b) اعتماد خطة عمل وطنية.", None),
        PSE_ID: ("106-33 حماية الأطفال من العنف (تركيا)؛", ["تركيا"]),
    },
    "zh": {
        UPR_ID: ("132.90废除限制言论自由的法律(新西兰)；", ["新西兰", "NO"]),
        CRC_ID: ("出生登记4.委员会关切出生登记率低。", None),
        SR_ID: ("12(b) 通过一项国家行动计划。", None),
        PSE_ID: ("106.33 保护儿童免遭暴力(土耳其)；", ["土耳其"]),
    },
}  # fmt: skip
_COUNTRY_NAMES = {"fr": {" Kenya ": "Kenya", "State of Palestine*": "État de Palestine*"},
                  "ar": {" Kenya ": "كينيا", "State of Palestine*": "دولة فلسطين*"},
                  "zh": {" Kenya ": "肯尼亚", "State of Palestine*": "巴勒斯坦国*"}}  # fmt: skip
_GOAL_16 = {"fr": "16 - Paix, justice et institutions efficaces",
            "ar": "16 - السلام والعدل والمؤسسات القوية", "zh": "16 - 和平、正义与强大机构"}  # fmt: skip


def translated(lang: str) -> list[dict[str, Any]]:
    """The same records as UHRI's export in another language: texts, some labels translated."""
    records = []
    for record in copy.deepcopy(english()[:4]):
        text, states = _TRANSLATIONS[lang][record["AnnotationId"]]
        record["Text"] = text
        if states is not None:
            record["UprRecommendingCountry"] = states
        record["Countries"] = [_COUNTRY_NAMES[lang].get(c, c) for c in record["Countries"]]
        record["Sdgs"] = [
            _GOAL_16[lang] if label.startswith("16 - ") else label for label in record["Sdgs"]
        ]
        record["Themes"] = [f"{t} ({lang})" for t in record["Themes"]]
        records.append(record)
    return records


def write_json(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False, separators=(",", ":")), "utf-8")
    return path


def _excel_serial(iso: str) -> int:
    return (dt.date.fromisoformat(iso[:10]) - dt.date(1899, 12, 30)).days


def write_xlsx(path: Path, records: list[dict[str, Any]], *, serial_dates: bool = True) -> Path:
    """UHRI's 16-column sheet: multi-valued cells split by new lines, dates as Excel serials."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    columns = list(EXCEL_COLUMNS)
    sheet.append(columns)
    for record in records:
        row = []
        for column in columns:
            value = record.get(EXCEL_COLUMNS[column])
            if isinstance(value, list):
                value = "\n".join(str(v) for v in value)
            if column == "Document Publication Date" and serial_dates and value:
                value = _excel_serial(str(value))
            row.append(value)
        sheet.append(row)
    book.save(path)
    return path
