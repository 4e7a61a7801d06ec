"""Flowdesk's web app: server-rendered pages for employees, designers, auditors and managers.

It is served by the same FastAPI application as the HTTP API (under ``/``), and like the
API routers it is thin: every page calls the same :class:`ProcessEngine` methods the API
calls, so permissions, validation and the audit trail are identical. Pages are Jinja2
templates with one stylesheet and no build step; JavaScript is optional.
"""
