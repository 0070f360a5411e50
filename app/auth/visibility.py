"""User references in responses (`author_id`, `focal_point_id`…) and internal text (a
reviewer's `review_comment`): signed-in callers see them, the public gets null (DESIGN §6: the
public never sees users, not even their ids, nor what is not validated).

A read model declares each such field as `UserRef` and derives from `ShowsUsers`; routers
answer `Model.build(…).seen_by(principal)`. A test reads every public operation anonymously
and fails on any user id in the answer.
"""

import uuid
from typing import Annotated, Self

from pydantic import BaseModel, Field

from app.auth.principal import Principal


class _UserReference:
    """Marks a field as naming a user."""


class _Internal:
    """Marks a field the public never reads (a reviewer's comment to the author)."""


UserRef = Annotated[
    uuid.UUID | None,
    _UserReference(),
    Field(description="A user's id; null for callers who are not signed in"),
]


InternalText = Annotated[
    str | None,
    _Internal(),
    Field(description="Internal to the NMRF: null for callers who are not signed in"),
]


class ShowsUsers(BaseModel):
    def seen_by(self, principal: Principal | None) -> Self:
        if principal is not None:
            return self
        hidden = {
            name: None
            for name, field in type(self).model_fields.items()
            if any(isinstance(marker, _UserReference | _Internal) for marker in field.metadata)
        }
        return self.model_copy(update=hidden)
