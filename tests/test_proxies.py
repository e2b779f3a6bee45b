"""The reverse proxies docs/scaling.md documents, run as written there (only the addresses,
ports and certificate changed) in front of `p2pvalue serve --workers 2` on PostgreSQL and
Redis: nginx over TLS, and Caddy. Through each, pages and the API answer, a live feed
stream (server-sent events) brings a post within a second (nothing buffered), and two
real Yjs clients edit one document over websockets and see each other.

Skipped, saying why, where nginx or caddy is not installed (`scripts/check` installs them
when it may)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import httpx
import orjson
import pytest

from conftest import PG_ENV, redis_or_skip, reset_postgres
from federation.cluster import free_port, wait_for
from p2pvalue.config import init_data_dir
from web.client import ApiClient
from web.yjs_node import YClient
from web.ypeer import community

if TYPE_CHECKING:
    from starlette.testclient import TestClient

pytestmark = pytest.mark.slow
DOC = Path(__file__).resolve().parents[1] / "docs" / "scaling.md"
START_SECONDS = 240.0  # spawned workers import everything anew: slow on a loaded machine
PASSWORD = "correct horse battery"


def documented(language: str) -> str:
    """The one block of `language` in docs/scaling.md."""
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1, f"docs/scaling.md has {len(blocks)} {language} blocks, not one"
    return str(blocks[0])


def changed(text: str, old: str, new: str, count: int = 1) -> str:
    """`text` with `old` (a regular expression) replaced: it must be found `count` times,
    so that a change to the documented configuration is noticed here."""
    result, found = re.subn(old, new, text)
    assert found == count, f"docs/scaling.md: {old!r} found {found} times, not {count}"
    return result


@pytest.fixture
def node_url(tmp_path: Path) -> Iterator[str]:
    """`p2pvalue serve --workers 2` on PostgreSQL and Redis; its URL."""
    database = os.environ.get(PG_ENV)
    if not database:
        pytest.skip(f"several workers need PostgreSQL: {PG_ENV} is not set")
    redis_url = redis_or_skip(12)
    reset_postgres(database)
    data = init_data_dir(tmp_path / "node", database).data_dir
    port = free_port()
    command = [sys.executable, "-m", "p2pvalue", "serve", "--data", str(data),
               "--database-url", database, "--redis-url", redis_url,
               "--port", str(port), "--workers", "2"]  # fmt: skip
    with (data / "serve.log").open("ab") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url, None), START_SECONDS, "the workers to start")
        yield url
    finally:
        _stop(server)


def _answers(url: str, verify: ssl.SSLContext | None) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5, verify=verify or True).is_success
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.skip(f"{name} is not installed (apt-get install {name}; scripts/check does it)")
    return found


@pytest.fixture
def nginx(node_url: str, tmp_path: Path) -> Iterator[tuple[str, ssl.SSLContext, Path]]:
    """nginx with docs/scaling.md's configuration over TLS (a certificate made here) in
    front of the workers; its URL, the context trusting its certificate, the certificate."""
    binary = _binary("nginx")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True,
    )  # fmt: skip
    port, upstream = free_port(), node_url.removeprefix("http://")
    site = documented("nginx")
    site = changed(site, r"server 10\.0\.0\.1\d:8000;", f"server {upstream};", count=2)
    site = changed(site, r"listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    site = changed(site, r"/etc/letsencrypt/live/node\.example/fullchain\.pem", str(cert))
    site = changed(site, r"/etc/letsencrypt/live/node\.example/privkey\.pem", str(key))
    (tmp_path / "p2pvalue.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(_nginx_main(tmp_path))
    command = [binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
               "-e", str(tmp_path / "error.log")]  # fmt: skip
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proxy = subprocess.Popen(command, stderr=subprocess.PIPE)
    url, trust = f"https://127.0.0.1:{port}", ssl.create_default_context(cafile=str(cert))
    try:
        wait_for(lambda: _answers(url, trust), 30, "nginx to answer")
        yield url, trust, cert
    finally:
        _stop(proxy)
        assert proxy.stderr is not None
        proxy.stderr.close()


def _nginx_main(folder: Path) -> str:
    """The main configuration a Debian nginx would have around the site's, kept in `folder`
    (nginx runs in the foreground, as this user)."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        f"events {{}}\nhttp {{\n    access_log {folder / 'access.log'};\n{temp}"
        f"    include {folder / 'p2pvalue.conf'};\n}}\n"
    )


@pytest.fixture
def caddy(node_url: str, tmp_path: Path) -> Iterator[str]:
    """Caddy with docs/scaling.md's configuration in front of the workers, over plain HTTP
    on a loopback port (it would get a certificate for a real name itself); its URL."""
    binary = _binary("caddy")
    port, upstream = free_port(), node_url.removeprefix("http://")
    site = documented("caddy")
    site = changed(site, r"^node\.example \{", f"http://127.0.0.1:{port} {{")
    site = changed(site, r"10\.0\.0\.1\d:8000", upstream, count=2)
    options = "{\n\tadmin off\n\tstorage file_system " + str(tmp_path / "state") + "\n}\n"
    (tmp_path / "Caddyfile").write_text(options + site)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}  # fmt: skip
    command = [binary, "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"]
    with (tmp_path / "caddy.log").open("ab") as out:
        proxy = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url, None), 30, "caddy to answer")
        yield url
    finally:
        _stop(proxy)


