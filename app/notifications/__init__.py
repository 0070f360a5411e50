"""Notifications by email: settings, the events people hear of, immediate mails and digests
(DESIGN §11, docs/notifications.md)."""
