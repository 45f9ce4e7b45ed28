"""``mp`` as a real process: every exit code, start-up cost, terminals, and no secret anywhere."""

from __future__ import annotations

import base64
import json
import os
import pty
import signal
import subprocess
import sys
import time

import pytest

from .conftest import SECRET
from .mpcli import MP, mp


def test_every_documented_exit_code(loaded, scratch):
    day = str(loaded.days[0])
    cases = {
        0: ["sql", "SELECT 1"],
        1: ["sql", "SELEC 1"],
        3: ["--bogus-option"],
        4: ["schema", "nope"],
    }
    for code, args in cases.items():
        out = mp(*args)
        assert out.returncode == code, (args, out.stderr)
    wrong = mp("run", "events", "--from", day, "--to", day, env={"MP_SECRET": "wrong-1234"})
    assert wrong.returncode == 2, wrong.stderr


def test_usage_errors_exit_3_not_click_2(loaded):
    for args in (["bogus"], ["sql"], ["tables", "--nope"], ["-f", "xml", "tables"], ["auth", "x"]):
        out = mp(*args)
        assert out.returncode == 3, (args, out.stderr)
        assert out.stderr.startswith("Error: ") and len(out.stderr.splitlines()) == 1


def _default_sigint() -> None:
    """A shell may start us with SIGINT ignored, which the child would inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_exits_130(loaded):
    loaded.server.add_fault("slow_first_byte", family="query", delay=20)
    try:
        child = subprocess.Popen(
            [*MP, "auth", "test"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_default_sigint,
        )
        time.sleep(2.5)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        loaded.server.clear_faults()
    assert child.returncode == 130, err
    assert "Interrupted." in err and out == ""


def test_mp_debug_shows_the_traceback(loaded):
    out = mp("schema", "nope", env={"MP_DEBUG": "1"})
    assert out.returncode != 0 and "Traceback" in out.stderr
    assert "Traceback" not in mp("schema", "nope").stderr


def test_data_on_stdout_status_on_stderr(loaded, scratch):
    day = str(loaded.days[-1])
    out = mp("run", "events", "--from", day, "--to", day)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["pipeline"] == "events"
    assert "Running pipeline" in out.stderr and "Done:" in out.stderr
    quiet = mp("-q", "run", "events", "--from", day, "--to", day)
    assert quiet.stderr == "" and json.loads(quiet.stdout)["rows_new"] == 0


def test_mp_format_and_no_color(loaded):
    out = mp("sql", "SELECT 1 AS x", env={"MP_FORMAT": "csv", "NO_COLOR": "1"})
    assert out.stdout == "x\n1\n"
    table = mp("-f", "table", "tables", env={"NO_COLOR": "1"})
    assert "\x1b[" not in table.stdout + table.stderr and "events" in table.stdout


HEAVY = ("dlt", "pandas")


@pytest.mark.parametrize("args", [["--help"], ["sql", "SELECT 1"]], ids=["help", "sql"])
def test_help_and_sql_do_not_import_dlt_or_pandas(loaded, args):
    code = (
        "import sys\nfrom mixpanel_data.cli.main import main\n"
        f"code = main({args!r})\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_help_starts_fast(loaded):
    """Measured here at ~0.15-0.3 s; the bound leaves room for a busy CI machine."""
    mp("--help")
    started = time.monotonic()
    for _ in range(3):
        assert mp("--help").returncode == 0
    assert (time.monotonic() - started) / 3 < 1.5


def _on_a_terminal(args: list[str], answer: str) -> tuple[int, str, str]:
    """Run ``mp ARGS`` with stdin and stderr on a pseudo-terminal, typing ``answer``."""
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [*MP, *args], stdin=follower, stdout=subprocess.PIPE, stderr=follower, text=True
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 60
    while b"[y/N]" not in seen and time.monotonic() < deadline:
        seen += os.read(leader, 1024)
    os.write(leader, answer.encode() + b"\n")
    out, _ = child.communicate(timeout=60)
    try:
        while chunk := os.read(leader, 1024):
            seen += chunk
    except OSError:
        pass
    os.close(leader)
    return child.returncode, out, seen.decode(errors="replace")


def test_drop_asks_on_a_terminal(loaded, scratch):
    code, out, screen = _on_a_terminal(["drop", "profiles"], "n")
    assert code == 1 and "Drop profiles (60 rows)?" in screen and "Nothing dropped" in screen
    assert "profiles" in mp("tables").stdout
    code, out, screen = _on_a_terminal(["drop", "profiles"], "y")
    assert code == 0, screen
    assert json.loads(out)[0]["table"] == "profiles"
    assert "profiles" not in mp("tables").stdout


def test_no_command_ever_prints_the_secret(loaded, scratch, tmp_path):
    user, secret = loaded.server.auth
    assert secret == SECRET
    encoded = base64.b64encode(f"{user}:{secret}".encode()).decode()
    config = {"MP_CONFIG_PATH": str(tmp_path / "config.toml")}
    day, last = str(loaded.days[0]), str(loaded.days[-1])
    commands = [
        ["auth", "add", "main", "-u", user, "--project", "2526451", "--secret-stdin"],
        ["auth", "list"],
        ["auth", "show", "main"],
        ["auth", "test", "main"],
        ["-v", "run", "events", "--from", day, "--to", day],
        ["-v", "run", "profiles"],
        ["tables"],
        ["schema", "events"],
        ["info"],
        ["pipelines"],
        ["sql", "SELECT count(*) FROM events"],
        ["-f", "table", "sql", "queries/top_events.sql"],
        ["events"],
        ["segmentation", "-e", "Purchase", "--from", day, "--to", last],
        ["drop", "profiles", "--force"],
        ["run", "events", "--from", day, "--to", day],
    ]
    outputs = []
    for args in commands:
        out = mp(*args, env=config, input=secret + "\n")
        assert out.returncode == 0, (args, out.stderr)
        outputs += [out.stdout, out.stderr]
    wrong = mp("auth", "test", env={"MP_SECRET": SECRET[::-1]})
    outputs += [wrong.stdout, wrong.stderr]
    for text in outputs:
        assert SECRET not in text and SECRET[::-1] not in text and encoded not in text
