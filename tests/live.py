"""The real web server as a subprocess on the test's database (for browser journeys and crash
tests), and a small JSON client for talking to it."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ManagedProcess


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebServer(ManagedProcess):
    """``python -m marketplace serve`` on a free loopback port, as a user would start it."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(["serve", "--port", str(self.port)], env, log_path)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"web server exited with {self.proc.returncode}:\n" + self.output()[-4000:]
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("web server did not answer /healthz:\n" + self.output()[-4000:])

    def errors(self) -> list[str]:
        """Server-side tracebacks or 5xx access-log lines seen so far."""
        lines = self.output().splitlines()
        return [line for line in lines if "Traceback" in line or '" 50' in line]

    def error_report(self, limit: int = 6000) -> str:
        """The output from the first error line on (the tail alone can miss the traceback)."""
        text = self.output()
        starts = [text.find(marker) for marker in ("Traceback", '" 50') if marker in text]
        return text[min(starts) :][:limit] if starts else text[-limit:]


@pytest.fixture
def start_server(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[[], WebServer]]:
    started: list[WebServer] = []

    def start() -> WebServer:
        server = WebServer(worker_env, tmp_path / f"web-{len(started)}.log")
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()


def call(
    url: str, method: str = "GET", body: Any = None, token: str | None = None, timeout: float = 30.0
) -> tuple[int, Any]:
    """One JSON request; returns (status, parsed body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def token_for(server: WebServer, email: str, password: str) -> str:
    status, body = call(
        server.url + "/api/v1/auth/token", "POST", {"email": email, "password": password}
    )
    assert status == 200, body
    return str(body["token"])


def upload(
    url: str, field: str, filename: str, data: bytes, token: str, timeout: float = 30.0
) -> tuple[int, Any]:
    """One multipart/form-data POST of a single file; returns (status, parsed body)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
