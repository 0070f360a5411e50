"""A one-time notice shown on the page a form redirects to ("Recommendations assigned: 3.").

Kept in a short cookie, signed so that nothing but this server can put words on a page.
"""

import base64
import hashlib
import hmac
import json

from fastapi import Request

from app.config import Settings
from app.secret_key import derived_key
from app.web.cookies import read_cookie
from app.web.i18n import Message
from app.web.sessions import WebContext

FLASH_COOKIE = "rectrack_flash"


def _signature(payload: str, settings: Settings) -> str:
    key = derived_key(settings, "workspace notices")
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def flash(context: WebContext, message: Message) -> None:
    raw = json.dumps([message.text, message.params], separators=(",", ":"))
    payload = base64.urlsafe_b64encode(raw.encode()).decode()
    context.cookies[FLASH_COOKIE] = f"{payload}.{_signature(payload, context.settings)}"


def take_flash(request: Request, context: WebContext | None) -> Message | None:
    """The notice sent with this request, once: the response clears it."""
    value = read_cookie(request, FLASH_COOKIE)
    if context is None or not value:
        return None
    if FLASH_COOKIE not in context.cookies:
        context.cookies[FLASH_COOKIE] = None
    payload, _, signature = value.partition(".")
    if not hmac.compare_digest(signature, _signature(payload, context.settings)):
        return None
    try:
        text, params = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    return Message(str(text), dict(params)) if isinstance(params, dict) else None
