"""The error boundary's table: every exception kind -> documented exit code and one line."""

from __future__ import annotations

import click
import pytest

from mixpanel_data.cli import errors
from mixpanel_data.exceptions import (
    AccountExistsError,
    AccountNotFoundError,
    AuthenticationError,
    ConfigError,
    DatabaseBusyError,
    IncompleteExportError,
    InvalidArgumentError,
    MixpanelDataError,
    PipelineConfigError,
    PipelineNotFoundError,
    PlanRestrictedError,
    QueryError,
    QueryFileNotFoundError,
    RateLimitError,
    TableExistsError,
    TableNotFoundError,
    TransientError,
    register_secret,
)

DOCUMENTED = {0, 1, 2, 3, 4, 5, 6, 130}  # README's CLI section


def _wrapped(inner: BaseException) -> BaseException:
    """What dlt raises around a source error: the library error as ``__cause__``."""
    outer = RuntimeError("Pipeline execution failed at stage extract")
    outer.__cause__ = inner
    return outer


class _StepFailed(Exception):
    """dlt's PipelineStepFailed keeps the real error in ``.exception``."""

    def __init__(self, exception: BaseException) -> None:
        super().__init__("step failed")
        self.exception = exception


CASES = [
    (KeyboardInterrupt(), 130, "Interrupted."),
    (click.exceptions.Abort(), 130, "Interrupted."),
    (click.UsageError("No such option: --bogus"), 3, "No such option: --bogus"),
    (click.BadParameter("'xml' is not one of json"), 3, "Invalid value: 'xml' is not one of json"),
    (MixpanelDataError("general"), 1, "general"),
    (QueryError("SQL failed: syntax"), 1, "SQL failed: syntax"),
    (PlanRestrictedError("no API on this plan"), 1, "no API on this plan"),
    (TransientError("503 after retries"), 1, "503 after retries"),
    (IncompleteExportError("terminated early"), 1, "terminated early"),
    (AuthenticationError("bad credentials"), 2, "bad credentials"),
    (DatabaseBusyError("db is busy: try again"), 6, "db is busy: try again"),
    (ConfigError("bad config"), 3, "bad config"),
    (InvalidArgumentError("bad date"), 3, "bad date"),
    (PipelineConfigError("pipelines.yaml:3"), 3, "pipelines.yaml:3"),
    (AccountExistsError("exists"), 3, "exists"),
    (TableExistsError("exists"), 3, "exists"),
    (TableNotFoundError("no table"), 4, "no table"),
    (AccountNotFoundError("no account"), 4, "no account"),
    (PipelineNotFoundError("no pipeline"), 4, "no pipeline"),
    (QueryFileNotFoundError("no file"), 4, "no file"),
    (RateLimitError("429", retry_after=60), 5, "429"),
    (click.ClickException("click says no"), 1, "click says no"),
    (BrokenPipeError(), 0, ""),
    (
        PermissionError(13, "Permission denied", "/ro/data"),
        3,
        "Cannot use /ro/data: Permission denied. Check the path and its permissions, or point "
        "MP_DATA_DIR at a writable directory.",
    ),
    (OSError("no path"), 1, "OSError: no path (set MP_DEBUG=1 for the traceback)"),
    (ValueError("boom"), 1, "ValueError: boom (set MP_DEBUG=1 for the traceback)"),
    (_wrapped(AuthenticationError("inside dlt")), 2, "inside dlt"),
    (_StepFailed(RateLimitError("inside step")), 5, "inside step"),
    (_wrapped(KeyboardInterrupt()), 130, "Interrupted."),
]


@pytest.mark.parametrize(("exc", "code", "message"), CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_table_maps_exception_to_code_and_message(exc, code, message):
    assert errors.exit_code_for(exc) == code
    assert errors.message_for(exc) == message
    assert "\n" not in errors.message_for(exc)


def test_typer_vendored_click_usage_errors_exit_3():
    """Newer Typer vendors Click; its UsageError must map like Click's (never exit 2)."""
    assert errors.USAGE_ERRORS
    for kind in errors.USAGE_ERRORS:
        assert errors.exit_code_for(kind("nope")) == 3  # type: ignore[call-arg]


def test_every_rule_and_every_library_error_uses_a_documented_code():
    for rule in errors.RULES:
        if isinstance(rule.code, int):
            assert rule.code in DOCUMENTED
    kinds = [MixpanelDataError, *MixpanelDataError.__subclasses__()]
    while kinds:
        kind = kinds.pop()
        assert kind.exit_code in DOCUMENTED, kind
        kinds += kind.__subclasses__()


def test_the_last_rule_catches_everything():
    assert errors.RULES[-1].kinds == (BaseException,)
    assert errors.rule_for(GeneratorExit()) is errors.RULES[-1]


def test_unknown_errors_never_show_a_registered_secret():
    register_secret("boundary-secret-4242")
    message = errors.message_for(ValueError("token boundary-secret-4242 leaked"))
    assert "boundary-secret-4242" not in message
    assert "***" in message


def test_guarded_returns_codes_and_prints_one_line(capsys, monkeypatch):
    monkeypatch.delenv("MP_DEBUG", raising=False)

    def fail() -> None:
        raise TableNotFoundError("No table 'x'")

    assert errors.guarded(fail) == 4
    assert capsys.readouterr().err == "Error: No table 'x'\n"
    assert errors.guarded(lambda: None) == 0


def test_mp_debug_reraises(monkeypatch):
    monkeypatch.setenv("MP_DEBUG", "1")

    def fail() -> None:
        raise QueryError("shown with its traceback")

    with pytest.raises(QueryError):
        errors.guarded(fail)
