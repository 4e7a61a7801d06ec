"""Flowdesk: an open-source process engine for ERP and CRM work."""

__version__ = "0.1.0"
