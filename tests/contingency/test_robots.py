"""DingTalk and WeCom group robots: configured by admins per company, the alerts posted to a real HTTP server on
127.0.0.1 (allowed explicitly), DingTalk's signature recomputed from its documented scheme, no redirect followed."""

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels_app import services as channel_services
from contingency.early_warnings import robots
from contingency.models import AlertRobot, RobotDelivery
from tests.factories import CounterpartyFactory, FundingChannelFactory

pytestmark = pytest.mark.django_db

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"


class Receiver:
    """A chat server stand-in: records every POST (path, query, body) and answers as told."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answer: tuple[int, dict, dict] = (200, {"errcode": 0, "errmsg": "ok"}, {})
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                parts = urllib.parse.urlsplit(self.path)
                receiver.requests.append(
                    {"path": parts.path, "query": urllib.parse.parse_qs(parts.query), "raw_query": parts.query,
                     "body": json.loads(self.rfile.read(length)), "received_ms": int(time.time() * 1000)}
                )  # fmt: skip
                code, body, headers = receiver.answer
                payload = json.dumps(body).encode()
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                """Quiet: the test reads what the server received, not its log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path_and_query: str) -> str:
        return f"http://127.0.0.1:{self.port}{path_and_query}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    # The test's own server is on loopback over plain http: allowed here explicitly, refused by default.
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    server = Receiver()
    yield server
    server.close()


def robot_body(receiver, kind="dingtalk", **extra):
    path = "/robot/send?access_token=tok123" if kind == "dingtalk" else "/cgi-bin/webhook/send?key=key-456"
    return {"name": f"Treasury {kind}", "kind": kind, "url": receiver.url(path), **extra}


def record_freeze(company, name="QuickLoan [line](http://evil.example)"):
    lender = CounterpartyFactory(company=company, name="QuickLoan", kind="platform")
    channel = FundingChannelFactory(company=company, counterparty=lender, name=name, channel_type="small_loan_platform")
    channel_services.channel_event_record(
        channel=channel, kind="freeze", date=date(2026, 3, 1), reason="<b>score</b> *dropped*", freeze_days=14, by=None
    )


