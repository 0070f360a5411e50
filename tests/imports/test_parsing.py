"""UHRI's quirks, one rule at a time."""

import datetime as dt

import pytest

from app.imports import parsing


@pytest.mark.parametrize(
    ("text", "paragraph"),
    [
        ("132.90 Repeal and amend legislation", "132.90"),
        ("133.29. Actively combat racism", "133.29"),
        ("132-90\r إلغاء وتعديل قوانين", "132.90"),
        ("١٣٢-١٤١\r اتخاذ تدابير", "132.141"),
        ("133-29 -\r المكافحة", "133.29"),
        ("125.236全面实施国家立法", "125.236"),
        ("4. The Committee recommends", "4"),
        ("9.While noting that", "9"),
        ("12(b) Adopt a plan", "12(b)"),
        ("12 (c) Adopt a plan", "12(c)"),
        ("Recommendation No. 33, para. 106:33. Toughen liability", "106.33"),
        ("Combating extremism30.The Committee", "30"),
        ("Nationality laws32. The Committee", "32"),
        ("A.General principles and obligations (arts. 1–4)8.The Committee", "8"),
        ("مكافحة التطرف\n30 - إن اللجنة", "30"),
        ("جمع البيانات١٦- ترى اللجنة", "16"),
        ("The Committee urges the State party to act", None),
        ("In 2019, the State adopted 3 laws", None),
    ],
)
def test_paragraph_number(text: str, paragraph: str | None) -> None:
    assert parsing.paragraph_number(parsing.clean_text(text)) == paragraph


@pytest.mark.parametrize(
    ("label", "clean"),
    [("- CRC", "CRC"), ("-  SR  Torture ", "SR Torture"), ("- IE  Albinism", "IE Albinism"),
     ("State of Palestine*", "State of Palestine"), (" Kenya ", "Kenya"), ("-", "")],
)  # fmt: skip
def test_clean_label(label: str, clean: str) -> None:
    assert parsing.clean_label(label) == clean


def test_label_key_ignores_case_accents_and_punctuation() -> None:
    assert parsing.label_key("- Côte d'Ivoire*") == parsing.label_key("cote d ivoire")
    assert parsing.label_key("Türkiye") == parsing.label_key("TURKIYE")


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("16 - PEACE, JUSTICE AND STRONG INSTITUTIONS", (16, None)),
        ("16 - Paz, Justicia e Instituciones", (16, None)),
        ("16.2 - Protect children from abuse", (16, "16.2")),
        ("16.b - Promote non-discriminatory laws", (16, "16.b")),
        ("5.a - Equal rights to economic resources", (5, "5.a")),
        ("1 - NO POVERTY", (1, None)),
        ("PEACE AND JUSTICE", None),
    ],
)
def test_sdg_labels_are_read_by_code(label: str, code: tuple[int, str | None] | None) -> None:
    assert parsing.sdg_code(label) == code


def test_dates_in_every_form_uhri_uses() -> None:
    assert parsing.parse_date("2016-12-28T00:00:00") == dt.date(2016, 12, 28)
    assert parsing.parse_date(42732) == dt.date(2016, 12, 28)  # an Excel serial number
    assert parsing.parse_date("42732") == dt.date(2016, 12, 28)
    assert parsing.parse_date(dt.datetime(2016, 12, 28, 10, 0)) == dt.date(2016, 12, 28)
    assert parsing.parse_date("28/12/2016") == dt.date(2016, 12, 28)
    assert parsing.parse_date("not a date") is None
    assert parsing.parse_date(None) is None


@pytest.mark.parametrize(
    ("given", "session", "symbol", "published", "cycle"),
    [
        (3, None, "A/HRC/34/8", None, 3),
        (None, 26, "", None, 2),
        (None, 41, "", None, 4),
        (None, None, "A/HRC/19/7", None, 1),
        (None, None, "A/HRC/34/8", None, 2),
        (None, None, "A/HRC/42/8", None, 3),
        (None, None, "A/HRC/53/1", None, 4),
        (None, None, "A/HRC/WG.6/1", dt.date(2016, 12, 28), 2),
        (None, None, "", None, None),
    ],
)
def test_upr_cycle(
    given: object, session: int | None, symbol: str, published: dt.date | None, cycle: int | None
) -> None:
    assert parsing.upr_cycle(given, session, symbol, published) == cycle


@pytest.mark.parametrize(
    ("label", "kind"),
    [("- Recommendations", "recommendation"), ("- Concerns/Observations", "concern"),
     ("- Others", "other"), ("-", "other"), (None, "other"),
     ("- Recomendaciones", "recommendation"), ("- Préoccupations/Observations", "concern")],
)  # fmt: skip
def test_annotation_type(label: str | None, kind: str) -> None:
    assert parsing.annotation_type(label) == kind


@pytest.mark.parametrize(
    ("values", "position"),
    [(["Supported"], "supported"), (["Noted"], "noted"), ([], None),
     (["Supported", "Noted"], "noted"), (["Acceptée"], "supported"), (["Tomada nota"], "noted")],
)  # fmt: skip
def test_upr_position(values: list[str], position: str | None) -> None:
    assert parsing.upr_position(values) == position


def test_markup_and_entities_are_cleaned() -> None:
    text = "<p>4. The&nbsp;Committee &amp; the <b>State</b></p>\r\n\r\nparty."
    assert parsing.clean_text(text) == "4. The Committee & the State\nparty."
