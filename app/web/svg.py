"""SVG put inline into a page (the enrolment's QR code, which segno draws): rebuilt from an
allow-list, so that nothing but shapes reaches the page, whatever the library ever returns.

Only the elements and attributes a drawing needs pass, with values that cannot reach out of the
drawing (no scripts, event handlers, links, styles or references such as url(...)); anything
else is dropped. The result is serialised anew, escaped, never copied through.
"""

import re
from xml.etree import ElementTree

from markupsafe import Markup, escape

_ELEMENTS = frozenset({"svg", "g", "path", "rect"})
_ATTRIBUTES = frozenset(
    {"width", "height", "viewBox", "d", "x", "y", "fill", "stroke", "stroke-width", "transform",
     "class"}
)  # fmt: skip
# Numbers, path commands, colours, scale()/translate(), class names: never a colon, a quote,
# a parenthesis other than a transform's, or a url.
_VALUE = re.compile(r"^(?:[\w\s.,#%-]|(?:scale|translate)\([\d\s.,-]+\))*$")
_SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"


class UnsafeSvg(ValueError):
    """The text is not an SVG drawing that can be shown."""


def _local(tag: str) -> str:
    return tag.removeprefix(_SVG_NAMESPACE)


def _write(element: ElementTree.Element, out: list[str]) -> None:
    tag = _local(element.tag)
    if tag not in _ELEMENTS:
        return
    attributes = "".join(
        f' {name}="{escape(value)}"'
        for name, value in sorted(element.attrib.items())
        if name in _ATTRIBUTES and len(value) < 100_000 and _VALUE.match(value)
    )
    out.append(f"<{tag}{attributes}>")
    for child in element:
        _write(child, out)
    out.append(f"</{tag}>")


def safe_svg(text: str) -> Markup:
    """`text` (an SVG document) as inline markup for a page, hidden from assistive technology
    (the page names it around it); UnsafeSvg if it is not an SVG drawing at all."""
    try:
        # Our own library's output; Python's expat refuses entity expansion bombs and fetches
        # nothing.
        root = ElementTree.fromstring(text)  # noqa: S314
    except ElementTree.ParseError as exc:
        raise UnsafeSvg(str(exc)) from exc
    if _local(root.tag) != "svg":
        raise UnsafeSvg(f"the root element is {root.tag}, not svg")
    out: list[str] = []
    _write(root, out)
    out[0] = out[0][:-1] + ' aria-hidden="true" focusable="false">'
    return Markup("".join(out))  # noqa: S704 - rebuilt above, every value escaped
