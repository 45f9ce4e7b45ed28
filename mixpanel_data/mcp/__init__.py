"""``mp mcp``: the local database and the live API as Model Context Protocol tools (stdio).

``server`` builds the server from the settings read at startup; ``local_tools`` and
``live_tools`` hold the tools' work (the same library calls as the CLI commands); ``answers``
keeps answers compact and capped; ``errors`` turns a failure into one line.
"""

from __future__ import annotations

from mixpanel_data.mcp.server import build_server, serve

__all__ = ["build_server", "serve"]