def test_dingtalk_alerts_are_signed_as_dingtalk_documents(
    receiver, company, company_admin, api_as, django_capture_on_commit_callbacks
):
    created = api_as(company_admin).post("/api/v1/robots/", robot_body(receiver, secret=SECRET), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["signed"] is True and "secret" not in created.json() and "url" not in created.json()
    assert "tok123" not in created.json()["url_hint"]
    with django_capture_on_commit_callbacks(execute=True):
        record_freeze(company)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/robot/send" and request["query"]["access_token"] == ["tok123"]
    # DingTalk's scheme: sign = urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\n{secret}"))).
    timestamp = request["query"]["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request["query"]["sign"] == [expected]
    assert f"sign={urllib.parse.quote_plus(expected)}" in request["raw_query"]  # URL-encoded on the wire
    assert abs(int(timestamp) - request["received_ms"]) < 60_000  # milliseconds, now (DingTalk allows an hour)
    body = request["body"]
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
    text = body["markdown"]["text"]
    assert "[RED]" in body["markdown"]["title"] and "lender action" in body["markdown"]["title"]
    assert "froze for 14 day(s)" in text
    # User text cannot make a link, a tag or emphasis in the chat.
    assert "](http" not in text and "<b>" not in text and "*dropped*" not in text
    assert "＜b＞score＜/b＞ ＊dropped＊" in text
    delivery = RobotDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 1, 200)


def test_wecom_alerts_post_markdown_to_the_keyed_address(
    receiver, company, company_admin, api_as, django_capture_on_commit_callbacks
):
    assert (
        api_as(company_admin).post("/api/v1/robots/", robot_body(receiver, "wecom"), format="json").status_code == 201
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_freeze(company, name="QuickLoan line")
    request = receiver.requests[0]
    assert request["path"] == "/cgi-bin/webhook/send" and request["query"] == {"key": ["key-456"]}
    assert request["body"]["msgtype"] == "markdown"
    content = request["body"]["markdown"]["content"]
    assert "QuickLoan froze for 14 day(s) QuickLoan line on 2026-03-01" in content
    assert len(content.encode()) <= 4096


def test_a_robot_error_code_is_a_failed_attempt(receiver, company, company_admin, api_as):
    robot = api_as(company_admin).post("/api/v1/robots/", robot_body(receiver, secret="wrong"), format="json").json()
    receiver.answer = (200, {"errcode": 310000, "errmsg": "sign not match"}, {})
    delivery = api_as(company_admin).post(f"/api/v1/robots/{robot['id']}/ping/").json()
    attempt = robots.robot_attempt(delivery["id"])
    assert (attempt.delivered, attempt.retry, attempt.error) == (False, True, "robot error 310000")
    log = api_as(company_admin).get(f"/api/v1/robots/{robot['id']}/deliveries/").json()["results"][0]
    assert log["attempts"] >= 1 and log["attempt_log"][-1]["error"] == "robot error 310000"


def test_a_redirect_is_not_followed(receiver, company, company_admin, api_as):
    robot = api_as(company_admin).post("/api/v1/robots/", robot_body(receiver, "wecom"), format="json").json()
    receiver.answer = (302, {}, {"Location": receiver.url("/elsewhere?key=x")})
    delivery = robots.robot_test(robot=AlertRobot.objects.get(pk=robot["id"]))
    attempt = robots.robot_attempt(delivery.pk)
    assert (attempt.delivered, attempt.error) == (False, "HTTP 3xx")
    assert [r["path"] for r in receiver.requests] == ["/cgi-bin/webhook/send"]


def test_internal_and_plain_http_addresses_are_refused(company, company_admin, api_as, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOWED_HOSTS = []
    client = api_as(company_admin)
    plain = client.post("/api/v1/robots/", {"name": "a", "kind": "wecom",
                                             "url": "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"})  # fmt: skip
    assert plain.status_code == 400 and "url" in plain.json()
    internal = client.post("/api/v1/robots/", {"name": "b", "kind": "dingtalk",
                                                "url": "https://127.0.0.1/robot/send?access_token=t"})  # fmt: skip
    assert internal.status_code == 400 and "url" in internal.json()
    no_token = client.post("/api/v1/robots/", {"name": "c", "kind": "dingtalk",
                                                "url": "https://oapi.dingtalk.com/robot/send"})  # fmt: skip
    assert no_token.status_code == 400 and "access_token" in json.dumps(no_token.json())
    assert not AlertRobot.objects.exists()


def test_only_admins_of_the_company_see_and_manage_its_robots(
    company, company_admin, treasurer, outsider, api_as, settings
):
    robot = AlertRobot.objects.create(
        company=company, name="Group", kind="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1"
    )
    assert api_as(treasurer).get("/api/v1/robots/").status_code == 403
    body = {"name": "Mine", "kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k2"}
    assert api_as(treasurer).post("/api/v1/robots/", body, format="json").status_code == 403
    assert api_as(outsider).get("/api/v1/robots/").json()["results"] == []
    assert api_as(outsider).get(f"/api/v1/robots/{robot.pk}/").status_code == 404
    assert api_as(outsider).delete(f"/api/v1/robots/{robot.pk}/").status_code == 404
    listed = api_as(company_admin).get("/api/v1/robots/").json()["results"]
    assert [(r["name"], r["url_hint"]) for r in listed] == [
        ("Group", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?…")
    ]
    assert AlertRobot.objects.filter(pk=robot.pk).exists()


def test_nothing_is_posted_by_a_disabled_robot(receiver, company, django_capture_on_commit_callbacks):
    AlertRobot.objects.create(
        company=company, name="Off", kind="wecom", url=receiver.url("/cgi-bin/webhook/send?key=k"), enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_freeze(company, name="Line")
    assert receiver.requests == [] and not RobotDelivery.objects.exists()
