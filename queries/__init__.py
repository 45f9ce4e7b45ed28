"""Ready-made SQL files (package data); run one with `mp sql queries/NAME.sql`."""

from __future__ import annotations

from pathlib import Path


def queries_dir() -> Path:
    """The folder of the shipped ``.sql`` files (the repo's ``queries/`` when editable).

    Here, beside the files, so every layer that reads them (``mp sql``, the demo) asks one place.
    """
    return Path(__file__).resolve().parent
