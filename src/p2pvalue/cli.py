"""The `p2pvalue` command line."""

from __future__ import annotations

import errno
import socket
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from p2pvalue import audit, demo
from p2pvalue.config import init_data_dir, load_config
from p2pvalue.errors import P2PError
from p2pvalue.governance.service import Governance
from p2pvalue.node import Node

app = typer.Typer(
    help="p2pvalue: a node for commons-based peer production communities.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

DataDir = Annotated[
    Path, typer.Option("--data", envvar="P2PVALUE_DATA", help="The node's data folder.")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="P2PVALUE_DATABASE_URL",
        help="SQLAlchemy URL (e.g. postgresql://…); default: SQLite in the data folder.",
    ),
]
PublicUrl = Annotated[
    str | None,
    typer.Option(
        "--public-url",
        envvar="P2PVALUE_PUBLIC_URL",
        help="Where other nodes reach this one (e.g. https://node.example); enables federation.",
    ),
]
DEFAULT_DATA = Path("data")


def _node(data: Path, database_url: str | None) -> Node:
    return Node(load_config(data, database_url))


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on the terminal (on stderr, so that what a command writes to stdout
    stays clean) while a long command runs; nothing at all when stderr is not a terminal.
    Yields the function that advances it."""
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress

    console = Console(stderr=True)
    columns = (*Progress.get_default_columns(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True,
                  disable=not console.is_terminal) as bar:  # fmt: skip
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def _measured(lines: IO[bytes], advance: Callable[[int], None]) -> Iterable[bytes]:
    """The lines of a file, telling `advance` how many bytes each took."""
    for line in lines:
        advance(len(line))
        yield line


@app.command()
def init(
    data: DataDir = DEFAULT_DATA,
    database_url: DatabaseUrl = None,
    public_url: PublicUrl = None,
    outbound_allow: Annotated[
        list[str] | None,
        typer.Option(
            "--outbound-allow",
            help="A network (CIDR) or host name this node may send requests to although it "
            "is not public, e.g. 127.0.0.0/8 for local development or a community LAN; "
            "repeatable.",
        ),
    ] = None,
    admin: Annotated[
        list[str] | None,
        typer.Option("--admin", help="The username of a node admin; repeatable."),
    ] = None,
) -> None:
    """Create a data folder: configuration, the node's key and the keyring for member keys."""
    config = init_data_dir(
        data, database_url, public_url, outbound_allow=outbound_allow or (), admins=admin or ()
    )
    with Node(config) as node:
        typer.echo(f"node {node.did} ready in {data} ({config.url.split(':')[0]})")


@app.command()
def serve(
    data: DataDir = DEFAULT_DATA,
    database_url: DatabaseUrl = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    public_url: PublicUrl = None,
    sync_every: Annotated[
        float, typer.Option(help="Seconds between anti-entropy rounds with other nodes.")
    ] = 30.0,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes serving the node on one port. More than one needs PostgreSQL "
            "(--database-url) and Redis (--redis-url); SQLite serves one process."
        ),
    ] = 1,
    redis_url: Annotated[
        str | None,
        typer.Option(
            "--redis-url",
            envvar="P2PVALUE_REDIS_URL",
            help="Redis (redis://host:6379/0) through which the workers of this node, on "
            "this machine or others, share what they commit and their live documents.",
        ),
    ] = None,
    json_logs: Annotated[
        bool, typer.Option("--json-logs", help="Log one JSON object a line on stderr.")
    ] = False,
) -> None:
    """Run the node's web server: pages at /, the API under /api/v1, OpenAPI at /openapi.json,
    and, with a public URL, federation with the other nodes of its spaces. With --workers N
    (or with a Redis URL, for workers on several machines sharing one database), one
    worker at a time does the background work (deadlines, deliveries)."""
    from p2pvalue.web.app import create_app, run_server
    from p2pvalue.web.serving import Serving, check_workers, log_config, run_workers

    config = load_config(data, database_url, public_url, redis_url)
    check_workers(config.url, workers, config.redis_url)
    check_port(host, port)
    if workers > 1:
        with Node(config) as node:  # migrated once, before the workers start
            typer.echo(f"p2pvalue node {node.did} on http://{host}:{port}/ ({workers} workers)")
        serving = Serving(
            str(data.resolve()), database_url, public_url, config.redis_url, sync_every, json_logs
        )
        run_workers(serving, host, port, workers)
        return
    with Node(config) as node:
        typer.echo(f"p2pvalue node {node.did} on http://{host}:{port}/")
        run_server(create_app(node, sync_every=sync_every), host, port,
                   log_config=log_config(json_logs))  # fmt: skip


