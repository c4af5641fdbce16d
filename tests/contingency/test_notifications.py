"""Alerts through a real Celery worker on Redis: raised once, resolved, and webhooks signed and retried with backoff
against a local HTTP receiver that fails first; e-mail to the treasury team."""

import json
import threading
import time
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels_app import services as channel_services
from contingency.early_warnings import notifications
from contingency.early_warnings.notifications import deliver_webhook_task, send_alert_email_task
from contingency.models import Alert, WebhookDelivery
from tests.factories import FundingChannelFactory, MembershipFactory, UserFactory

D = Decimal


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 500 to the first `failures` tries of each delivery, then 204."""

    def __init__(self, failures: int):
        self.failures = failures
        self.requests: list[tuple[float, dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((time.monotonic(), dict(self.headers), body))
                delivery = self.headers["X-Financeplanner-Delivery"]
                tries = sum(
                    1 for _, headers, _ in receiver.requests if headers["X-Financeplanner-Delivery"] == delivery
                )
                self.send_response(500 if tries <= receiver.failures else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/financeplanner"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver(failures=2)
    yield receiver
    receiver.stop()


def wait_for(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def platform_line(company):
    return FundingChannelFactory(
        company=company, name="QuickLoan", channel_type="small_loan_platform", limit=D("1000000.00")
    )


WORKER_ENV = {
    "WEBHOOK_RETRY_BASE_SECONDS": "0.5",
    "WEBHOOK_ALLOW_HTTP": "true",
    "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",  # the local receiver; webhooks refuse loopback otherwise
    "WARNINGS_DEBOUNCE_SECONDS": "0",
}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_draws_raise_one_alert_through_the_worker_and_a_repayment_resolves_it(company, start_worker, settings):
    settings.WARNINGS_DEBOUNCE_SECONDS = 0
    channel = platform_line(company)
    worker = start_worker("warnings", extra_env=WORKER_ENV)
    channel_services.channel_draw(channel=channel, amount=D("950000.00"), date=date(2026, 2, 1), by=None)
    wait_for(lambda: Alert.objects.filter(company=company, indicator="platform_utilisation").exists(), what="alert")
    channel_services.channel_draw(channel=channel, amount=D("10000.00"), date=date(2026, 2, 2), by=None)
    wait_for(
        lambda: Alert.objects.get(company=company, indicator="platform_utilisation").value == D("0.060000"),
        what="the open alert to follow the value",
    )
    assert Alert.objects.filter(company=company, indicator="platform_utilisation").count() == 1
    channel_services.channel_repay(channel=channel, amount=D("900000.00"), date=date(2026, 3, 1), by=None)
    wait_for(
        lambda: Alert.objects.get(company=company, indicator="platform_utilisation").resolved_at is not None,
        what="resolution",
    )
    assert "evaluate_company_task" in worker.output()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_webhook_is_signed_and_retried_with_backoff_until_the_receiver_accepts(
    company, start_worker, settings, receiver
):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WARNINGS_DEBOUNCE_SECONDS = 0
    webhook = notifications.webhook_create(company=company, name="ERP", url=receiver.url)
    channel = platform_line(company)
    start_worker("webhooks", extra_env=WORKER_ENV)
    channel_services.channel_draw(channel=channel, amount=D("950000.00"), date=date(2026, 2, 1), by=None)

    alert = None

    def delivered():
        nonlocal alert
        alert = Alert.objects.filter(company=company, indicator="platform_utilisation").first()
        return (
            alert is not None
            and WebhookDelivery.objects.filter(alert=alert, status=WebhookDelivery.Status.SUCCEEDED).exists()
        )

    wait_for(delivered, what="the webhook delivery")
    delivery = WebhookDelivery.objects.get(alert=alert)
    assert delivery.attempts == 3
    assert [a["status_code"] for a in delivery.attempt_log] == [500, 500, 204]
    ours = [r for r in receiver.requests if json.loads(r[2])["id"] == delivery.pk]
    assert len(ours) == 3
    for _, headers, body in ours:
        assert body == delivery.body.encode()  # every retry sends the same bytes
        assert notifications.signature_valid(webhook.secret, body, headers["X-Financeplanner-Signature"])
        assert not notifications.signature_valid("another-secret", body, headers["X-Financeplanner-Signature"])
        assert headers["X-Financeplanner-Event"] == "alert.raised"
        assert headers["X-Financeplanner-Delivery"] == str(delivery.pk)
    payload = json.loads(ours[0][2])
    assert (payload["event"], payload["company"], payload["alert"]["id"]) == ("alert.raised", company.slug, alert.pk)
    assert payload["alert"]["severity"] == "red"
    # Exponential backoff: 0.5 s, then 1 s between attempts (the worker schedules them; allow for its latency).
    gaps = [b[0] - a[0] for a, b in zip(ours, ours[1:], strict=False)]
    assert gaps[0] >= 0.45 and gaps[1] >= 0.95, gaps


@pytest.mark.django_db
def test_a_webhook_that_never_answers_is_given_up_after_the_retries(company, settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    receiver = Receiver(failures=100)
    try:
        webhook = notifications.webhook_create(company=company, name="Down", url=receiver.url)
        delivery = notifications.webhook_delivery_create(webhook=webhook, alert=None, event="ping")
        deliver_webhook_task.apply(args=(delivery.pk,))  # inline: one attempt, no retry that would block
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 1, 500)
    finally:
        receiver.stop()


def test_backoff_doubles_and_is_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_SECONDS = 30, 3600
    assert [notifications.retry_countdown(n) for n in range(9)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@pytest.mark.django_db
def test_webhooks_need_https_in_production_and_only_admins_manage_them(
    company, company_admin, treasurer, api_as, settings
):
    settings.WEBHOOK_ALLOW_HTTP = False
    client = api_as(company_admin)
    refused = client.post("/api/v1/webhooks/", {"name": "ERP", "url": "http://erp.example.com/hook"})
    assert refused.status_code == 400 and "url" in refused.json()
    created = client.post("/api/v1/webhooks/", {"name": "ERP", "url": "https://erp.example.com/hook"})
    assert created.status_code == 201 and len(created.json()["secret"]) >= 40
    assert "secret" not in client.get(f"/api/v1/webhooks/{created.json()['id']}/").json()
    assert api_as(treasurer).get("/api/v1/webhooks/").status_code == 403


@pytest.mark.django_db
def test_alert_email_goes_to_admins_and_treasurers_and_drill_watchers(company, mailoutbox, viewer, treasurer):
    MembershipFactory(company=company, role="admin", user=UserFactory(username="boss", email="boss@example.com"))
    MembershipFactory(company=company, role="analyst", notify_on_failed_drill=True,
                      user=UserFactory(username="watcher", email="watcher@example.com"))  # fmt: skip
    utilisation = Alert.objects.create(
        company=company, indicator="platform_utilisation", key="channel:1", severity="red", message="95% drawn"
    )
    send_alert_email_task.apply(args=(utilisation.pk, "raised"))
    assert sorted(mailoutbox[0].to) == ["boss@example.com", treasurer.email]
    assert "95% drawn" in mailoutbox[0].body and "RED" in mailoutbox[0].subject
    drill = Alert.objects.create(
        company=company, indicator="failed_drill", key="schedule:1", severity="red", message="x"
    )
    send_alert_email_task.apply(args=(drill.pk, "raised"))
    assert "watcher@example.com" in mailoutbox[1].to
    assert viewer.email not in mailoutbox[0].to + mailoutbox[1].to
