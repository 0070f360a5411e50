"""What each role may do: the one table every access check reads (docs/permissions.md shows it)."""

import enum

from app.models.user import Role


class Permission(enum.StrEnum):
    read_history = "read_history"
    write_recommendations = "write_recommendations"
    write_institutions = "write_institutions"
    read_users = "read_users"
    write_users = "write_users"
    manage_own_api_tokens = "manage_own_api_tokens"
    read_audit = "read_audit"
    read_account = "read_account"
    change_own_password = "change_own_password"
    manage_own_second_factor = "manage_own_second_factor"
    manage_own_notifications = "manage_own_notifications"
    run_imports = "run_imports"
    plan = "plan"
    report_progress = "report_progress"
    validate_progress = "validate_progress"
    manage_webhooks = "manage_webhooks"
    read_reports = "read_reports"


_EVERY_SIGNED_IN = {
    Permission.read_history,
    Permission.read_account,
    Permission.change_own_password,
    Permission.manage_own_api_tokens,
    Permission.manage_own_second_factor,
    Permission.manage_own_notifications,
    Permission.read_reports,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: frozenset(_EVERY_SIGNED_IN),
    # A focal point's reports are further limited to its institution's assignments.
    Role.focal_point: frozenset(_EVERY_SIGNED_IN | {Permission.report_progress}),
    Role.coordinator: frozenset(
        _EVERY_SIGNED_IN
        | {
            Permission.write_recommendations,
            Permission.write_institutions,
            Permission.read_users,
            Permission.read_audit,
            Permission.run_imports,
            Permission.plan,
            Permission.report_progress,
            Permission.validate_progress,
            Permission.manage_webhooks,
        }
    ),
    Role.admin: frozenset(Permission),
}

# An API token may never mint or revoke tokens, change a password or a second factor, or create
# or change accounts, whatever its owner's role: a leaked token must not be able to outlive its
# revocation (say, through a backdoor account it made) or take over an account.
SIGNED_IN_ONLY = frozenset(
    {
        Permission.manage_own_api_tokens,
        Permission.change_own_password,
        Permission.manage_own_second_factor,
        # A read-only token acts as a viewer, who may change its own settings: not through it.
        Permission.manage_own_notifications,
        Permission.write_users,
    }
)

# With RECTRACK_REQUIRE_2FA, an admin or coordinator signed in without a second factor may do
# this much only: see the account, enrol a second factor (and change the password).
ENROLMENT_ONLY = frozenset(
    {Permission.read_account, Permission.manage_own_second_factor, Permission.change_own_password}
)
ROLES_NEEDING_2FA = frozenset({Role.admin, Role.coordinator})
