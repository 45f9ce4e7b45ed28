"""``mp verify``: local per-day, per-event counts against Mixpanel's own.

``report`` compares and holds the result; ``days`` decides which project-local days a load
covers completely; ``local`` reads the local side from the database.
"""

from __future__ import annotations

from mixpanel_data.verify.report import (
    LocalSide,
    Mismatch,
    VerifyResult,
    compare,
    read_local,
    verify_events,
)

__all__ = ["LocalSide", "Mismatch", "VerifyResult", "compare", "read_local", "verify_events"]
