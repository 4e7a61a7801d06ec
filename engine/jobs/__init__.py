"""Background work: timers, service calls and message deliveries, from a durable table.

``store`` acquires and finishes jobs safely among competing workers; ``executor`` runs
one job as one instance step; ``worker`` runs the loop in-process (the embedded mode of
``flowdesk serve``); ``celery_app`` runs the same executor on celery workers, fed by a
scheduler that dispatches each job when it falls due; ``external`` lets outside workers
fetch and report service tasks; ``management`` is the operators' view of all of it.
"""
