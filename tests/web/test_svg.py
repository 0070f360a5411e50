"""SVG put inline into pages keeps its drawing and loses everything else."""

import pytest

from app.auth.totp import provisioning_uri, qr_code_svg
from app.web.svg import UnsafeSvg, safe_svg


def test_segnos_qr_code_comes_through_whole() -> None:
    original = qr_code_svg(provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "a@example.org"))
    cleaned = str(safe_svg(original))
    path = original[original.index(' d="') : original.index('"', original.index(' d="') + 4)]
    assert path in cleaned
    assert 'transform="scale(4)"' in cleaned
    assert cleaned.startswith("<svg ")
    assert cleaned.endswith("</path></svg>")


def test_scripts_handlers_links_and_styles_are_dropped() -> None:
    hostile = (
        '<svg width="10" onload="alert(1)" style="x"><script>alert(2)</script>'
        '<a href="javascript:alert(3)"><path d="M0 0h1"/></a>'
        '<path d="M1 1h1" fill="url(https://evil.example/x)" stroke="#000"/>'
        "<foreignObject><div>hi</div></foreignObject></svg>"
    )
    cleaned = str(safe_svg(hostile))
    assert cleaned == (
        '<svg width="10" aria-hidden="true" focusable="false">'
        '<path d="M1 1h1" stroke="#000"></path></svg>'
    )


@pytest.mark.parametrize("text", ["not xml", "<html><body/></html>"])
def test_what_is_not_an_svg_is_refused(text: str) -> None:
    with pytest.raises(UnsafeSvg):
        safe_svg(text)
