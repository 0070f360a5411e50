"""The NMRF workspace: server-rendered pages beside the API (DESIGN §9).

Layout, sessions, CSRF, translations and error pages live here; each feature's pages live beside
it in `app/<feature>/pages.py`, with templates in `app/templates/<feature>/`.
"""
