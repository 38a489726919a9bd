"""Production on several hosts: two web servers and a worker, each with its own instance folder
and no shared disk, talking only through PostgreSQL and Redis (SPEC §4)."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import SERVER_BROKER_URL, SERVER_DATABASE_URL, WorkerProcess, wait_for
from tests.factories import PASSWORD
from tests.live import WebServer, call, token_for

pytestmark = [
    pytest.mark.several_hosts,
    pytest.mark.worker,
    pytest.mark.crash,
    pytest.mark.skipif(
        not (SERVER_DATABASE_URL or "").startswith("postgres")
        or not (SERVER_BROKER_URL or "").startswith("redis"),
        reason="several hosts share only PostgreSQL and Redis",
    ),
]


def _host_env(worker_env: dict[str, str], folder: Path) -> dict[str, str]:
    """One host: its own instance folder (and so its own index folder); the site's secret."""
    folder.mkdir()
    env = dict(worker_env)
    env.update(
        {
            "MARKETPLACE_INSTANCE_DIR": str(folder),
            "SEARCH_INDEX_DIR": str(folder / "search-index"),
            "SECRET_KEY": "several-hosts-test-secret-shared-by-the-site-only",
        }
    )
    return env


class Browser:
    """A cookie-keeping client for the HTML forms (sign-in with its CSRF token)."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, url: str) -> tuple[int, str]:
        status, body = self.get_bytes(url)
        return status, body.decode()

    def get_bytes(self, url: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post_file(self, url: str, token_page: str, field: str, filename: str, data: bytes) -> int:
        """A form's single-file upload, with the CSRF token of ``token_page``."""
        _status, page = self.get(token_page)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page[:2000]
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                f"{token.group(1)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{field}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def login(self, base: str, email: str) -> int:
        _status, page = self.get(base + "/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        assert token, page[:2000]
        data = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
        ).encode()
        try:
            with self.opener.open(base + "/login", data=data, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _publish(server: WebServer, author_token: str, admin_token: str, title: str) -> int:
    status, body = call(
        server.url + "/api/v1/achievements",
        "POST",
        {
            "title": title,
            "summary": "采用陶瓷膜与反渗透组合工艺处理印染废水。",
            "field": "environment",
            "maturity": 6,
            "ip_type": "invention_patent",
            "modes": ["transfer"],
            "price": "300000.00",
            "keywords": ["印染废水"],
        },
        author_token,
    )
    assert status == 201, body
    listing_id = int(body["id"])
    status, body = call(
        f"{server.url}/api/v1/achievements/{listing_id}/submit", "POST", {}, author_token
    )
    assert status == 200, body
    status, body = call(
        f"{server.url}/api/v1/achievements/{listing_id}/review",
        "POST",
        {"decision": "approve"},
        admin_token,
    )
    assert status == 200, body
    return listing_id


def _found(server: WebServer, q: str) -> set[int]:
    status, body = call(
        server.url
        + "/api/v1/search?"
        + urllib.parse.urlencode({"q": q, "kind": "all", "per_page": 100})
    )
    assert status == 200, body
    return {item["id"] for item in body["items"]}


# A PDF larger than one streamed slice of a stored file (marketplace.storage.CHUNK_BYTES).
BIG_PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    + b"".join(b"%% padding line %06d\n" % n for n in range(20_000))
    + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def test_two_web_hosts_and_a_worker_share_only_the_database_and_broker(
    app: Any, make_user: Any, worker_env: dict[str, str], tmp_path: Path
) -> None:
    from marketplace.extensions import db
    from marketplace.listings.models import Attachment, Listing

    researcher = make_user("researcher")
    admin = make_user("admin")
    enterprise = make_user("enterprise")
    emails = {
        name: user.email
        for name, user in (("researcher", researcher), ("admin", admin), ("enterprise", enterprise))
    }
    db.session.commit()

    hosts = {name: _host_env(worker_env, tmp_path / name) for name in ("web1", "web2", "work")}
    worker = WorkerProcess(hosts["work"], "default,search", tmp_path / "worker.log")
    web1 = WebServer(hosts["web1"], tmp_path / "web1.log")
    web2 = WebServer(hosts["web2"], tmp_path / "web2.log")
    processes = [worker, web1, web2]
    try:
        web1.wait_ready()
        web2.wait_ready()

        # An API token issued by one host works on the other.
        author = token_for(web1, emails["researcher"], PASSWORD)
        reviewer = token_for(web2, emails["admin"], PASSWORD)
        status, body = call(web2.url + "/api/v1/me", token=author)
        assert status == 200 and body["email"] == emails["researcher"], body
        assert call(web2.url + "/api/v1/me", token="not-a-token")[0] == 401

        # A session signed in on one host is signed in on the other.
        browser = Browser()
        assert browser.login(web1.url, emails["enterprise"]) == 302
        assert browser.get(web2.url + "/account")[0] == 200
        assert Browser().get(web2.url + "/account")[0] == 302  # and without it: sign in first

        # Published through one host, found through the other within 5 s (and through itself).
        listing_id = _publish(web1, author, reviewer, "印染废水膜分离回用成套技术")
        wait_for(
            lambda: listing_id in _found(web2, "印染废水 膜分离"),
            timeout=5,
            message="listing published on web1 found on web2",
        )
        assert listing_id in _found(web1, "印染废水")

        # A file uploaded through one host downloads through the other: its bytes are in the
        # database, not on the disk of the host that received it.
        owner = Browser()
        assert owner.login(web1.url, emails["researcher"]) == 302
        assert (
            owner.post_file(
                f"{web1.url}/listings/{listing_id}/attachments",
                f"{web1.url}/achievements/{listing_id}",
                "file",
                "工艺说明.pdf",
                BIG_PDF,
            )
            == 302
        )
        db.session.remove()
        attachment_id = db.session.execute(
            sa.select(Attachment.id).where(Attachment.listing_id == listing_id)
        ).scalar_one()
        status, body = Browser().get_bytes(f"{web2.url}/attachments/{attachment_id}")
        assert status == 200 and body == BIG_PDF
        status, body = owner.get_bytes(f"{web2.url}/attachments/{attachment_id}")
        assert status == 200 and body == BIG_PDF
        for name in ("web1", "web2", "work"):
            assert not (tmp_path / name / "uploads").exists(), name

        # The matching worker builds its own index; web hosts keep no index files.
        wait_for(
            lambda: (tmp_path / "work" / "search-index" / "CURRENT").exists(),
            timeout=60,
            message="the worker's own index",
        )
        for name in ("web1", "web2"):
            assert not (tmp_path / name / "search-index").exists(), name

        # Killing one web host loses nothing written through the other, before or during.
        acknowledged: list[int] = []
        errors: list[str] = []
        stop = threading.Event()

        def write_through_web1() -> None:
            n = 0
            while not stop.is_set():
                n += 1
                status, body = call(
                    web1.url + "/api/v1/achievements",
                    "POST",
                    {
                        "title": f"多主机写入测试{n}",
                        "summary": "多主机写入测试的成果摘要。",
                        "field": "environment",
                        "maturity": 5,
                        "ip_type": "invention_patent",
                        "modes": ["transfer"],
                        "price": "1000.00",
                        "keywords": ["写入"],
                    },
                    author,
                )
                if status == 201:
                    acknowledged.append(int(body["id"]))
                else:
                    errors.append(f"{status} {body}")

        thread = threading.Thread(target=write_through_web1, daemon=True)
        thread.start()
        wait_for(
            lambda: len(acknowledged) >= 5, timeout=60, interval=0.02, message="writes under way"
        )
        web2.kill()
        count_at_kill = len(acknowledged)
        wait_for(
            lambda: len(acknowledged) >= count_at_kill + 5,
            timeout=60,
            interval=0.02,
            message="web1 keeps writing after web2 died",
        )
        stop.set()
        thread.join(timeout=60)
        assert errors == [], errors[:3]
        db.session.remove()
        stored = set(
            db.session.execute(
                sa.select(Listing.id).where(Listing.id.in_([*acknowledged, listing_id]))
            ).scalars()
        )
        assert stored == set(acknowledged) | {listing_id}
        status, body = call(f"{web1.url}/api/v1/achievements/{acknowledged[-1]}", token=author)
        assert status == 200 and body["title"].startswith("多主机写入测试")
        assert listing_id in _found(web1, "印染废水")
        assert web1.errors() == [] and worker.proc.poll() is None
    finally:
        for process in processes:
            process.stop()
