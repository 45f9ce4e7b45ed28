"""``python -m mixpanel_data.standin``: run the stand-in as its own process (see cli.py)."""

from __future__ import annotations

from mixpanel_data.standin.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
