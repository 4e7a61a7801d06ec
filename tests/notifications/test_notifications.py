"""E-mail notifications: sent by jobs after the step commits, once, in the recipient's language."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from flowdesk.engine.jobs.executor import JobExecutor
from flowdesk.engine.notifications import texts
from sqlalchemy import select


def run_jobs(api) -> int:
    executor = JobExecutor(api.engine.context, worker_id="test-worker")
    ran = 0
    for _ in range(50):
        done = executor.run_due()
        ran += done
        if not done:
            return ran
    raise AssertionError("background work does not settle")


def mails(api) -> list[email.message.EmailMessage]:
    outbox: Path = api.engine.settings.outbox_dir
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.glob("*.eml"))] \
        if outbox.exists() else []


def start_errand(api, title: str = "Buy stamps") -> dict:
    return api.call("POST", "/definitions/errand/instances", "alice", expect=201, json={"data": {"title": title}})


def test_an_assigned_task_sends_one_mail_in_the_assignees_language_after_the_step_commits(api):
    api.call("PUT", "/me/preferences", "bob", json={"email": "bob@example.com", "locale": "zh-CN",
                                                      "time_zone": "Asia/Shanghai"})
    instance = start_errand(api)
    task = instance["open_tasks"][0]
    assert task["assignee"] == "bob"
    assert mails(api) == []  # the step only left a job behind; nothing was sent inside it
    run_jobs(api)
    sent = mails(api)
    assert len(sent) == 1
    mail = sent[0]
    assert mail["To"] == "bob@example.com" and mail["Content-Language"] == "zh-CN"
    assert mail["Subject"] == "您有新任务：办差事"  # noqa: RUF001 (Chinese punctuation)
    body = mail.get_content()
    assert "差事" in body and f"/tasks/{task['id']}" in body
    run_jobs(api)  # running the workers again sends nothing more
    assert len(mails(api)) == 1


def test_a_notification_has_a_stable_key_so_a_repeated_job_sends_the_same_mail(api):
    from flowdesk.engine.persistence.collaboration import Notification
    from flowdesk.engine.persistence.models import Job

    api.call("PUT", "/me/preferences", "bob", json={"email": "bob@example.com"})
    start_errand(api)
    run_jobs(api)
    with api.engine.transaction() as session:
        notes = session.scalars(select(Notification)).all()
        assert [(n.username, n.kind, n.status) for n in notes] == [("bob", "assigned", "sent")]
        # a worker that died after sending: its job runs again
        job = session.scalars(select(Job).where(Job.kind == "mail")).one()
        job.status, job.attempts = "waiting", 0
        session.execute(Notification.__table__.update().values(status="pending"))
    run_jobs(api)
    assert len(mails(api)) == 1  # the same Message-ID and outbox file: one mail
    assert mails(api)[0]["Subject"] == "Task for you: Do the errand"


def test_users_without_an_address_or_who_opted_out_get_nothing(api):
    api.call("PUT", "/me/preferences", "bob", json={"email": "bob@example.com", "notifications": {"assigned": False}})
    start_errand(api)
    run_jobs(api)
    assert mails(api) == []


def test_a_storm_of_group_tasks_comes_as_one_digest(api, clock):
    for user in ("carol", "dan"):
        api.call("PUT", "/me/preferences", user, json={"email": f"{user}@example.com",
                                                       "notifications": {"group_task": True}})
    api.call("PUT", "/me/preferences", "dan", json={"digest": "hourly", "locale": "zh-CN"})
    for n in range(3):
        task = start_errand(api, f"errand {n}")["open_tasks"][0]
        api.call("POST", f"/tasks/{task['id']}/complete", "bob", json={"data": {}})
    run_jobs(api)
    # carol (no digest) gets a mail per group task; dan's wait for the hour
    assert sorted(m["To"] for m in mails(api)) == ["carol@example.com"] * 3
    clock.advance(hours=1, seconds=1)
    run_jobs(api)
    digests = [m for m in mails(api) if m["To"] == "dan@example.com"]
    assert len(digests) == 1
    assert digests[0]["Subject"] == "您所在组有 3 个新任务"
    assert digests[0].get_content().count("归档差事") == 3


def test_a_due_date_coming_up_and_passing_notifies_the_assignee(api, clock):
    api.call("PUT", "/me/preferences", "bob", json={"email": "bob@example.com"})
    start_errand(api)
    run_jobs(api)
    clock.advance(days=2, hours=1)  # due in three days: a day before, "due soon"
    run_jobs(api)
    clock.advance(days=1)
    run_jobs(api)
    assert sorted(m["Subject"] for m in mails(api)) == ["Due soon: Do the errand", "Overdue: Do the errand",
                                                         "Task for you: Do the errand"]


def test_every_notification_text_has_english_and_chinese():
    for kind, by_locale in texts.TEXTS.items():
        assert set(by_locale) == {"en", "zh-CN"}, kind
    assert set(texts.ON_BEHALF) == set(texts.NO_DUE_DATE) == {"en", "zh-CN"}


def test_a_task_opened_by_a_deadline_passing_is_an_escalation(api, clock):
    from flowdesk.engine.definitions.sources import SourceFile
    from flowdesk.engine.identity import SYSTEM

    from tests.support.paths import BACKGROUND

    api.engine.identity.create_user("sven", "password-of-sven", ["service_supervisors"], by=SYSTEM)
    api.call("PUT", "/me/preferences", "sven", json={"email": "sven@example.com"})
    api.deploy(SourceFile("sla.bpmn", (BACKGROUND / "sla.bpmn").read_bytes()))
    api.engine.instances.start_instance("sla", {}, by=SYSTEM)
    run_jobs(api)
    assert mails(api) == []  # the supervisors hear nothing while the agent is in time
    clock.advance(hours=4, seconds=1)
    run_jobs(api)
    (mail,) = mails(api)
    assert mail["To"] == "sven@example.com" and mail["Subject"] == "Escalated: Look at the overdue case"