def check_port(host: str, port: int) -> None:
    """Refuse to start, with one clear sentence, when `host:port` cannot be listened on
    (another program holds it, or it needs privileges), rather than after the node opened
    and with the server's log."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        socket.create_server((host, port), family=family).close()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            reason = "it is already in use: stop what uses it, or choose another with --port"
            raise P2PError("port_in_use", f"port {port} on {host}: {reason}") from None
        reason = error.strerror or str(error)
        raise P2PError("cannot_listen", f"cannot listen on {host}:{port}: {reason}") from None


@app.command("export-member")
def export_member(
    username: Annotated[str, typer.Argument(help="The member's username on this node.")],
    data: DataDir = DEFAULT_DATA,
    database_url: DatabaseUrl = None,
    output: Annotated[
        Path | None, typer.Option("-o", help="File to write; default p2pvalue-USERNAME.zip.")
    ] = None,
) -> None:
    """Write everything this node holds about a member as one ZIP archive (without their
    secret key), the same archive as GET /api/v1/accounts/me/export."""
    from p2pvalue.rights.service import Rights

    with _node(data, database_url) as node:
        account = node.accounts.by_username(username)
        if account is None:
            raise P2PError("unknown_member", f"no member {username!r} on this node")
        archive = node.service(Rights).archive(account)
    target = output or Path(f"p2pvalue-{username}.zip")
    target.write_bytes(archive)
    typer.echo(f"wrote {target} ({len(archive)} bytes)")


@app.command("demo")
def demo_command(data: DataDir = DEFAULT_DATA, database_url: DatabaseUrl = None) -> None:
    """Seed a demo community (people alice…erin, password `commons-demo`); safe to repeat."""
    with _node(data, database_url) as node:
        space = demo.seed(node)
        typer.echo(f"demo space {space}; log in as alice / {demo.DEMO_PASSWORD}")


# Space ids are base64url and may begin with "-": read such words as ids, not options.
ID_ARGUMENTS = {"ignore_unknown_options": True}


@app.command(context_settings=ID_ARGUMENTS)
def verify(
    space: Annotated[str, typer.Argument(help="The space id.")],
    data: DataDir = DEFAULT_DATA,
    database_url: DatabaseUrl = None,
) -> None:
    """Re-check every signature, hash, link and decision of a space's log."""
    with (
        _node(data, database_url) as node,
        progress("checking events", node.space(space).events) as advance,
    ):
        problem = audit.verify(node, space, advance)
    if problem:
        typer.echo(f"FAILED: first problem at {problem}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: every event of {space} verifies")


@app.command()
def rebuild(data: DataDir = DEFAULT_DATA, database_url: DatabaseUrl = None) -> None:
    """Drop every projection and derive it again from the stored events."""
    with (
        _node(data, database_url) as node,
        progress("rebuilding", audit.event_count(node)) as advance,
    ):
        counts = audit.rebuild(node, advance)
    typer.echo(f"rebuilt {counts['spaces']} space(s) from {counts['events']} events")


