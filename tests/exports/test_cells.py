"""The formula-injection rule: what gets a leading quote, and reading it back."""

import pytest

from app.exports.cells import neutralise, restore


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "="])
def test_formula_like_texts_get_a_quote_and_come_back(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert restore(neutralise(text)) == text


@pytest.mark.parametrize("text", ["", "Ratify", " =1", "1-2", "'quoted'", "\nx", "a=b"])
def test_other_texts_are_left_alone(text: str) -> None:
    assert neutralise(text) == text
    assert restore(text) == text
