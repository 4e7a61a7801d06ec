"""Webhooks: other systems told about events, signed, retried with backoff, logged."""