@app.command(context_settings=ID_ARGUMENTS)
def export(
    space: Annotated[str, typer.Argument(help="The space id.")],
    data: DataDir = DEFAULT_DATA,
    database_url: DatabaseUrl = None,
    output: Annotated[
        Path | None, typer.Option("-o", help="File to write; default stdout.")
    ] = None,
) -> None:
    """Write a space's raw log as JSON lines, in the space's order."""
    with _node(data, database_url) as node:
        total = node.space(space).events
        out = output.open("wb") if output else sys.stdout.buffer
        try:
            with progress("exporting events", total) as advance:
                for body in node.export(space):
                    out.write(body + b"\n")
                    advance(1)
        finally:
            if output:
                out.close()


@app.command("import", context_settings=ID_ARGUMENTS)
def import_command(
    source: Annotated[
        str,
        typer.Argument(
            help="A JSON-lines log as `export` writes it, or the word `git`, `csv` or `perceval`."
        ),
    ],
    repository: Annotated[
        Path | None,
        typer.Argument(
            help="With `git`: the repository whose history to import; with `csv`: the CSV "
            "file; with `perceval`: the items Perceval wrote (git, GitHub, GitLab, mbox, "
            "pipermail, Discourse)."
        ),
    ] = None,
    space: Annotated[
        str | None,
        typer.Option("--space", help="With `git`, `csv` or `perceval`: the space to import into."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="With `csv` or `perceval`: show what would be created and every row "
            "refused (or item left out), and why; write nothing.",
        ),
    ] = False,
    importer: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="With `git`, `csv` or `perceval`: the account that signs the import (its "
            "role must allow contribution.import, and contribution.import_review for reviews); "
            "by default the space's timekeeper on this node.",
        ),
    ] = None,
    mailmap: Annotated[
        Path | None,
        typer.Option(
            "--mailmap",
            help="With `perceval`: a mailmap file (git's format) to resolve every person "
            "through, as `import git` does with a repository's .mailmap; without it, items "
            "Perceval's git backend fetched from a repository on this machine use its .mailmap.",
        ),
    ] = None,
    data: DataDir = DEFAULT_DATA,
    database_url: DatabaseUrl = None,
) -> None:
    """Load a log (`import FILE`), verifying every event, or import a git repository's
    history (`import git REPO --space SPACE`): every commit reachable from HEAD, authors
    and `Co-authored-by:` co-authors resolved through `.mailmap`, bots and merge commits
    left out unless the charter counts them. Authors with no member holding their e-mail
    are credited as unclaimed contributors until someone claims the address. Both are
    idempotent. `import csv FILE --space SPACE` imports contributions logged elsewhere (columns
    evidence, kind, description, date, emails, quantity, unit); a file with any refused row
    writes nothing, and `--dry-run` lists what would be created and each refused row.
    `import perceval FILE --space SPACE` imports GrimoireLab Perceval items: commits, GitHub
    and GitLab issues, pull and merge requests, merges and comments, mailing-list messages
    and Discourse posts, each as work of its kind if the charter counts that kind; a pull
    request's reviews as peer reviews of its contribution (approve, request changes,
    comment), which count toward its acceptance. People are resolved through `--mailmap`,
    or the .mailmap of a local repository Perceval fetched commits from."""
    if mailmap is not None and source != "perceval":
        raise P2PError("usage", "--mailmap goes with `import perceval` (git reads .mailmap)")
    if source == "git":
        _import_git(repository, space, importer, data, database_url)
        return
    if source == "csv":
        _import_csv(repository, space, importer, dry_run, data, database_url)
        return
    if source == "perceval":
        _import_perceval(repository, space, importer, dry_run, mailmap, data, database_url)
        return
    file = _existing(Path(source))
    with (
        _node(data, database_url) as node,
        file.open("rb") as lines,
        progress("importing", file.stat().st_size) as advance,
    ):
        counts = audit.import_lines(node, _measured(lines, advance))
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    typer.echo(f"imported: {summary or 'nothing'}")
    if counts.get("refused") or counts.get("pending"):
        raise typer.Exit(1)