def test_nginx_as_documented_serves_pages_feeds_and_documents(
    nginx: tuple[str, ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, trust, cert = nginx
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(cert))  # the Yjs clients trust it too
    _check_through(url, trust)


def test_caddy_as_documented_serves_pages_feeds_and_documents(caddy: str) -> None:
    _check_through(caddy, None)


def _check_through(url: str, trust: ssl.SSLContext | None) -> None:
    with httpx.Client(base_url=url, timeout=30, verify=trust or True) as http:
        page = http.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        _a_post_reaches_a_feed_at_once(http)
        _yjs_clients_edit_one_document(url, http)


def _a_post_reaches_a_feed_at_once(http: httpx.Client) -> None:
    ana, ben = _member(http, "ana"), _member(http, "ben")
    space = http.post("/api/v1/spaces", json={"name": "Proxied"}, headers=ana).json()["id"]
    assert http.put(f"/api/v1/me/follows/spaces/{space}", headers=ben).is_success
    heard: list[str] = []
    ready, done = threading.Event(), threading.Event()

    def read() -> None:
        with http.stream("GET", "/api/v1/me/feed/stream", headers=ben) as response:
            for line in response.iter_lines():
                ready.set()  # the stream's first line came through, not held in a buffer
                if line.startswith('data: {"id"'):
                    heard.append(orjson.loads(line.removeprefix("data: "))["id"])
                    done.set()
                    return

    threading.Thread(target=read, daemon=True).start()
    assert ready.wait(10), "the feed stream's first line did not come through the proxy"
    time.sleep(0.2)
    action = {"type": "post.create", "content": {"text": "through the proxy"}}
    posted = http.post(f"/api/v1/spaces/{space}/actions", json=action, headers=ana)
    assert posted.status_code == 201, posted.text
    started = time.monotonic()
    assert done.wait(5)
    assert time.monotonic() - started < 1.0
    assert heard == [posted.json()["id"]]


def _yjs_clients_edit_one_document(url: str, http: httpx.Client) -> None:
    alice, bob, _, _, doc = community(ApiClient(cast("TestClient", http)))
    with YClient(url, doc, alice.token, "alice") as one, YClient(url, doc, bob.token, "bob") as two:
        one.wait_synced()
        two.wait_synced()
        one.insert(0, "proxied ")
        two.wait_text("proxied ")
        two.insert(8, "text")
        one.wait_text("proxied text")
        one.wait_users("alice", "bob")
        assert (one.quit(), two.quit()) == (0, 0)


def _member(http: httpx.Client, name: str) -> dict[str, str]:
    body = {"username": name, "password": PASSWORD}
    assert http.post("/api/v1/accounts", json=body).status_code == 201
    token = http.post("/api/v1/sessions", json=body).json()["token"]
    return {"Authorization": f"Bearer {token}"}
