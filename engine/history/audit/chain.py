"""The hash chain that makes the audit log tamper-evident.

Every event is hashed together with the hash of the event before it in its chain, so
editing, deleting or reordering a stored event breaks every link after it. Payloads are
hashed separately and stored in their own table, referenced by that hash: erasing a
payload (retention, a lawful erasure request) leaves the event's ``payload_hash`` in the
chain, which therefore stays verifiable without the personal data.

Each payload is hashed with a random salt stored beside it (and erased with it). Without
the salt, the hash of a small payload such as ``{"salary": 52000}`` would still identify
it after erasure (anyone can hash the candidates); with it, the remaining hash says
nothing. It also makes every payload row unique to its event, so two transactions never
contend on the same payload key.

Chains. By default every process instance has its own chain (``chain_id`` = instance id),
and events that belong to no instance (deployments, users, anchors) form the ``global``
chain. Writers of different instances never wait for each other; a writer holds only its
instance's chain head, which it already serializes on. A periodic *anchor* writes the
heads of the chains that moved into the global chain, so a chain cannot be rewritten or
truncated behind the anchor without breaking the global chain too. The alternative, one
global chain (``FLOWDESK_AUDIT_CHAIN=global``), serializes every transaction that writes
an event on one row until it commits; the benchmark measures both.

Canonical form (RFC 8785, JSON Canonicalization Scheme): object keys sorted, no
insignificant whitespace, UTF-8, numbers in their shortest round-trip form. Payloads are
the *stored* form of event data (decimals tagged as ``{"$decimal": "12.50"}``), so amounts
are hashed exactly, never as binary floats.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GLOBAL_CHAIN = "global"
GENESIS = "0" * 64
# Bumped only if the hashed fields change; part of every hash so old chains stay checkable.
HASH_VERSION = 1


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of a JSON value, as UTF-8 bytes.

    Python's C JSON encoder already writes RFC 8785's form for everything but floats
    (ECMAScript prints ``1.0`` as ``1`` and ``1e-07`` as ``1e-7``) and for object keys
    outside the Basic Multilingual Plane (sorted by UTF-16 units, not code points). Values
    without either, which are nearly all (amounts are stored as tagged decimal strings),
    take the C encoder: verifying a long log is hashing bound.
    """
    if _plain(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    return _canonical(value).encode("utf-8")


def _plain(value: Any) -> bool:
    """True when the C encoder's output is already canonical (no floats, BMP-only keys)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str) or (not key.isascii() and max(key) >= "\U00010000"):
                    return False
                stack.append(child)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, float):
            return False
    return True


def _canonical(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        # RFC 8785 sorts by UTF-16 code units; for the BMP this equals code point order.
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _canonical(v) for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} is not a JSON value; encode it first (flowdesk.engine.values.encode)")


def _number(value: float) -> str:
    """ECMAScript's Number.prototype.toString, which RFC 8785 prescribes for numbers."""
    if not math.isfinite(value):
        raise ValueError("NaN and infinities have no JSON form")
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    sign = "-" if exponent.startswith("-") else "+"
    return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def payload_hash(stored_payload: Any, salt: str) -> str:
    """The hash that names a payload row: over its salt and its stored (encoded) form."""
    return sha256_hex(canonical_json({"salt": salt, "payload": stored_payload}))


def timestamp(moment: datetime) -> str:
    """The hashed form of an event time: UTC, microseconds, as the databases keep it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """``SHA-256(canonical JSON of the event's fields, its payload hash and prev_hash)``.

    ``fields`` are the event's columns as stored: chain_id, chain_seq, at, type, actor,
    instance_id, definition_key, definition_version, element_id, task_id, payload_hash.
    The global ``seq`` is not hashed: it is assigned by the database on insert. Its order
    is checked separately (it must grow along every chain).
    """
    document = {
        "v": HASH_VERSION,
        "chain_id": fields["chain_id"],
        "chain_seq": fields["chain_seq"],
        "at": timestamp(fields["at"]),
        "type": fields["type"],
        "actor": fields["actor"],
        "instance_id": fields["instance_id"],
        "definition_key": fields["definition_key"],
        "definition_version": fields["definition_version"],
        "element_id": fields["element_id"],
        "task_id": fields["task_id"],
        "payload_hash": fields["payload_hash"],
        "prev_hash": prev_hash,
    }
    # Every field is a string, an integer or null, and every key ASCII: the C encoder's
    # output is canonical as it is (see canonical_json).
    return sha256_hex(json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