@app.command(context_settings=ID_ARGUMENTS)
def recount(
    proposal: Annotated[str, typer.Argument(help="The proposal id (its proposal.create event).")],
    ballots: Annotated[
        str | None,
        typer.Option("--ballots", help="Also print the ballots that counted: preflib or blt."),
    ] = None,
    data: DataDir = DEFAULT_DATA,
    database_url: DatabaseUrl = None,
) -> None:
    """Count a closed proposal again from the log and compare with the recorded outcome;
    exits 1 if they differ."""
    import orjson

    with _node(data, database_url) as node:
        found = node.service(Governance).recount(proposal)
        exported = node.service(Governance).ballots(proposal, ballots) if ballots else None
    typer.echo(orjson.dumps(found.result, option=orjson.OPT_INDENT_2).decode())
    if exported is not None:
        typer.echo(exported, nl=False)
    if not found.matches:
        typer.echo(f"MISMATCH: the log recorded {found.recorded}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {found.result['outcome']}, as recorded by {found.close}")


@app.command("backup")
def backup_command(
    output: Annotated[Path, typer.Argument(help="The archive to write (e.g. node.tar.gz).")],
    data: DataDir = DEFAULT_DATA,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the whole node (its keys, configuration, live documents and every table, as of
    one moment) to one archive, which `restore` brings back on SQLite or PostgreSQL. The
    archive holds the node's secrets: keep it as safe as the data folder."""
    from p2pvalue.backup import backup

    load_config(data, database_url)  # not a node folder: say so before any progress is drawn
    with progress("backing up rows", None) as advance:
        manifest = backup(data, output, database_url, lambda _table, n: advance(n))
    tables = [m for name, m in manifest["members"].items() if name.startswith("tables/")]
    rows = sum(m["rows"] for m in tables)
    typer.echo(f"wrote {output}: node {manifest['node']}, {len(tables)} tables, {rows} rows")


@app.command("restore")
def restore_command(
    archive: Annotated[Path, typer.Argument(help="An archive written by `p2pvalue backup`.")],
    data: DataDir = DEFAULT_DATA,
    database_url: DatabaseUrl = None,
) -> None:
    """Bring a node back from a backup into a new, empty data folder (and an empty database
    when --database-url is given), then verify every space's log; on any problem nothing
    is left behind."""
    from p2pvalue.backup import restore

    with progress("restoring rows", None) as advance:
        restored = restore(archive, data, database_url, lambda _table, n: advance(n))
    typer.echo(
        f"restored node {restored.node} in {data}: {sum(restored.tables.values())} rows, "
        f"{restored.events} events in {restored.spaces} space(s), every one verified"
    )


def _import_git(
    repository: Path | None, space: str | None, importer: str | None, data: Path,
    database_url: str | None,
) -> None:  # fmt: skip
    from p2pvalue.importers.contributions import importer_of
    from p2pvalue.importers.git import count_commits, import_git

    if repository is None or space is None:
        raise P2PError("usage", "import git REPO --space SPACE [--as ACCOUNT]")
    with (
        _node(data, database_url) as node,
        progress("importing commits", count_commits(repository)) as advance,
    ):
        signer = importer_of(node.wiring, space, importer)
        report = import_git(node.wiring, space, repository, signer, advance)
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(report.skipped.items()))
    typer.echo(
        f"commits: {report.imported} imported, {report.already_imported} already imported, "
        f"{len(report.unclaimed)} unclaimed contributors; left out: {skipped or 'none'}"
    )
    if report.refused:
        typer.echo(f"refused: {report.refused}", err=True)
        raise typer.Exit(1)


def _given(file: Path | None, space: str | None, what: str) -> tuple[Path, str]:
    """The file an `import csv` or `import perceval` reads and its space, once both are
    named."""
    if file is None or space is None:
        raise P2PError("usage", f"import {what} --space SPACE [--as ACCOUNT] [--dry-run]")
    return _existing(file), space


def _existing(file: Path) -> Path:
    """`file`, if there is such a file to read."""
    if not file.is_file():
        raise P2PError("no_such_file", f"{file} does not exist or is not a file")
    return file


