"""Shipped reference data for the demo (items, suppliers, customers, employees)."""
