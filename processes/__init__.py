"""Shipped process definitions (data files; found through the installed package)."""
