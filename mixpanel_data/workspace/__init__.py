"""The ``Workspace`` facade for notebooks and scripts: local SQL, fetches, live queries.

``facade`` holds the class; ``live`` its live-query half (delegating to ``mixpanel_data.live``)
and ``fetch`` its fetch half (the runner, under the pipeline's run lock).
"""

from __future__ import annotations

from mixpanel_data.workspace.facade import Workspace

__all__ = ["Workspace"]
