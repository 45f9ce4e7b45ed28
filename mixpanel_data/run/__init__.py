"""Running a named pipeline: the one code path behind ``mp run``, the scheduler and Workspace.

``runner`` loads (checks, the project's zone, chunks, full refresh, budget stops); ``checks``
refuses a request before any request or file; ``project`` asks Mixpanel what it knows of the
project (its time zone).
"""

from __future__ import annotations

from mixpanel_data.run.runner import BudgetStopped, RunSummary, run_pipeline

__all__ = ["BudgetStopped", "RunSummary", "run_pipeline"]
