"""Configuration read once at the edge: the settings object and the clock it carries.

``Settings.from_env()`` is called by the CLI, the ``Workspace`` and the scheduler (or by a
library caller who wants the ``MP_*`` defaults); everything below them takes the settings as an
argument. Nothing under ``mixpanel_data`` writes ``os.environ``.
"""

from __future__ import annotations

from mixpanel_data.config.clock import SYSTEM_CLOCK, Clock, SystemClock
from mixpanel_data.config.settings import Settings

__all__ = ["SYSTEM_CLOCK", "Clock", "Settings", "SystemClock"]
