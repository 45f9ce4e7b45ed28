"""A local stand-in for Mixpanel's HTTP APIs, serving a deterministic generated project.

Public surface: ``StandIn`` (the server), ``ProjectSpec`` (what to generate), ``Project``
(ground truth), ``FakeClock`` (time shared with the client), ``RateLimits``, ``Fault`` and
``FAULT_KINDS``. See ``standin/README.md``.
"""

from __future__ import annotations

from mixpanel_data.standin.clock import FakeClock
from mixpanel_data.standin.faults import FAULT_FAMILIES, FAULT_KINDS, Fault
from mixpanel_data.standin.limits import RateLimits
from mixpanel_data.standin.project import Project, dedupe, dedupe_key
from mixpanel_data.standin.reqlog import RequestLog, RequestRecord
from mixpanel_data.standin.server import StandIn
from mixpanel_data.standin.spec import LAG_PROFILES, ProjectSpec
from mixpanel_data.standin.state import Options

__all__ = [
    "FAULT_FAMILIES",
    "FAULT_KINDS",
    "LAG_PROFILES",
    "FakeClock",
    "Fault",
    "Options",
    "Project",
    "ProjectSpec",
    "RateLimits",
    "RequestLog",
    "RequestRecord",
    "StandIn",
    "dedupe",
    "dedupe_key",
]
