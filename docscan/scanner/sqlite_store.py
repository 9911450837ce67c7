"""The local repository: SQLite in WAL mode with foreign keys and a versioned schema."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from docscan.errors import BackendError
from docscan.models import Line, Page, PageStatus, Project

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id          INTEGER PRIMARY KEY,
    owner       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    UNIQUE (owner, name)
);
CREATE TABLE IF NOT EXISTS pages (
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number      INTEGER NOT NULL CHECK (number > 0),
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    lines       TEXT    NOT NULL DEFAULT '[]',
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (project_id, number)
);
"""


class SqliteRepository:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise BackendError(f"cannot open the local store {path}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise BackendError(
                f"the local store was written by a newer docscan (schema {version}); "
                "upgrade docscan"
            )
        if version < SCHEMA_VERSION:
            # One script, one transaction: a crash leaves either no schema or all of it.
            self._db.executescript(
                f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version={SCHEMA_VERSION};COMMIT;"
            )

    # -- projects ---------------------------------------------------------------

    def put_project(self, owner: str, name: str, created_ms: int) -> None:
        self._db.execute(
            "INSERT INTO projects (owner, name, created_ms) VALUES (?, ?, ?) "
            "ON CONFLICT (owner, name) DO NOTHING",
            (owner, name, created_ms),
        )

    def get_project(self, owner: str, name: str) -> Project | None:
        rows = self._project_rows(owner, name)
        return rows[0] if rows else None

    def list_projects(self, owner: str) -> list[Project]:
        return self._project_rows(owner, None)

    def _project_rows(self, owner: str, name: str | None) -> list[Project]:
        sql = """
            SELECT p.name, p.created_ms,
                   COUNT(g.number) AS pages,
                   COALESCE(SUM(g.status = 'pending'), 0) AS pending,
                   COALESCE(SUM(g.status = 'failed'), 0) AS failed
            FROM projects p LEFT JOIN pages g ON g.project_id = p.id
            WHERE p.owner = ? {where}
            GROUP BY p.id ORDER BY p.name
        """
        params: tuple[str, ...] = (owner,)
        if name is not None:
            sql = sql.format(where="AND p.name = ?")
            params = (owner, name)
        else:
            sql = sql.format(where="")
        return [
            Project(
                name=row["name"],
                created_ms=row["created_ms"],
                page_count=row["pages"],
                pages_pending=row["pending"],
                pages_failed=row["failed"],
            )
            for row in self._db.execute(sql, params)
        ]

    def delete_project(self, owner: str, name: str) -> None:
        # Page rows go with it through ON DELETE CASCADE, in the same statement.
        self._db.execute("DELETE FROM projects WHERE owner = ? AND name = ?", (owner, name))

    # -- pages ------------------------------------------------------------------

    def _project_id(self, owner: str, name: str) -> int | None:
        row = self._db.execute(
            "SELECT id FROM projects WHERE owner = ? AND name = ?", (owner, name)
        ).fetchone()
        return None if row is None else int(row[0])

    def put_page(self, owner: str, page: Page) -> None:
        project_id = self._project_id(owner, page.project)
        if project_id is None:
            raise BackendError(
                f"project {page.project!r} vanished while storing page {page.number}"
            )
        self._db.execute(
            """
            INSERT INTO pages (project_id, number, status, width, height, error, lines, updated_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (project_id, number) DO UPDATE SET
                status = excluded.status, width = excluded.width, height = excluded.height,
                error = excluded.error, lines = excluded.lines, updated_ms = excluded.updated_ms
            """,
            (
                project_id,
                page.number,
                str(page.status),
                page.width,
                page.height,
                page.error,
                json.dumps([line.to_dict() for line in page.lines], ensure_ascii=False),
                int(time.time() * 1000),
            ),
        )

    def get_page(self, owner: str, project: str, number: int) -> Page | None:
        rows = list(self._page_rows(owner, project, number))
        return rows[0] if rows else None

    def iter_pages(self, owner: str, project: str) -> Iterator[Page]:
        return self._page_rows(owner, project, None)

    def _page_rows(self, owner: str, project: str, number: int | None) -> Iterator[Page]:
        sql = (
            "SELECT g.* FROM pages g JOIN projects p ON p.id = g.project_id "
            "WHERE p.owner = ? AND p.name = ?"
        )
        params: tuple[object, ...] = (owner, project)
        if number is not None:
            sql += " AND g.number = ?"
            params += (number,)
        # fetchall: the caller may write while iterating (process pending pages).
        rows = self._db.execute(sql + " ORDER BY g.number", params).fetchall()
        for row in rows:
            yield Page(
                project=project,
                number=row["number"],
                status=PageStatus(row["status"]),
                lines=[Line.from_dict(item) for item in json.loads(row["lines"])],
                width=row["width"],
                height=row["height"],
                error=row["error"],
            )

    def max_page_number(self, owner: str, project: str) -> int:
        row = self._db.execute(
            "SELECT MAX(g.number) FROM pages g JOIN projects p ON p.id = g.project_id "
            "WHERE p.owner = ? AND p.name = ?",
            (owner, project),
        ).fetchone()
        return int(row[0] or 0)
