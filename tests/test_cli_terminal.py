"""The command line as a person at a terminal meets it, run for real: the long commands show
a progress bar on a terminal and nothing when their output is not one, and `serve` on a
port another program holds says so in one line."""

from __future__ import annotations

import os
import pty
import select
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from p2pvalue import cli

pytestmark = pytest.mark.slow
TERMINAL = {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"}
runner = CliRunner()


def _script() -> str:
    found = shutil.which("p2pvalue", path=str(Path(sys.executable).parent))
    assert found is not None
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """A data folder with the demo community, its space id, and that space's exported log."""
    folder = tmp_path_factory.mktemp("cli") / "node"
    assert runner.invoke(cli.app, ["init", "--data", str(folder)]).exit_code == 0
    seeded = runner.invoke(cli.app, ["demo", "--data", str(folder)])
    space = seeded.stdout.split()[2].rstrip(";")
    log = folder.parent / "log.jsonl"
    exported = runner.invoke(cli.app, ["export", "--data", str(folder), "-o", str(log), space])
    assert exported.exit_code == 0, exported.output
    return folder, space, log


def _on_a_terminal(args: list[str]) -> tuple[int, str, bytes]:
    """Run the console script with its stderr on a pseudo-terminal: exit code, stdout, and
    all it drew on the terminal."""
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen([_script(), *args], stdout=out, stderr=slave,
                                   stdin=subprocess.DEVNULL, env=TERMINAL)  # fmt: skip
        os.close(slave)
        drawn = _drain(master, process)
        code = process.wait(timeout=60)
        out.seek(0)
        return code, out.read().decode(), drawn


def _drain(master: int, process: subprocess.Popen[bytes]) -> bytes:
    """Everything written to the terminal until the process ends."""
    drawn = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                chunk = os.read(master, 65536)
                if not chunk:
                    break
                drawn += chunk
            elif process.poll() is not None:
                break
    except OSError:  # the terminal closed with the process
        pass
    finally:
        os.close(master)
    return drawn


COMMANDS = {
    "verify": (["verify", "--data", "{data}", "--", "{space}"], "checking events"),
    "rebuild": (["rebuild", "--data", "{data}"], "rebuilding"),
    "export": (["export", "--data", "{data}", "--", "{space}"], "exporting events"),
    "import": (["import", "--data", "{data}", "{log}"], "importing"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_long_commands_draw_a_bar_on_a_terminal_only(
    command: str, demo: tuple[Path, str, Path]
) -> None:
    data, space, log = demo
    template, label = COMMANDS[command]
    args = [a.format(data=data, space=space, log=log) for a in template]
    code, out, drawn = _on_a_terminal(args)
    assert code == 0, drawn
    assert label.encode() in drawn and b"\x1b[" in drawn
    piped = subprocess.run([_script(), *args], capture_output=True, text=True, timeout=60,
                           env=TERMINAL)  # fmt: skip
    assert (piped.returncode, piped.stderr) == (0, "")
    assert piped.stdout == out
    if command == "export":
        assert out == log.read_text()


def test_serve_on_a_port_in_use_says_so_in_one_line(demo: tuple[Path, str, Path]) -> None:
    data = demo[0]
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [_script(), "serve", "--data", str(data), "--port", str(port)],
            capture_output=True, text=True, timeout=60, env=TERMINAL,
        )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"error: port_in_use: port {port} on 127.0.0.1: it is already in use: stop what uses "
        "it, or choose another with --port\n"
    )
