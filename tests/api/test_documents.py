"""Auditors find instances by any document number they carry, partially; exports say when
nothing matched, and CSV opens in Excel."""

from __future__ import annotations

import csv
import io
import uuid

from flowdesk.engine.persistence.models import Record, RecordLink
from typer.testing import CliRunner


def link_record(api, instance_id: str, type_: str, number: str) -> None:
    """A record the instance created, as a records connector would have written it."""
    now = api.clock.now()
    with api.engine.transaction() as session:
        record = Record(id=str(uuid.uuid4()), type=type_, number=number, status="open", data={}, created_at=now,
                        updated_at=now, created_by="system", revision=1)
        session.add(record)
        session.flush()
        session.add(RecordLink(record_id=record.id, instance_id=instance_id, relation="created", created_at=now))


def found(api, path: str, **params) -> list[str]:
    answer = api.get(path, "erin", params=params)
    assert answer.status_code == 200, answer.text
    return sorted({item.get("instance_id") or item["id"] for item in answer.json()["items"]})


def test_an_instance_is_found_by_any_part_of_a_document_number_it_carries(api):
    purchase = api.start_leave("alice")["id"]
    other = api.start_leave("alice")["id"]
    link_record(api, purchase, "purchase_order", "PO-2026-000123")
    link_record(api, purchase, "invoice", "INV-2026-000777")
    link_record(api, other, "purchase_order", "PO-2026-000456")

    assert found(api, "/api/v1/instances", document="po-2026-000123") == [purchase]
    assert found(api, "/api/v1/instances", document="000777") == [purchase]
    assert found(api, "/api/v1/instances", document="PO-2026") == sorted([purchase, other])
    assert found(api, "/api/v1/instances", document="%") == []  # a wildcard typed is a character
    assert found(api, "/api/v1/audit/events", document="INV-2026") == [purchase]


def test_the_business_key_is_a_document_number_too(api):
    response = api.post("/api/v1/definitions/leave_request/instances", "alice", json={
        "business_key": "CASE-2026-000042", "data": {"leave_type": "vacation", "start_date": "2026-12-01",
                                                     "end_date": "2026-12-08", "days": 6}})
    assert found(api, "/api/v1/instances", document="case-2026-0000") == [response.json()["id"]]


def test_csv_has_json_booleans_and_an_optional_byte_order_mark(api):
    api.start_leave("alice")
    plain = api.get("/api/v1/audit/events", "erin", params={"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(plain)))
    assert rows and {row["erased"] for row in rows} == {"false"}
    assert not plain.startswith("\ufeff")
    marked = api.get("/api/v1/audit/events", "erin", params={"format": "csv", "bom": "true"})
    assert marked.content.startswith(b"\xef\xbb\xbfseq,at,type")


def test_the_cli_export_finds_by_document_and_says_when_nothing_matched(api, monkeypatch, tmp_path):
    from flowdesk.cli import app

    instance = api.start_leave("alice")["id"]
    link_record(api, instance, "goods_receipt", "GR-2026-000001")
    monkeypatch.setenv("FLOWDESK_DATABASE_URL", str(api.engine.db.url))
    runner = CliRunner()

    exported = runner.invoke(app, ["audit", "export", "--format", "csv", "--document", "GR-2026", "--bom"])
    assert exported.exit_code == 0, exported.output
    assert exported.output.startswith("\ufeffseq,at,type") and instance in exported.output

    nothing = runner.invoke(app, ["audit", "export", "--format", "csv", "--document", "PO-2026-999999",
                                  "--output", str(tmp_path / "out.csv")])
    assert nothing.exit_code == 1
    assert "no audit event matched (--document PO-2026-999999)" in nothing.output
    assert not (tmp_path / "out.csv").exists()
