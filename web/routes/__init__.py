"""The web app's pages, one module per kind of work."""
