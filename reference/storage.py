"""SQLite storage of the reference platform (stdlib sqlite3).

Every stored thing is a JSON document identified by (kind, tenant, id). ``seq`` is the insertion order
and gives a stable ordering for pagination. NGSI-LD tenants are recorded explicitly so that operations on
a tenant that was never created can be told apart (NonexistentTenant).
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
from typing import Any

DEFAULT_TENANT = ""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (kind, tenant, id)
);
CREATE INDEX IF NOT EXISTS documents_kind_tenant ON documents (kind, tenant, seq);
CREATE TABLE IF NOT EXISTS temporal_instances (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    attr TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS temporal_by_entity ON temporal_instances (tenant, entity_id, attr);
CREATE UNIQUE INDEX IF NOT EXISTS temporal_by_instance ON temporal_instances (tenant, entity_id, instance_id);
"""


class Storage:
    """A small thread-safe document store on one SQLite connection."""

    def __init__(self, db_path: str | None = None) -> None:
        self.path = db_path or ":memory:"
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        with self._lock:
            self._conn.executescript(_SCHEMA)
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("INSERT OR IGNORE INTO tenants (name) VALUES (?)", (DEFAULT_TENANT,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ---------------------------------------------------------------- tenants
    def tenant_exists(self, tenant: str) -> bool:
        if tenant == DEFAULT_TENANT:
            return True
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM tenants WHERE name = ?", (tenant,)).fetchone()
        return row is not None

    def ensure_tenant(self, tenant: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR IGNORE INTO tenants (name) VALUES (?)", (tenant,))

    def tenants(self) -> list[str]:
        with self._lock:
            rows = self._conn.execute("SELECT name FROM tenants ORDER BY name").fetchall()
        return [r[0] for r in rows]

    # -------------------------------------------------------------- documents
    def get(self, kind: str, tenant: str, doc_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT doc FROM documents WHERE kind = ? AND tenant = ? AND id = ?", (kind, tenant, doc_id)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def insert(self, kind: str, tenant: str, doc_id: str, doc: dict[str, Any]) -> bool:
        """Insert a new document; False if one with that id already exists."""
        text = json.dumps(doc, ensure_ascii=False)
        with self._lock:
            try:
                self._conn.execute(
                    "INSERT INTO documents (kind, tenant, id, doc) VALUES (?, ?, ?, ?)",
                    (kind, tenant, doc_id, text),
                )
            except sqlite3.IntegrityError:
                return False
        return True

    def update(self, kind: str, tenant: str, doc_id: str, doc: dict[str, Any]) -> bool:
        text = json.dumps(doc, ensure_ascii=False)
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE documents SET doc = ? WHERE kind = ? AND tenant = ? AND id = ?",
                (text, kind, tenant, doc_id),
            )
        return cursor.rowcount > 0

    def delete(self, kind: str, tenant: str, doc_id: str) -> bool:
        with self._lock:
            cursor = self._conn.execute(
                "DELETE FROM documents WHERE kind = ? AND tenant = ? AND id = ?", (kind, tenant, doc_id)
            )
        return cursor.rowcount > 0

    def list(
        self,
        kind: str,
        tenant: str,
        *,
        ids: builtins.list[str] | None = None,
        containing: builtins.list[str] | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """All documents of a kind in a tenant, in insertion order. A cheap pre-selection, so that a query
        by id or type does not decode every document (the caller still applies its own test): ``ids``,
        only these; ``containing``, only documents whose stored JSON text holds one of these strings."""
        sql = "SELECT doc FROM documents WHERE kind = ? AND tenant = ?"
        args: builtins.list[Any] = [kind, tenant]
        if ids:
            sql += " AND id IN (" + ", ".join("?" for _ in ids) + ")"
            args += ids
        if containing:
            sql += " AND (" + " OR ".join("instr(doc, ?) > 0" for _ in containing) + ")"
            args += containing
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY seq", args).fetchall()
        return [json.loads(r[0]) for r in rows]

    def list_all_tenants(self, kind: str) -> builtins.list[tuple[str, dict[str, Any]]]:
        """(tenant, document) of a kind across every tenant, in insertion order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT tenant, doc FROM documents WHERE kind = ? ORDER BY seq", (kind,)
            ).fetchall()
        return [(r[0], json.loads(r[1])) for r in rows]

    def count(self, kind: str, tenant: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM documents WHERE kind = ? AND tenant = ?", (kind, tenant)
            ).fetchone()
        return int(row[0])

    # ------------------------------------------------------ temporal instances
    def add_instances(
        self, tenant: str, entity_id: str, rows: builtins.list[tuple[str, str, dict[str, Any]]]
    ) -> None:
        """Store attribute instances (attribute, instanceId, instance) of a temporal entity."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(
                    "INSERT INTO temporal_instances (tenant, entity_id, attr, instance_id, doc) VALUES (?, ?, ?, ?, ?)",
                    [(tenant, entity_id, a, i, json.dumps(d, ensure_ascii=False)) for a, i, d in rows],
                )
                self._conn.execute("COMMIT")
            except Exception:
                self._conn.execute("ROLLBACK")
                raise

    def instances(self, tenant: str, entity_id: str) -> builtins.list[tuple[str, str, dict[str, Any]]]:
        """(attribute, instanceId, instance) of a temporal entity, in insertion order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT attr, instance_id, doc FROM temporal_instances WHERE tenant = ? AND entity_id = ? "
                "ORDER BY seq",
                (tenant, entity_id),
            ).fetchall()
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    def update_instance(self, tenant: str, entity_id: str, instance_id: str, doc: dict[str, Any]) -> bool:
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE temporal_instances SET doc = ? WHERE tenant = ? AND entity_id = ? AND instance_id = ?",
                (json.dumps(doc, ensure_ascii=False), tenant, entity_id, instance_id),
            )
        return cursor.rowcount > 0

    def delete_instances(
        self, tenant: str, entity_id: str, instance_ids: builtins.list[str] | None = None
    ) -> int:
        """Delete some instances (all of the entity when instance_ids is None)."""
        with self._lock:
            if instance_ids is None:
                cursor = self._conn.execute(
                    "DELETE FROM temporal_instances WHERE tenant = ? AND entity_id = ?", (tenant, entity_id)
                )
                return cursor.rowcount
            count = 0
            for instance_id in instance_ids:
                cursor = self._conn.execute(
                    "DELETE FROM temporal_instances WHERE tenant = ? AND entity_id = ? AND instance_id = ?",
                    (tenant, entity_id, instance_id),
                )
                count += cursor.rowcount
            return count
