"""Who is calling: a signed-in user, or a user's API token."""

import uuid
from dataclasses import dataclass

from app.auth.permissions import ENROLMENT_ONLY, ROLE_PERMISSIONS, SIGNED_IN_ONLY, Permission
from app.models.user import Role, User


@dataclass(frozen=True)
class Principal:
    user: User
    # The role that applies: the user's, or viewer for a read-scoped API token.
    role: Role
    api_token_id: uuid.UUID | None
    client: str | None
    # Signed in without a second factor where RECTRACK_REQUIRE_2FA asks for one: may only enrol.
    must_enrol: bool = False

    def can(self, permission: Permission) -> bool:
        if self.api_token_id is not None and permission in SIGNED_IN_ONLY:
            return False
        if self.must_enrol and permission not in ENROLMENT_ONLY:
            return False
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def institution_id(self) -> uuid.UUID | None:
        return self.user.institution_id

    @property
    def label(self) -> str:
        if self.api_token_id is None:
            return self.user.email
        return f"{self.user.email} (API token {self.api_token_id})"
