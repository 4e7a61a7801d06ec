"""The fault suite: ``python -m bench.faults`` kills servers, workers, the database and
the broker while clients work, and counts what was lost (see bench/README.md)."""
