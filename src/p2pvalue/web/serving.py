"""`p2pvalue serve --workers N`: one node served by N processes sharing one port.

Uvicorn's own supervisor runs the workers: it binds the port once, hands the listening
socket to N spawned processes (the kernel gives each connection to one of them), and starts
a new worker in place of one that died, even of SIGKILL. Each worker builds its own `Node`
from the environment the supervisor was started with (`app_from_environment`). Several
processes need a database they can all write to (PostgreSQL) and a Redis server that tells
each worker what the others committed and what they did to the live documents.
"""

from __future__ import annotations

import atexit
import gc
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from p2pvalue.config import load_config
from p2pvalue.errors import P2PError
from p2pvalue.node import Node

ENVIRONMENT = "P2PVALUE_SERVE"  # the workers' settings, as JSON
METRICS_DIR = "metrics"
# How long a worker may take to answer the supervisor's ping before it is killed and
# replaced: a new worker answers only once it has imported everything, which takes more
# than uvicorn's default 5 s on a loaded machine.
HEALTHCHECK_S = 60  # under the data folder: prometheus-client's multiprocess files


@dataclass(frozen=True)
class Serving:
    """What every worker of `p2pvalue serve` is started with."""

    data: str
    database_url: str | None = None
    public_url: str | None = None
    redis_url: str | None = None
    sync_every: float = 30.0
    json_logs: bool = False


def check_workers(url: str, workers: int, redis_url: str | None) -> None:
    """Refuse, in one sentence, what several workers cannot share."""
    if workers < 1:
        raise P2PError("bad_workers", "--workers is 1 or more")
    if workers == 1:
        return
    if not url.startswith("postgresql"):
        raise P2PError(
            "single_process_database",
            "SQLite serves one process: give a PostgreSQL --database-url to run several workers",
        )
    if not redis_url:
        raise P2PError(
            "no_redis", "several workers share what they commit through Redis: give --redis-url"
        )


def run_workers(serving: Serving, host: str, port: int, workers: int) -> None:
    """Serve the node with `workers` processes until SIGTERM or Ctrl-C."""
    import uvicorn

    from p2pvalue.web.app import SERVER_SETTINGS

    metrics_dir = Path(serving.data) / METRICS_DIR
    shutil.rmtree(metrics_dir, ignore_errors=True)  # counters of a previous run are gone
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    os.environ[ENVIRONMENT] = json.dumps(serving.__dict__)
    uvicorn.run(
        "p2pvalue.web.serving:app_from_environment", factory=True, host=host, port=port,
        workers=workers, log_config=log_config(serving.json_logs),
        timeout_worker_healthcheck=HEALTHCHECK_S, **SERVER_SETTINGS,
    )  # fmt: skip


def app_from_environment() -> FastAPI:
    """One worker's application, its node built from the supervisor's settings; the node
    is closed when the worker exits."""
    from p2pvalue.web.app import create_app

    serving = Serving(**json.loads(os.environ[ENVIRONMENT]))
    config = load_config(
        Path(serving.data), serving.database_url, serving.public_url, serving.redis_url
    )
    node = Node(config)
    atexit.register(node.close)
    app = create_app(node, sync_every=serving.sync_every)
    gc.collect()
    gc.freeze()  # see `web.app.run_server`
    return app


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, worker, message (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "worker": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def log_config(json_lines: bool) -> dict[str, Any]:
    """Logging for uvicorn and the node: uvicorn's own lines, or JSON lines on stderr."""
    from uvicorn.config import LOGGING_CONFIG

    if not json_lines:
        return LOGGING_CONFIG
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": {
            name: {"handlers": [], "level": "INFO", "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
