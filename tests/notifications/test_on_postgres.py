"""The notification path on PostgreSQL: a substitute's task and its mail, sent by a worker
after the step committed."""

from __future__ import annotations

import email
from email import policy

from flowdesk.engine.definitions.sources import SourceFile
from flowdesk.engine.identity import SYSTEM
from flowdesk.engine.jobs.executor import JobExecutor

from tests.support.engines import make_engine
from tests.support.paths import FIXTURES


def test_a_substitutes_task_mails_them_in_their_language_on_postgres(postgres_url, clock, tmp_path):
    outbox = tmp_path / "outbox"
    engine = make_engine(postgres_url, clock, outbox_dir=outbox)
    try:
        for name, groups in (("alice", ["employees"]), ("bob", ["employees", "department_managers"]),
                             ("dan", ["department_managers", "hr"])):
            engine.identity.create_user(name, "password-" + name, groups, by=SYSTEM)
        errand = FIXTURES / "collaboration" / "errand.yaml"
        engine.repository.deploy([SourceFile(errand.name, errand.read_bytes())], by=SYSTEM)
        dan = engine.identity.actor("dan")
        engine.people.save_preferences({"email": "dan@example.com", "locale": "zh-CN"}, by=dan)
        engine.people.set_substitute("dan", None, None, by=engine.identity.actor("bob"))
        instance = engine.instances.start_instance("errand", {"title": "x"}, by=engine.identity.actor("alice"))
        assert instance["open_tasks"][0]["assignee"] == "dan"
        executor = JobExecutor(engine.context, worker_id="pg-test")
        while executor.run_due():
            pass
        (path,) = outbox.glob("*.eml")
        mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert mail["To"] == "dan@example.com" and "代 bob 处理" in mail.get_content()
    finally:
        engine.close()
