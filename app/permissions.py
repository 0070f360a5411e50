"""Access checks shared by every feature's routes.

Until accounts exist (issue #3) writes are open; routes already declare which check they need,
so enforcing it later changes this module only.
"""

from fastapi import Depends


async def require_write_access() -> None:
    return None


WriteAccess = Depends(require_write_access)
