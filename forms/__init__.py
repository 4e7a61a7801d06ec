"""Shipped form schemas (data files; found through the installed package)."""
