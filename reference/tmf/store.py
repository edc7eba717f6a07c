"""SQLite storage of the TM Forum APIs, on its own connection and tables (stdlib sqlite3).

The tables live in the same database file as the NGSI-LD storage when the reference runs with ``--db``
(a separate in-memory database otherwise); nothing here touches the NGSI-LD tables.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tmf_resources (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (collection, id)
);
CREATE INDEX IF NOT EXISTS tmf_resources_by_collection ON tmf_resources (collection, seq);
"""


class TmfStore:
    """JSON documents identified by (collection, id); `seq` keeps the creation order."""

    def __init__(self, db_path: str | None = None) -> None:
        self.path = db_path or ":memory:"
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        self._lock = threading.RLock()
        with self._lock:
            self._conn.executescript(_SCHEMA)

    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc FROM tmf_resources WHERE collection = ? AND id = ?", (collection, doc_id)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def insert(self, collection: str, doc_id: str, doc: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO tmf_resources (collection, id, doc) VALUES (?, ?, ?)",
                (collection, doc_id, json.dumps(doc)),
            )

    def update(self, collection: str, doc_id: str, doc: dict[str, Any]) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE tmf_resources SET doc = ? WHERE collection = ? AND id = ?",
                (json.dumps(doc), collection, doc_id),
            )

    def delete(self, collection: str, doc_id: str) -> bool:
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM tmf_resources WHERE collection = ? AND id = ?", (collection, doc_id)
            )
        return cur.rowcount > 0

    def list(self, collection: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT doc FROM tmf_resources WHERE collection = ? ORDER BY seq", (collection,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]
