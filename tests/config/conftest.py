"""The ``harsh`` stand-in fixture of ``tests/sources``, shared so config tests run real loads."""

from __future__ import annotations

from sources.conftest import Harsh, harsh, utc  # tests/ is on sys.path: tests/sources

__all__ = ["Harsh", "harsh", "utc"]
