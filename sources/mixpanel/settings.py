"""Defaults of the Mixpanel source; every one can be overridden in pipelines.yaml or dlt config."""

from __future__ import annotations

DEFAULT_LOOKBACK_DAYS = 5
"""Late data: offline mobile events land up to ~5 days late, so each run re-reads that window."""

DEFAULT_START_DAYS_AGO = 30
"""Where the very first incremental run starts when no ``--from`` or ``start_date`` is given."""

TARGET_WINDOW_BYTES = 128 * 2**20
"""Once a window is measured, later windows hold as many whole days as fit in this much export.

Fewer requests for small projects (each one counts against 3/second and 60/hour); a busy
project's day alone exceeds it, so its windows stay one day. Keeps each download's spool near
this size (a heuristic: a day denser than any measured one can exceed it)."""

MAX_WINDOW_BYTES = 4 * TARGET_WINDOW_BYTES
"""A window of several days whose export outgrows this is stopped and fetched as two halves:
spool disk stays bounded when a window sized over empty days meets a busy stretch."""

DEFAULT_CONCURRENCY = 3
"""Export windows downloaded at once (Mixpanel allows 100 concurrent, 3 new requests/second)."""

DEFAULT_BATCH_BYTES = 32 * 2**20
"""Raw JSON Lines parsed into one Arrow table; bounds memory per in-flight batch."""

WINDOW_DEDUPE_MEMORY_BYTES = 64 * 2**20
"""Parsed rows of one window held in memory while it is deduplicated (``window_dedupe``); the
rest of a bigger window waits in a temporary file beside the spool."""

QUEUE_DEPTH = 4
"""Parsed Arrow batches waiting for dlt; with the batch size this caps memory."""

DEFAULT_PROFILE_PAGE_SIZE = 1000
DEFAULT_PROFILE_CONCURRENCY = 4
