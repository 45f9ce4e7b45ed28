"""The public surface of ``mixpanel_data.api``, regional hosts and retry arithmetic."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest

import mixpanel_data.api as api
from mixpanel_data.api import Hosts, RetryPolicy, resolve_hosts
from mixpanel_data.api.retry import RateLimited, call_with_retries, parse_retry_after
from mixpanel_data.exceptions import ConfigError, RateLimitError, TransientError

PUBLIC = {
    "ApiLimits",
    "ExportStats",
    "Hosts",
    "MixpanelClient",
    "RetryPolicy",
    "make_client",
    "reset_budgets",
    "resolve_hosts",
}


def test_public_surface_is_exactly_all():
    assert set(api.__all__) == PUBLIC
    for name in api.__all__:
        obj = getattr(api, name)
        assert obj.__module__.startswith(("mixpanel_data.api.", "mixpanel_data.config.")), name
        assert inspect.getdoc(obj), f"{name} has no docstring"


def test_client_signature_is_stable():
    params = inspect.signature(api.MixpanelClient).parameters
    assert list(params) == [
        "credentials",
        "base_url",
        "timeout",
        "retry",
        "limits",
        "transport",
        "clock",
        "on_wait",
    ]
    assert all(p.kind is p.KEYWORD_ONLY for name, p in params.items() if name != "credentials")


@pytest.mark.parametrize(
    ("region", "export", "query", "app"),
    [
        (
            "us",
            "https://data.mixpanel.com/api/2.0",
            "https://mixpanel.com/api/query",
            "https://mixpanel.com/api/app",
        ),
        (
            "eu",
            "https://data-eu.mixpanel.com/api/2.0",
            "https://eu.mixpanel.com/api/query",
            "https://eu.mixpanel.com/api/app",
        ),
        (
            "in",
            "https://data-in.mixpanel.com/api/2.0",
            "https://in.mixpanel.com/api/query",
            "https://in.mixpanel.com/api/app",
        ),
    ],
    ids=["us", "eu", "in"],
)
def test_regional_hosts(region: str, export: str, query: str, app: str):
    assert resolve_hosts(region, environ={}) == Hosts(export=export, query=query, app=app)  # type: ignore[arg-type]


def test_base_url_override_keeps_family_paths():
    hosts = resolve_hosts("eu", environ={"MP_BASE_URL": "http://127.0.0.1:8080/"})
    assert hosts == Hosts(
        export="http://127.0.0.1:8080/api/2.0",
        query="http://127.0.0.1:8080/api/query",
        app="http://127.0.0.1:8080/api/app",
    )
    assert hosts.origin("export") == "http://127.0.0.1:8080"
    explicit = resolve_hosts("us", "http://localhost:1", environ={"MP_BASE_URL": "http://x:2"})
    assert explicit.query == "http://localhost:1/api/query"
    assert (
        resolve_hosts("us", environ={"MP_BASE_URL": ""}).query == "https://mixpanel.com/api/query"
    )


@pytest.mark.parametrize(
    "url",
    ["127.0.0.1:8080", "ftp://host", "http://host/?q=1", "http://u:pw@host"],
    ids=["no_scheme", "ftp", "query", "userinfo"],
)
def test_bad_base_url_is_a_config_error(url: str):
    with pytest.raises(ConfigError, match=r"MP_BASE_URL|query|credentials") as caught:
        resolve_hosts("us", url)
    assert "pw" not in caught.value.message


def test_unknown_region_is_a_config_error():
    with pytest.raises(ConfigError, match="us, eu, in"):
        resolve_hosts("mars", environ={})  # type: ignore[arg-type]


def test_backoff_is_exponential_capped_and_jittered():
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    jittery = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=2.0)
    assert all(1.0 <= jittery.backoff(1) <= 3.0 for _ in range(50))
    assert policy.delay(1, retry_after=7.0) == 7.0
    limited = RetryPolicy(rate_limit_delay=30.0, rate_limit_max_delay=300.0, jitter=0.0)
    assert [limited.rate_limit_backoff(n) for n in (1, 2, 3, 4, 5, 6)] == [
        30.0,
        60.0,
        120.0,
        240.0,
        300.0,
        300.0,
    ]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Fri, 01 Mar 2024 12:00:30 GMT", 30.0),
        ("Fri, 01 Mar 2024 11:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
    ids=["seconds", "float", "negative", "http_date", "past_date", "garbage", "empty", "none"],
)
def test_parse_retry_after(value: str | None, seconds: float | None):
    now = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == seconds


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


def test_call_with_retries_gives_up_with_last_transient_error():
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=4, base_delay=0.1, jitter=0.0, sleep=sleeps.append)
    calls: list[int] = []

    def attempt(n: int) -> str:
        calls.append(n)
        raise TransientError(f"failure {n}")

    with pytest.raises(TransientError, match="failure 4"):
        call_with_retries(policy, attempt, what="GET /x")
    assert calls == [1, 2, 3, 4]
    assert sleeps == pytest.approx([0.1, 0.2, 0.4])


def test_rate_limited_without_retry_after_reports_the_backoff():
    """Without Retry-After a 429 backs off from ``rate_limit_delay`` (doubling), waiting at most
    ``max_rate_wait`` in all; attempts are not used up by 429s."""
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=2, rate_limit_delay=4.0, jitter=0.0, sleep=sleeps.append)

    def attempt(n: int) -> str:
        raise RateLimited("busy", None)

    with pytest.raises(RateLimitError, match=r"GET /x 4 times .*again in about 32 s") as caught:
        call_with_retries(policy, attempt, what="GET /x", max_rate_wait=30.0)
    assert caught.value.retry_after == 32.0
    assert sleeps == [4.0, 8.0, 16.0]
