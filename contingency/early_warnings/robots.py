"""DingTalk and WeCom (企业微信) group robots: alerts posted where Chinese treasury teams read, beside e-mail and
signed webhooks (`notifications`). Configured per company by its admins (AlertRobot).

**DingTalk custom robot** (open.dingtalk.com, "自定义机器人 / 加签"): `POST <webhook>?access_token=…` with
`{"msgtype": "markdown", "markdown": {"title": …, "text": …}}`. With the "sign" security setting the query also
carries `timestamp` (milliseconds since the epoch) and `sign` = URL-encoded base64 of HMAC-SHA256, keyed with the
robot's secret, of `timestamp + "\\n" + secret`; DingTalk refuses a timestamp more than an hour off.

**WeCom group robot** (developer.work.weixin.qq.com, "群机器人"): `POST <webhook>?key=…` with
`{"msgtype": "markdown", "markdown": {"content": …}}` (at most 4,096 bytes). The key in the address is the
credential; there is no signature.

Both answer HTTP 200 with `{"errcode": 0, "errmsg": "ok"}`; any other errcode (a wrong signature, a keyword
missing, a rate limit) is a failed attempt and is retried like a webhook (WEBHOOK_RETRY_* settings, exponential).

**Where robots may post**: the robot's address goes through the webhooks' server-side-request-forgery guard
(`delivery`): https only (WEBHOOK_ALLOW_HTTP aside), no redirect followed, the host resolved at every
attempt and refused if any of its addresses is internal unless WEBHOOK_ALLOWED_HOSTS lists it, and the connection
made to the checked address. **User text never becomes markup**: channel names and reasons in an alert's message are
made inert for markdown (the characters that make links, emphasis, headings or HTML tags are replaced by their
full-width forms, which read the same in a chat).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.parse

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from financeplanner.models import Company

from ..models import Alert, AlertRobot, RobotDelivery
from .delivery import AlertEvent, Attempt, attempt_once, check_url, post_pinned, retry_countdown

logger = logging.getLogger(__name__)

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_CHARS = 5000
EVENT_WORDS = {"raised": "raised", "escalated": "escalated to RED", "resolved": "resolved", "ping": "test message"}
# Markdown (and the HTML both robots accept) is made by these characters; their full-width forms are inert.
_INERT = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "[]<>*_`#|~\\"})


def inert(text: str) -> str:
    """User text that a robot's markdown shows as it is: no link, emphasis, heading or tag can be made of it."""
    return str(text).translate(_INERT)


# -- signing ------------------------------------------------------------------------------------------------------


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's `sign`: base64 of HMAC-SHA256(key=secret, message=f"{timestamp}\\n{secret}") (not yet URL-encoded)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_url(robot: AlertRobot, timestamp_ms: int | None = None) -> str:
    """The address to POST to: for a DingTalk robot with a secret, with `timestamp` and `sign` added to its query."""
    if robot.kind != AlertRobot.Kind.DINGTALK or not robot.secret:
        return robot.url
    timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    parts = urllib.parse.urlsplit(robot.url)
    query = urllib.parse.urlencode({"timestamp": timestamp_ms, "sign": dingtalk_sign(robot.secret, timestamp_ms)})
    return urllib.parse.urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))


# -- messages -----------------------------------------------------------------------------------------------------


def message_body(*, robot: AlertRobot, alert: Alert | None, event: str, company: Company) -> str:
    """The JSON message for the robot's kind: a markdown card naming the company, the alert and what happened."""
    word = EVENT_WORDS.get(event, event)
    if alert is None:
        title = f"financeplanner: {inert(company.name)} — {word}"
        lines = [f"### {title}", "", "This group receives the company's liquidity alerts."]
    else:
        title = f"[{alert.severity.upper()}] {inert(company.name)}: {alert.indicator.replace('_', ' ')} {word}"
        value = "—" if alert.value is None else format(alert.value, "f")
        lines = [
            f"### {title}",
            "",
            inert(alert.message),
            "",
            f"- Indicator: {alert.indicator}" + (f" ({inert(alert.key)})" if alert.key else ""),
            f"- Severity: {alert.severity}",
            f"- Value: {value}",
            f"- Raised: {timezone.localtime(alert.created_at):%Y-%m-%d %H:%M %Z}",
            f"- Acknowledge: Alerts in financeplanner, or POST /api/v1/alerts/{alert.pk}/acknowledge/",
        ]
    text = "\n".join(lines)
    if robot.kind == AlertRobot.Kind.WECOM:
        encoded = text.encode()
        if len(encoded) > WECOM_MAX_BYTES:  # WeCom refuses longer content: cut on a character boundary
            text = encoded[: WECOM_MAX_BYTES - 3].decode(errors="ignore") + "…"
        message = {"msgtype": "markdown", "markdown": {"content": text}}
    else:
        message = {"msgtype": "markdown", "markdown": {"title": title[:100], "text": text[:DINGTALK_MAX_CHARS]}}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


