"""The `p2pvalue` command line, run in-process through typer's runner and once for real."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from p2pvalue import cli
from p2pvalue.config import load_config
from p2pvalue.errors import P2PError
from p2pvalue.events.canonical import canonical, digest
from p2pvalue.governance.proposals import proposals_of
from p2pvalue.governance.service import Governance
from p2pvalue.node import Node
from p2pvalue.store.schema import events

COMMANDS = (
    "init",
    "serve",
    "demo",
    "verify",
    "rebuild",
    "export",
    "import",
    "recount",
    "backup",
    "restore",
)
runner = CliRunner()


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Options come from the command line only, never from the caller's environment."""
    monkeypatch.delenv("P2PVALUE_DATA", raising=False)
    monkeypatch.delenv("P2PVALUE_DATABASE_URL", raising=False)


def invoke(*args: str | Path) -> Result:
    return runner.invoke(cli.app, [str(a) for a in args])


def run_main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run `cli.main` as the console script does: exit code, stdout and stderr."""
    argv = sys.argv
    sys.argv = ["p2pvalue", *(str(a) for a in args)]
    try:
        cli.main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def data(tmp_path: Path, database_url: str | None) -> Path:
    """A data folder made by `p2pvalue init`, on each backend."""
    folder = tmp_path / "node"
    url = ["--database-url", database_url] if database_url else []
    result = invoke("init", "--data", folder, *url)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def demo_space(data: Path) -> str:
    result = invoke("demo", "--data", data)
    assert result.exit_code == 0, result.output
    return result.stdout.split()[2].rstrip(";")


def test_init_creates_private_keys_and_config(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    result = invoke("init", "--data", folder)
    assert result.exit_code == 0, result.output
    assert "did:key:z" in result.stdout and "(sqlite)" in result.stdout
    for name in ("node.key", "keyring.key"):
        key = folder / name
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert len(key.read_bytes()) == 32
    assert json.loads((folder / "config.json").read_text()) == {}


def test_init_again_keeps_the_keys(tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    first = invoke("init", "--data", folder)
    keys = {name: (folder / name).read_bytes() for name in ("node.key", "keyring.key")}
    second = invoke("init", "--data", folder)
    assert second.exit_code == 0
    assert second.stdout.split()[1] == first.stdout.split()[1]
    assert {name: (folder / name).read_bytes() for name in keys} == keys


def test_init_records_the_database_url(data: Path, database_url: str | None) -> None:
    stored = json.loads((data / "config.json").read_text())
    assert stored == ({"database_url": database_url} if database_url else {})
    assert load_config(data).database_url == database_url


def test_demo_is_idempotent(data: Path) -> None:
    first = invoke("demo", "--data", data)
    second = invoke("demo", "--data", data)
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert first.stdout == second.stdout
    assert "alice / commons-demo" in first.stdout
    with Node(load_config(data)) as node:
        assert len(node.spaces()) == 2


def test_verify_an_intact_space(data: Path, demo_space: str) -> None:
    result = invoke("verify", "--data", data, "--", demo_space)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ok: every event of {demo_space} verifies\n"


def test_verify_a_tampered_space_fails_naming_the_event(data: Path, demo_space: str) -> None:
    with Node(load_config(data)) as node:
        query = select(events.c.id, events.c.body).where(
            events.c.space == demo_space, events.c.type == "post.create"
        )
        with node.engine.begin() as conn:
            event_id, body = conn.execute(query.order_by(events.c.seq).limit(1)).one()
            forged = bytes(body).replace(b'"text":"', b'"text":"!', 1)
            assert forged != bytes(body)
            conn.execute(update(events).where(events.c.id == event_id).values(body=forged))
    result = invoke("verify", "--data", data, "--", demo_space)
    assert result.exit_code == 1
    assert "FAILED" in result.stderr and event_id in result.stderr
    assert "content_hash_mismatch" in result.stderr
    assert result.stdout == ""


def test_verify_an_unknown_space_exits_2(
    data: Path, demo_space: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(capsys, "verify", "A" * 43, "--data", data)
    assert (code, out) == (2, "")
    assert err.startswith("error: unknown_space:")


DASHED_ID = "-" + "A" * 42


def test_an_id_starting_with_a_dash_passes_after_double_dash(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(capsys, "verify", "--data", data, "--", DASHED_ID)
    assert code == 2
    assert err.startswith("error: unknown_space:")


def test_an_id_starting_with_a_dash_is_read_as_an_id(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(capsys, "verify", DASHED_ID, "--data", data)
    assert code == 2
    assert err.startswith("error: unknown_space:"), err


def test_rebuild_prints_counts(data: Path, demo_space: str) -> None:
    result = invoke("rebuild", "--data", data)
    assert result.exit_code == 0, result.output
    assert result.stdout == "rebuilt 2 space(s) from 32 events\n"
    assert invoke("verify", "--data", data, "--", demo_space).exit_code == 0


def test_export_writes_json_lines(data: Path, demo_space: str, tmp_path: Path) -> None:
    target = tmp_path / "space.jsonl"
    result = invoke("export", "--data", data, "-o", target, "--", demo_space)
    assert result.exit_code == 0, result.output
    lines = target.read_bytes().splitlines()
    assert len(lines) == 28
    wires = [orjson.loads(line) for line in lines]
    assert wires[0]["type"] == "space.create" and "space" not in wires[0]
    assert all(canonical(wire) == line for wire, line in zip(wires, lines, strict=True))
    to_stdout = invoke("export", "--data", data, "--", demo_space)
    assert to_stdout.stdout_bytes == target.read_bytes()


def test_import_into_a_fresh_folder(data: Path, demo_space: str, tmp_path: Path) -> None:
    exported = tmp_path / "space.jsonl"
    result = invoke("export", "--data", data, "-o", exported, "--", demo_space)
    assert result.exit_code == 0, (result.output, result.exception)
    fresh = tmp_path / "fresh"
    invoke("init", "--data", fresh)

    result = invoke("import", exported, "--data", fresh)

    assert result.exit_code == 0, result.output
    assert result.stdout == "imported: 27 accepted, 1 rejected\n"
    assert invoke("verify", "--data", fresh, "--", demo_space).exit_code == 0
    again = invoke("import", exported, "--data", fresh)
    assert again.stdout == "imported: 28 duplicate\n"


def test_import_reports_a_refused_line(data: Path, demo_space: str, tmp_path: Path) -> None:
    exported = tmp_path / "space.jsonl"
    result = invoke("export", "--data", data, "-o", exported, "--", demo_space)
    assert result.exit_code == 0, (result.output, result.exception)
    lines = exported.read_bytes().splitlines()
    wire = orjson.loads(lines[-1])
    wire["content"] = {"text": "forged"}
    wire["content_hash"] = digest(wire["content"])
    exported.write_bytes(b"\n".join([*lines[:-1], canonical(wire)]) + b"\n")
    fresh = tmp_path / "fresh"
    invoke("init", "--data", fresh)

    result = invoke("import", exported, "--data", fresh)

    assert result.exit_code == 1
    assert result.stdout == (
        "imported: 26 accepted, 1 refused, 1 refused:bad_signature, 1 rejected\n"
    )


def test_import_of_malformed_json_exits_2(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b'{"v": 1}\n{oops\n')
    code, out, err = run_main(capsys, "import", broken, "--data", data)
    assert (code, out) == (2, "")
    assert err.startswith("error: malformed_json: line 2:")


def test_import_of_a_missing_file_is_a_clean_refusal(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(capsys, "import", tmp_path / "nothere.jsonl", "--data", data)
    assert code == 2
    assert "nothere.jsonl" in err and "Traceback" not in err


def test_export_of_an_unknown_space_exits_2(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "export", "--data", data, "--", "A" * 43)
    assert (code, out) == (2, "")
    assert err.startswith("error: unknown_space:")


def test_export_of_an_unknown_space_writes_no_file(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.jsonl"
    code, _, _ = run_main(capsys, "export", "--data", data, "-o", target, "--", "A" * 43)
    assert code == 2
    assert not target.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("demo",),
        ("rebuild",),
        ("verify", "A" * 43),
        ("export", "A" * 43),
        ("import", "LOG_FILE"),
        ("serve",),
        ("backup", "node.tar.gz"),
    ],
)
def test_commands_on_a_folder_that_is_not_a_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    log_file = tmp_path / "log.jsonl"
    log_file.write_text("")
    words = [str(log_file) if word == "LOG_FILE" else word for word in args]
    code, out, err = run_main(capsys, *words, "--data", tmp_path / "empty")
    assert (code, out) == (2, "")
    assert err.startswith("error: not_initialised:")
    assert not (tmp_path / "empty").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_of_each_command(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    handlers = {
        "demo": cli.demo_command,
        "import": cli.import_command,
        "backup": cli.backup_command,
        "restore": cli.restore_command,
    }
    handler = handlers.get(command)
    summary = (handler or getattr(cli, command)).__doc__
    assert summary is not None
    assert " ".join(summary.split()[:4]) in " ".join(result.stdout.split())
    assert "--data" in result.stdout


def test_help_lists_every_command() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    listed = set(result.stdout.replace("│", " ").split())
    assert set(COMMANDS) <= listed


@pytest.mark.slow
def test_the_console_script_runs() -> None:
    script = shutil.which("p2pvalue", path=str(Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "commons-based peer production" in done.stdout


@pytest.mark.slow
def test_the_console_script_exits_2_on_refusals(tmp_path: Path) -> None:
    script = shutil.which("p2pvalue", path=str(Path(sys.executable).parent))
    assert script is not None
    done = subprocess.run([script, "rebuild", "--data", str(tmp_path)], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("error: not_initialised:")


def test_recount_a_closed_proposal_and_refuse_an_open_one(data: Path, demo_space: str) -> None:
    with Node(load_config(data)) as node:
        proposals = proposals_of(node.service(Governance).authority(demo_space)).values()
        closed = next(p.id for p in proposals if p.status == "enacted")
        still_open = next(p.id for p in proposals if p.status == "open")
    result = invoke("recount", "--data", data, "--", closed)
    assert result.exit_code == 0, result.output
    assert '"outcome": "passed"' in result.stdout and "ok: passed" in result.stdout
    refused = invoke("recount", "--data", data, "--", still_open)
    assert refused.exit_code != 0
    assert isinstance(refused.exception, P2PError)
    assert refused.exception.code == "proposal_not_closed"


def test_recount_refuses_to_export_ballots_a_yes_no_vote_does_not_rank(
    data: Path, demo_space: str
) -> None:
    with Node(load_config(data)) as node:
        proposals = proposals_of(node.service(Governance).authority(demo_space)).values()
        closed = next(p for p in proposals if p.status == "enacted")
        assert closed.policy is not None and closed.policy.method == "majority"
    for format in ("preflib", "blt"):
        refused = invoke("recount", "--data", data, "--ballots", format, "--", closed.id)
        assert isinstance(refused.exception, P2PError)
        assert (refused.exception.code, refused.exception.status) == ("no_ranked_ballots", 422)


def test_init_writes_the_outbound_allow_list_and_the_admins_only_when_asked(
    tmp_path: Path,
) -> None:
    assert invoke("init", "--data", tmp_path / "plain").exit_code == 0
    dev = ["--outbound-allow", "127.0.0.0/8", "--outbound-allow", "node-b.lan", "--admin", "ana"]
    assert invoke("init", "--data", tmp_path / "dev", *dev).exit_code == 0
    assert load_config(tmp_path / "plain").outbound_allow == ()
    assert load_config(tmp_path / "plain").admins == ()
    assert load_config(tmp_path / "dev").outbound_allow == ("127.0.0.0/8", "node-b.lan")
    assert load_config(tmp_path / "dev").admins == ("ana",)
    stored = json.loads((tmp_path / "dev" / "config.json").read_text())
    assert (stored["outbound_allow"], stored["admins"]) == (["127.0.0.0/8", "node-b.lan"], ["ana"])
    refused = invoke("init", "--data", tmp_path / "bad", "--outbound-allow", "not a host!")
    assert isinstance(refused.exception, P2PError) and refused.exception.code == "bad_config"
    assert not (tmp_path / "bad").exists()


def test_an_older_fediverse_loopback_setting_still_allows_loopback(tmp_path: Path) -> None:
    assert invoke("init", "--data", tmp_path / "old").exit_code == 0
    config_file = tmp_path / "old" / "config.json"
    config_file.write_text(json.dumps({"fediverse_loopback": True}))
    assert load_config(tmp_path / "old").outbound_allow == ("127.0.0.0/8", "::1")
