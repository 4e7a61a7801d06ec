"""E-mail notifications: a task assigned to a user, a new task for one of their groups,
a due date coming up or passed, an escalation; one digest mail instead of many.

Nothing is sent inside a step: the step's transaction only writes one ``notify`` job
(:mod:`.reactions`), which runs after it commits and fans out to one ``mail`` job per
notification (:mod:`.dispatch`); each mail carries a stable idempotency key (its
Message-ID and outbox file name), so a retried job sends the same mail again at most.
"""