# -- configuration ------------------------------------------------------------------------------------------------


def _check(kind: str, url: str, secret: str) -> None:
    if kind not in AlertRobot.Kind.values:
        raise ValidationError({"kind": "A DingTalk or WeCom group robot (dingtalk, wecom)."})
    check_url(url)  # the webhooks' rule: https, no literal internal address unless allowed
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if kind == AlertRobot.Kind.DINGTALK and "access_token" not in query:
        raise ValidationError({"url": "A DingTalk robot's address carries its access_token (copy it from DingTalk)."})
    if kind == AlertRobot.Kind.WECOM and "key" not in query:
        raise ValidationError({"url": "A WeCom robot's address carries its key (copy it from the group's robot)."})
    if kind == AlertRobot.Kind.WECOM and secret:
        raise ValidationError({"secret": "WeCom group robots have no signing secret: leave it empty."})


@transaction.atomic
def robot_create(*, company: Company, name: str, kind: str, url: str, secret: str = "", enabled: bool = True):
    _check(kind, url, secret)
    robot = AlertRobot(company=company, name=name, kind=kind, url=url, secret=secret, enabled=enabled)
    robot.full_clean()
    robot.save()
    return robot


@transaction.atomic
def robot_update(*, robot: AlertRobot, **fields) -> AlertRobot:
    for name, value in fields.items():
        setattr(robot, name, value)
    _check(robot.kind, robot.url, robot.secret)
    robot.full_clean()
    robot.save()
    return robot


def url_hint(url: str) -> str:
    """The address without its credential, for pages and the API: scheme, host and path."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")) + ("?…" if parts.query else "")


# -- what to send (inside the evaluation's transaction) -----------------------------------------------------------


def delivery_create(*, robot: AlertRobot, alert: Alert | None, event: str) -> RobotDelivery:
    body = message_body(robot=robot, alert=alert, event=event, company=robot.company)
    return RobotDelivery.objects.create(robot=robot, alert=alert, event=event, body=body)


def alert_events_post(*, company: Company, events: list[AlertEvent]) -> None:
    """A delivery per enabled robot and alert event (raised, escalated, resolved), sent once committed."""
    robots = list(AlertRobot.objects.for_company(company).filter(enabled=True).select_related("company"))
    for item in events:
        for robot in robots:
            delivery = delivery_create(robot=robot, alert=item.alert, event=item.event)
            transaction.on_commit(lambda pk=delivery.pk: deliver_robot_task.delay(pk), robust=True)


@transaction.atomic
def robot_test(*, robot: AlertRobot) -> RobotDelivery:
    """Post a test message, so an admin sees the robot is wired (and, for DingTalk, that the secret is right)."""
    delivery = delivery_create(robot=robot, alert=None, event="ping")
    transaction.on_commit(lambda: deliver_robot_task.delay(delivery.pk), robust=True)
    return delivery


# -- sending (in the Celery task) ---------------------------------------------------------------------------------


ROBOT_HEADERS = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "financeplanner-robots/1"}


def _errcode(answer: bytes) -> int | None:
    try:
        return int(json.loads(answer.decode()).get("errcode"))
    except (ValueError, TypeError, AttributeError):
        return None


def robot_attempt(delivery_id: int) -> Attempt:
    """Post the delivery once and record the attempt (a status code and a generic reason, as for webhooks)."""
    delivery = RobotDelivery.objects.select_related("robot").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != RobotDelivery.Status.PENDING:
        return Attempt(delivered=False, retry=False)
    robot = delivery.robot

    def send() -> tuple[int, str]:
        status_code, answer = post_pinned(signed_url(robot), delivery.body.encode(), ROBOT_HEADERS)
        code = _errcode(answer) if 200 <= status_code < 300 else 0
        if code != 0:  # the robot answers 200 with its own error code
            return status_code, f"robot error {code}" if code is not None else "not a robot's answer"
        return status_code, ""

    return attempt_once(RobotDelivery, delivery_id, send, f"Robot delivery ({robot.kind})")


def robot_give_up(delivery_id: int) -> None:
    RobotDelivery.objects.filter(pk=delivery_id, status=RobotDelivery.Status.PENDING).update(
        status=RobotDelivery.Status.FAILED
    )


@shared_task(
    name="contingency.tasks_warnings.deliver_robot_task",
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=None,
)
def deliver_robot_task(self, delivery_id: int) -> None:
    attempt = robot_attempt(delivery_id)
    if not attempt.retry:
        return
    if self.request.is_eager or self.request.retries >= settings.WEBHOOK_MAX_RETRIES:
        robot_give_up(delivery_id)
        return
    raise self.retry(countdown=retry_countdown(self.request.retries))