def _import_csv(
    file: Path | None, space: str | None, importer: str | None, dry_run: bool, data: Path,
    database_url: str | None,
) -> None:  # fmt: skip
    from p2pvalue.accounting.service import Value
    from p2pvalue.events.event import now_ms
    from p2pvalue.importers.contributions import importer_of, record, units_of
    from p2pvalue.importers.csv_rows import read_rows

    file, space = _given(file, space, "csv FILE")
    with _node(data, database_url) as node, file.open(newline="", encoding="utf-8") as lines:
        signer = importer_of(node.wiring, space, importer)
        ledger = node.service(Value).ledger(space)
        rows = read_rows(lines, units_of(node.wiring, space), now_ms(), ledger.evidence)
        for line, reason in rows.refused:
            typer.echo(f"line {line} refused: {reason}", err=True)
        if dry_run or rows.refused:
            for work in rows.works:
                typer.echo(f"would import {work.evidence}: {work.kind} by "
                           f"{', '.join(work.emails)}, {work.description}")  # fmt: skip
            typer.echo(f"{len(rows.works)} to import, {len(rows.refused)} refused; nothing written")
            if rows.refused:
                raise typer.Exit(1)
            return
        report = record(node.wiring, space, signer, rows.works)
    typer.echo(f"contributions: {report.imported} imported, "
               f"{len(report.unclaimed)} unclaimed contributors")  # fmt: skip


def _import_perceval(
    file: Path | None, space: str | None, importer: str | None, dry_run: bool,
    mailmap_file: Path | None, data: Path, database_url: str | None,
) -> None:  # fmt: skip
    from p2pvalue.accounting.service import Value
    from p2pvalue.importers.contributions import importer_of, units_of
    from p2pvalue.importers.git import read_mailmap
    from p2pvalue.importers.perceval import import_perceval, perceval_works

    file, space = _given(file, space, "perceval FILE")
    mailmap = read_mailmap(_existing(mailmap_file)) if mailmap_file else None
    text = file.read_text(encoding="utf-8")
    with _node(data, database_url) as node, progress("importing items", len(text)) as advance:
        signer = importer_of(node.wiring, space, importer)
        if dry_run:
            kinds, known = units_of(node.wiring, space), node.service(Value).ledger(space).evidence
            _dry_run(perceval_works(text, advance, mailmap), kinds, known)
            return
        report = import_perceval(node.wiring, space, text, signer, advance, mailmap)
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(report.skipped.items()))
    typer.echo(
        f"work: {report.imported} imported, {report.already_imported} already imported, "
        f"{report.reviews} peer reviews, {len(report.unclaimed)} unclaimed contributors; "
        f"left out: {skipped or 'none'}"
    )
    if report.refused:
        typer.echo(f"refused: {report.refused}", err=True)
        raise typer.Exit(1)


def _dry_run(works: Iterable[Any], kinds: Mapping[str, str], known: Mapping[str, str]) -> None:
    """Say what an import would create and leave out; write nothing."""
    from p2pvalue.importers.contributions import PeerReview

    counted, left = 0, Counter[str]()
    for work in works:
        if isinstance(work, str):
            left[work] += 1
        elif work.evidence in known:
            left["already imported"] += 1
        elif isinstance(work, PeerReview):
            counted += 1
            typer.echo(f"would import {work.evidence}: {work.verdict} by {work.name}, "
                       f"a peer review of {work.of}")  # fmt: skip
        elif work.kind not in kinds:
            left[f"kind {work.kind} not in the charter"] += 1
        else:
            counted += 1
            typer.echo(f"would import {work.evidence}: {work.kind} by "
                       f"{', '.join(work.names or work.emails)}, {work.description}")  # fmt: skip
    skipped = ", ".join(f"{n} {why}" for why, n in sorted(left.items()))
    typer.echo(f"{counted} to import; left out: {skipped or 'none'}; nothing written")


def main() -> None:
    try:
        app()
    except P2PError as error:
        typer.echo(f"error: {error.code}: {error.message}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
