"""Webhooks cannot be turned against the network the worker runs in (SSRF), performed against 127.0.0.1 only:
no redirect is followed, loopback / private / link-local targets are refused without sending, and the delivery log
an admin reads holds no address, port or exception text."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from contingency.early_warnings import notifications
from contingency.early_warnings.notifications import deliver_webhook_task
from contingency.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


class Server:
    """An HTTP server on 127.0.0.1 that answers every POST with `status` (and `location`), counting what it got."""

    def __init__(self, status: int = 204, location: str | None = None):
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's naming
                server.hits += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                """Quiet: the test reads what the server received, not its log."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    started = []

    def start(**kwargs):
        started.append(Server(**kwargs))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def plain_http(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_HOSTS = []
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    return settings


def deliver(company, url):
    # Stored as an admin could have left it (e.g. a public name that now resolves inside): delivery checks again.
    webhook = Webhook.objects.create(company=company, name=f"hook-{url}", url=url, secret="s3cret")
    delivery = notifications.webhook_delivery_create(webhook=webhook, alert=None, event="ping")
    deliver_webhook_task.apply(args=(delivery.pk,))
    delivery.refresh_from_db()
    return delivery


def test_a_redirect_is_not_followed(company, plain_http, servers):
    inside = servers()
    outside = servers(status=302, location=inside.url)
    plain_http.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]  # even to a host that is allowed
    delivery = deliver(company, outside.url)
    assert (outside.hits, inside.hits) == (1, 0)
    assert delivery.status == "failed" and delivery.response_status == 302
    assert delivery.attempt_log[0]["error"] == "HTTP 3xx"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_loopback_is_refused_without_sending(company, plain_http, servers, host):
    target = servers()
    url = target.url.replace("127.0.0.1", host)
    delivery = deliver(company, url)
    assert target.hits == 0
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.attempt_log[0]["error"] == "address not allowed"


@pytest.mark.parametrize("url", ["http://10.255.255.1:8080/hook", "http://169.254.169.254/latest/meta-data/"])
def test_private_and_link_local_addresses_are_refused_without_connecting(company, plain_http, url):
    delivery = deliver(company, url)
    # Connecting would have timed out (nothing answers there): refused before any packet is sent.
    assert delivery.attempt_log[0]["error"] == "address not allowed"
    assert delivery.status == "failed" and delivery.attempt_log[0]["ms"] < 1000


def test_the_delivery_log_names_no_address_or_port(company, plain_http):
    plain_http.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delivery = deliver(company, f"http://127.0.0.1:{port}/hook")
    logged = json.dumps(delivery.attempt_log)
    assert delivery.attempt_log[0]["error"] == "connection failed"
    assert str(port) not in logged and "127.0.0.1" not in logged and "Errno" not in logged


def test_a_server_error_is_logged_generically(company, plain_http, servers):
    plain_http.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    target = servers(status=503)
    delivery = deliver(company, target.url)
    assert target.hits == 1
    assert (delivery.response_status, delivery.attempt_log[0]["error"]) == (503, "HTTP 5xx")


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1/hook", "https://localhost/hook", "https://10.0.0.5/hook", "https://169.254.169.254/x",
     "https://[::1]/hook", "https://192.168.1.10/hook"],
)  # fmt: skip
def test_an_internal_address_is_refused_when_the_webhook_is_saved(company, company_admin, api_as, settings, url):
    settings.WEBHOOK_ALLOW_HTTP, settings.WEBHOOK_ALLOWED_HOSTS = False, []
    response = api_as(company_admin).post("/api/v1/webhooks/", {"name": "ERP", "url": url}, format="json")
    assert response.status_code == 400 and "url" in response.json()


def test_an_operator_allows_an_internal_host(company, company_admin, api_as, settings):
    settings.WEBHOOK_ALLOW_HTTP, settings.WEBHOOK_ALLOWED_HOSTS = False, ["10.0.0.0/8"]
    response = api_as(company_admin).post(
        "/api/v1/webhooks/", {"name": "ERP", "url": "https://10.0.0.5/hook"}, format="json"
    )
    assert response.status_code == 201


def test_only_admins_manage_webhooks(company, company_admin, treasurer, api_as, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    hook = api_as(company_admin).post(
        "/api/v1/webhooks/", {"name": "ERP", "url": "https://erp.example.com/hook"}, format="json"
    )
    assert hook.status_code == 201
    pk = hook.json()["id"]
    client = api_as(treasurer)
    assert client.post("/api/v1/webhooks/", {"name": "Mine", "url": "https://x.example.com/"}).status_code == 403
    assert client.patch(f"/api/v1/webhooks/{pk}/", {"url": "https://evil.example.com/"}).status_code == 403
    assert client.post(f"/api/v1/webhooks/{pk}/ping/").status_code == 403
    assert client.get(f"/api/v1/webhooks/{pk}/deliveries/").status_code == 403
    assert client.delete(f"/api/v1/webhooks/{pk}/").status_code == 403
    assert WebhookDelivery.objects.count() == 0


def test_https_is_checked_against_the_host_name(company, plain_http, servers):
    plain_http.WEBHOOK_ALLOW_HTTP, plain_http.WEBHOOK_ALLOWED_HOSTS = False, ["127.0.0.1"]
    target = servers()  # plain HTTP: no certificate for anybody
    delivery = deliver(company, target.url.replace("http://", "https://"))
    assert target.hits == 0
    assert delivery.attempt_log[0]["error"] == "TLS failed"


def test_plain_http_is_refused_at_delivery_in_production(company, plain_http, servers):
    plain_http.WEBHOOK_ALLOW_HTTP, plain_http.WEBHOOK_ALLOWED_HOSTS = False, ["127.0.0.1"]
    target = servers()
    delivery = deliver(company, target.url)
    assert target.hits == 0 and delivery.attempt_log[0]["error"] == "address not allowed"
