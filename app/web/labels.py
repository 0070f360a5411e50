"""The words shown for the API's enumerated values, marked for translation."""

from enum import Enum

from app.web.i18n import N_, gettext

LABELS: dict[str, dict[str, str]] = {
    "status": {
        "not_started": N_("Not started"),
        "planned": N_("Planned"),
        "in_progress": N_("In progress"),
        "partially_implemented": N_("Partially implemented"),
        "implemented": N_("Implemented"),
    },
    "priority": {
        "high": N_("High"),
        "medium": N_("Medium"),
        "low": N_("Low"),
        "none": N_("No priority"),
    },
    "assessment": {
        "not_started": N_("Not started"),
        "in_progress": N_("In progress"),
        "partially_implemented": N_("Partially implemented"),
        "implemented": N_("Implemented"),
    },
    "update_state": {
        "draft": N_("Draft"),
        "submitted": N_("Submitted"),
        "validated": N_("Validated"),
        "rejected": N_("Rejected"),
    },
    "action_status": {
        "planned": N_("Planned"),
        "in_progress": N_("In progress"),
        "completed": N_("Completed"),
        "cancelled": N_("Cancelled"),
    },
    "role": {
        "admin": N_("Administrator"),
        "coordinator": N_("Coordinator"),
        "focal_point": N_("Focal point"),
        "viewer": N_("Viewer"),
    },
    "assignment_role": {"lead": N_("Lead"), "support": N_("Support")},
    "token_scope": {"read": N_("Read only"), "write": N_("Read and write")},
    "mechanism_type": {
        "upr": N_("Universal Periodic Review"),
        "treaty_body": N_("Treaty body"),
        "special_procedure": N_("Special procedure"),
    },
    "type": {
        "recommendation": N_("Recommendation"),
        "concern": N_("Concern"),
        "other": N_("Other"),
    },
    "upr_position": {"supported": N_("Supported"), "noted": N_("Noted"), "none": N_("No position")},
    "direction": {
        "increase": N_("Increase"),
        "decrease": N_("Decrease"),
        "maintain": N_("Maintain"),
    },
    "job_status": {
        "queued": N_("Waiting to start"),
        "running": N_("Running"),
        "succeeded": N_("Finished"),
        "failed": N_("Failed"),
    },
    "institution_kind": {
        "ministry": N_("Ministry"),
        "agency": N_("Agency"),
        "parliament": N_("Parliament"),
        "judiciary": N_("Judiciary"),
        "nhri": N_("National human rights institution"),
        "statistics_office": N_("Statistics office"),
        "civil_society": N_("Civil society"),
        "other": N_("Other"),
    },
    "audit_action": {
        "create": N_("Created"),
        "update": N_("Changed"),
        "archive": N_("Archived"),
        "delete": N_("Deleted"),
        "bulk_assign": N_("Assigned"),
        "submit": N_("Submitted"),
        "validate": N_("Validated"),
        "reject": N_("Rejected"),
        "measure": N_("Measured"),
        "reject_sdg_suggestion": N_("SDG suggestion rejected"),
    },
}


def label(value: Enum | str | None, kind: str) -> str:
    """The translated word for `value` of `kind`; the value itself when none is known."""
    key = "none" if value is None else str(value.value if isinstance(value, Enum) else value)
    text = LABELS[kind].get(key)
    return gettext(text) if text else key
