"""The core pages: dashboard, channels, counterparties, credit assessments, the Altman calculator, the switchers.

The fixed cast of tests/conftest.py: a viewer, analyst and treasurer of company A, and an outsider from company B.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from channels_app.models import ChannelEvent, CreditAssessment, FundingChannel
from channels_app.services import assessment_create, channel_draw, channel_event_record
from contingency.models import Alert, DrillRun
from financeplanner import charts
from tests.factories import CounterpartyFactory, FundingChannelFactory, MembershipFactory, ScenarioFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def channel(company):
    lender = CounterpartyFactory(company=company, name="QuickLoan Online", kind="platform")
    assessment_create(
        company=company, by=None, counterparty=lender, as_of=date(2025, 6, 1), source="internal", rating="A"
    )
    line = FundingChannelFactory(
        company=company, counterparty=lender, name="QuickLoan line", channel_type="small_loan_platform",
        limit=Decimal("3000000.00"), repayment_profile="annuity", maturity_date=date(2027, 1, 1),
    )  # fmt: skip
    channel_draw(channel=line, amount=Decimal("1000000.00"), date=date(2026, 2, 1), reference="first draw", by=None)
    return line


def page_urls(channel):
    return [
        reverse("dashboard"),
        reverse("channels:channel-list"),
        reverse("channels:channel-detail", args=[channel.pk]),
        reverse("channels:counterparty-list"),
        reverse("channels:counterparty-detail", args=[channel.counterparty_id]),
        reverse("channels:own-rating"),
        reverse("channels:altman"),
    ]


def edit_urls(channel):
    cp = channel.counterparty_id
    return [
        reverse("channels:channel-add"),
        reverse("channels:channel-edit", args=[channel.pk]),
        reverse("channels:channel-draw", args=[channel.pk]),
        reverse("channels:channel-repay", args=[channel.pk]),
        reverse("channels:channel-event", args=[channel.pk]),
        reverse("channels:counterparty-add"),
        reverse("channels:counterparty-edit", args=[cp]),
        reverse("channels:assessment-add", args=[cp]),
        reverse("channels:own-assessment-add"),
    ]


def html(response) -> str:
    return response.content.decode()


def field_errors(page: str, field: str) -> str:
    """The error list rendered right after the field's input (includes/field.html)."""
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


# -- every page, every role -------------------------------------------------------------------------------------


def test_every_page_renders_for_a_viewer_without_edit_buttons(channel, viewer, web_as):
    client = web_as(viewer)
    forbidden_links = [f'href="{url}' for url in edit_urls(channel)]
    for url in page_urls(channel):
        response = client.get(url)
        assert response.status_code == 200, url
        page = html(response)
        assert [link for link in forbidden_links if link in page] == [], url
        assert "Record a lender action" not in page
        assert 'href="#main"' in page and 'media="print"' in page  # skip link, print stylesheet


def test_an_analyst_sees_edit_buttons_but_not_the_lender_action(channel, analyst, web_as):
    page = html(web_as(analyst).get(reverse("channels:channel-detail", args=[channel.pk])))
    assert f'href="{reverse("channels:channel-edit", args=[channel.pk])}"' in page
    assert f'href="{reverse("channels:channel-draw", args=[channel.pk])}"' in page
    assert reverse("channels:channel-event", args=[channel.pk]) not in page


def test_edit_pages_are_forbidden_to_a_viewer(channel, viewer, web_as):
    client = web_as(viewer)
    for url in edit_urls(channel):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"amount": "1", "name": "x", "reason": "x"}).status_code == 403, url
    channel.refresh_from_db()
    assert channel.drawn == Decimal("1000000.00")


def test_only_a_treasurer_records_lender_actions(channel, analyst, treasurer, web_as):
    url = reverse("channels:channel-event", args=[channel.pk])
    assert web_as(analyst).get(url).status_code == 403
    assert web_as(treasurer).get(url).status_code == 200


def test_a_viewer_may_calculate_but_not_record_an_altman_score(channel, viewer, web_as):
    figures = {
        "model": "z2", "total_assets": "1000", "total_liabilities": "600", "working_capital": "150",
        "retained_earnings": "100", "ebit": "80", "book_equity": "400", "as_of": "2026-03-01",
    }  # fmt: skip
    client = web_as(viewer)
    calculated = client.post(reverse("channels:altman"), {**figures, "action": "calculate"})
    assert calculated.status_code == 200
    assert "Implied rating" in html(calculated)
    assert client.post(reverse("channels:altman"), {**figures, "action": "save"}).status_code == 403
    assert not CreditAssessment.objects.filter(source="model").exists()


def test_anonymous_visitors_are_sent_to_the_login_page(channel, client):
    response = client.get(reverse("channels:channel-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("login")).status_code == 200


# -- tenancy ----------------------------------------------------------------------------------------------------


def test_another_companys_channel_and_counterparty_pages_are_404(channel, outsider, web_as):
    client = web_as(outsider)
    urls = [u for u in page_urls(channel) + edit_urls(channel) if re.search(r"/\d+/", u)]
    assert len(urls) == 8
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in [u for u in edit_urls(channel) if re.search(r"/\d+/", u)]:
        assert (
            client.post(url, {"amount": "1", "date": "2026-03-01", "reason": "x", "kind": "close"}).status_code == 404
        )
    channel.refresh_from_db()
    assert (channel.status, channel.drawn) == ("active", Decimal("1000000.00"))
    # Nor do A's lenders leak into the outsider's filter choices.
    page = html(client.get(reverse("channels:channel-list")))
    assert "QuickLoan Online" not in page and "QuickLoan line" not in page


def test_a_user_of_two_companies_chooses_one_and_can_switch(channel, viewer, other_company, web_as):
    MembershipFactory(user=viewer, company=other_company, role="admin")
    client = web_as(viewer)
    response = client.get(reverse("channels:channel-list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("choose-company"))
    chooser = client.get(response["Location"])
    assert "Acme Manufacturing" in html(chooser) and "Rival Trading" in html(chooser)

    response = client.post(reverse("choose-company"), {"company": "acme", "next": reverse("channels:channel-list")})
    assert response["Location"] == reverse("channels:channel-list")
    assert "QuickLoan line" in html(client.get(reverse("channels:channel-list")))

    client.post(reverse("choose-company"), {"company": "rival"})
    page = html(client.get(reverse("channels:channel-list")))
    assert "QuickLoan line" not in page
    assert 'id="company-switch"' in page  # the header's switcher, for users of several companies
    assert client.get(reverse("channels:channel-detail", args=[channel.pk])).status_code == 404
    # A company the user is not a member of cannot be chosen.
    client.post(reverse("choose-company"), {"company": "nobody"})
    assert client.session["company_slug"] == "rival"


# -- forms: errors beside the field, nothing typed lost -----------------------------------------------------------


def test_a_refused_draw_shows_the_reason_beside_the_amount_and_keeps_the_input(channel, analyst, web_as):
    response = web_as(analyst).post(
        reverse("channels:channel-draw", args=[channel.pk]),
        {"amount": "2500000.00", "date": "2026-03-01", "reference": "payroll top-up"},
    )
    assert response.status_code == 200
    page = html(response)
    assert "exceeds the headroom" in field_errors(page, "amount")
    assert 'value="2500000.00"' in page and 'value="payroll top-up"' in page and 'value="2026-03-01"' in page
    channel.refresh_from_db()
    assert channel.drawn == Decimal("1000000.00")


def new_channel_form(counterparty_id: int, **fields: str) -> dict[str, str]:
    """What a treasurer types to add a revolver (one own-rating trigger), with `fields` changed."""
    return {
        "name": "New revolver", "counterparty": counterparty_id, "channel_type": "revolving_credit",
        "currency": "CNY", "limit": "5000000", "rate_type": "fixed", "base_rate": "0", "spread": "0",
        "annual_rate": "4.2", "fee_rate": "0", "day_count": "ACT/365F", "start_date": "2026-06-01",
        "maturity_date": "2029-06-01", "repayment_profile": "revolving", "payment_frequency": "monthly",
        "notice_days": "10",
        "triggers-TOTAL_FORMS": "1", "triggers-INITIAL_FORMS": "0",
        "triggers-0-kind": "own_rating_below", "triggers-0-rating": "BBB", "triggers-0-action": "close",
        **fields,
    }  # fmt: skip


def test_a_channel_form_with_errors_keeps_what_was_typed(channel, analyst, web_as):
    body = new_channel_form(channel.counterparty_id, maturity_date="2026-01-01", notes="typed notes")
    response = web_as(analyst).post(reverse("channels:channel-add"), body)
    assert response.status_code == 200
    page = html(response)
    assert "after the start date" in field_errors(page, "maturity_date")
    assert 'value="New revolver"' in page and "typed notes" in page and 'value="2026-01-01"' in page
    assert re.search(r'<option value="BBB" selected>', page)  # the trigger row is kept too
    assert not FundingChannel.objects.filter(name="New revolver").exists()

    response = web_as(analyst).post(reverse("channels:channel-add"), {**body, "maturity_date": "2029-06-01"})
    created = FundingChannel.objects.get(name="New revolver")
    assert response["Location"] == reverse("channels:channel-detail", args=[created.pk])
    assert list(created.triggers.values_list("kind", "rating")) == [("own_rating_below", "BBB")]


def test_a_trigger_the_model_refuses_is_named_beside_its_own_row(channel, analyst, web_as):
    body = new_channel_form(channel.counterparty_id, name="Frequency-watched line", **{
        "triggers-TOTAL_FORMS": "3",
        "triggers-1-kind": "", "triggers-1-action": "close",  # an empty row: skipped, so it is not row 1 of the service
        "triggers-2-kind": "borrowing_frequency", "triggers-2-count": "3", "triggers-2-action": "close",
    })  # fmt: skip
    page = html(web_as(analyst).post(reverse("channels:channel-add"), body))
    # The service numbers the rows it was given (0 and 1); the page puts "triggers[1].window_days" on the third row.
    assert "window the draws are counted in" in field_errors(page, "triggers-2-window_days")
    assert field_errors(page, "triggers-0-window_days") == "" and 'value="3"' in page
    assert not FundingChannel.objects.filter(name="Frequency-watched line").exists()


def test_a_service_refusal_on_edit_lands_on_the_limit_field(channel, analyst, web_as):
    client = web_as(analyst)
    form_page = html(client.get(reverse("channels:channel-edit", args=[channel.pk])))
    body = {
        name: value
        for name, value in re.findall(r'<input type="(?:text|number|date)" name="([^"]+)" value="([^"]*)"', form_page)
    }
    body.update(re.findall(r'<select name="([^"]+)"[^>]*>.*?<option value="([^"]*)" selected>', form_page, re.S))
    body.update({"limit": "500000.00", "notes": "cut it", "triggers-TOTAL_FORMS": "1", "triggers-INITIAL_FORMS": "0"})
    page = html(client.post(reverse("channels:channel-edit", args=[channel.pk]), body))
    assert "below what is drawn" in field_errors(page, "limit")
    assert 'value="500000.00"' in page and "cut it" in page
    channel.refresh_from_db()
    assert channel.limit == Decimal("3000000.00")


def test_a_duplicate_counterparty_name_is_refused_beside_the_name(channel, analyst, web_as):
    response = web_as(analyst).post(
        reverse("channels:counterparty-add"), {"name": "quickloan online", "kind": "bank", "country": "cn"}
    )
    assert "already a counterparty" in field_errors(html(response), "name")


def test_an_agency_grade_maps_to_the_master_scale(channel, analyst, web_as):
    url = reverse("channels:assessment-add", args=[channel.counterparty_id])
    client = web_as(analyst)
    refused = client.post(url, {"as_of": "2026-03-01", "source": "rating_agency", "agency": "moodys",
                                "agency_grade": "Zzz9", "outlook": "stable"})  # fmt: skip
    assert "Unknown" in field_errors(html(refused), "agency_grade")
    client.post(url, {"as_of": "2026-03-01", "source": "rating_agency", "agency": "moodys", "agency_grade": "Ba2",
                      "outlook": "negative"})  # fmt: skip
    latest = CreditAssessment.objects.filter(counterparty=channel.counterparty).first()
    assert (latest.rating, latest.pd_1y) == ("BB", Decimal("0.007200"))
    page = html(client.get(reverse("channels:counterparty-detail", args=[channel.counterparty_id])))
    assert "<svg" in page and "ana-analyst" in page  # rating chart, and who recorded the assessment


def test_an_analyst_records_an_altman_z_double_prime_for_the_own_company(company, analyst, web_as):
    response = web_as(analyst).post(
        reverse("channels:altman"),
        {"model": "z2", "total_assets": "1000", "total_liabilities": "600", "working_capital": "150",
         "retained_earnings": "100", "ebit": "80", "book_equity": "400", "as_of": "2026-03-01", "action": "save"},
    )  # fmt: skip
    assert response["Location"] == reverse("channels:own-rating")
    own = CreditAssessment.objects.get(company=company, counterparty=None)
    # Z'' = 6.56·0.15 + 3.26·0.1 + 6.72·0.08 + 1.05·(400/600) = 2.5476; EM score 5.7976 → BBB-
    assert (own.source, own.score, own.rating) == ("model", Decimal("2.5476"), "BBB-")
    assert own.inputs["zone"] == "grey" and own.inputs["financials"]["book_equity"] == "400"


def test_altman_z_needs_its_own_figures(company, analyst, web_as):
    page = html(web_as(analyst).post(
        reverse("channels:altman"),
        {"model": "z", "total_assets": "1000", "total_liabilities": "600", "working_capital": "150",
         "retained_earnings": "100", "ebit": "80", "action": "calculate"},
    ))  # fmt: skip
    assert field_errors(page, "sales") and field_errors(page, "market_value_equity")
    assert 'value="1000"' in page


# -- the lender's action, and the history that shows who did it --------------------------------------------------


def test_a_treasurer_freezes_a_line_and_the_history_says_who(channel, treasurer, viewer, web_as):
    response = web_as(treasurer).post(
        reverse("channels:channel-event", args=[channel.pk]),
        {"kind": "freeze", "date": "2026-03-02", "freeze_days": "30", "reason": "Platform risk control: overdue flag"},
    )
    assert response["Location"] == reverse("channels:channel-detail", args=[channel.pk])
    channel.refresh_from_db()
    assert channel.status == "frozen"
    event = ChannelEvent.objects.get(channel=channel)
    assert (event.kind, event.created_by, event.old_status) == ("freeze", treasurer, "active")

    page = html(web_as(viewer).get(reverse("channels:channel-detail", args=[channel.pk])))
    history = page[page.index('id="history-title"') :]
    assert "tom-treasurer" in history
    assert re.search(r"Status</span>: <del>Active</del> → <ins>Frozen</ins>", history)
    assert "Platform risk control: overdue flag" in page
    # A frozen line offers no draw and the action form no longer offers a freeze.
    assert reverse("channels:channel-draw", args=[channel.pk]) not in html(
        web_as(treasurer).get(reverse("channels:channel-detail", args=[channel.pk]))
    )
    form = html(web_as(treasurer).get(reverse("channels:channel-event", args=[channel.pk])))
    assert 'value="unfreeze"' in form and 'value="freeze"' not in form


def test_a_reduction_without_a_new_limit_is_refused_beside_the_field(channel, treasurer, web_as):
    page = html(web_as(treasurer).post(
        reverse("channels:channel-event", args=[channel.pk]),
        {"kind": "reduce", "date": "2026-03-02", "reason": "policy tightened"},
    ))  # fmt: skip
    assert "new limit below the current one" in field_errors(page, "new_limit")
    assert "policy tightened" in page


# -- lists: the API's FilterSet, htmx partials --------------------------------------------------------------------


def test_the_channel_list_filters_with_the_api_filterset_and_sorts(company, viewer, web_as, make_channels):
    make_channels(company, 6)
    client = web_as(viewer)
    page = html(client.get(reverse("channels:channel-list"), {"channel_type": "bank_term_loan", "sort": "-name"}))
    assert re.findall(r">(Line \d)</a>", page) == ["Line 3", "Line 0"]
    assert 'type="checkbox" name="channel_type" value="bank_term_loan"' in page and 'type="date"' in page
    partial = client.get(reverse("channels:channel-list"), {"name": "line 5"}, HTTP_HX_REQUEST="true")
    assert "<html" not in html(partial) and "Line 5" in html(partial) and "Line 4" not in html(partial)


def list_views():
    """Every list page of the project, from the URL conf: (name, view class) of each ObjectListView."""
    from django.urls import get_resolver

    from financeplanner.views.generic import ObjectListView

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif getattr(pattern.callback, "view_class", None) and not pattern.pattern.converters:
                yield f"{namespace}{pattern.name}", pattern.callback.view_class

    return sorted((name, view) for name, view in walk(get_resolver()) if issubclass(view, ObjectListView))


def test_every_list_page_refreshes_its_results_in_place(company, viewer, company_admin, web_as, make_channels):
    make_channels(company, 2)
    names = [name for name, _view in list_views()]
    assert {"channels:channel-list", "channels:counterparty-list"} <= set(names)
    for name, view in list_views():
        # Each list as the least role that reads it (webhooks, robots and API keys are an admin's, as in the API).
        client = web_as(company_admin if view.required_role == "admin" else viewer)
        url = reverse(name)
        page = html(client.get(url))
        assert 'id="results"' in page, name
        if view.filterset_class is not None:
            assert f'hx-get="{url}" hx-target="#results"' in page, name
        partial = client.get(url, headers={"HX-Request": "true"})
        assert partial.status_code == 200 and "<html" not in html(partial) and "<table" in html(partial), name
        assert "HX-Request" in partial["Vary"], name


def test_the_list_paginates(company, viewer, web_as):
    lender = CounterpartyFactory(company=company)
    for i in range(30):
        FundingChannelFactory(company=company, counterparty=lender, name=f"Line {i:02d}")
    client = web_as(viewer)
    first = html(client.get(reverse("channels:channel-list")))
    assert "Line 24" in first and "Line 25" not in first and "Page 1 of 2" in first
    assert "Line 25" in html(client.get(reverse("channels:channel-list"), {"page": 2}))


# -- the dashboard ----------------------------------------------------------------------------------------------


def test_the_dashboard_shows_funding_drills_alerts_and_downgrades(company, channel, viewer, web_as, make_channels):
    make_channels(company, 3)
    scenario = ScenarioFactory(company=company, name="Platforms close")
    DrillRun.objects.create(
        company=company, scenario=scenario, paths=1, seed=0, status="succeeded", passed_policy=False,
        results={"horizon_days": 90, "paths": 1, "survived": False, "survival_probability": 0.0, "runway_days": 14,
                 "extra_liquidity_needed": 1250000.0},
    )  # fmt: skip
    Alert.objects.create(company=company, indicator="platform_share", severity="red", message="Platforms too big")
    assessment_create(
        company=company, by=None, counterparty=None, as_of=date(2025, 1, 1), source="internal", rating="A"
    )
    assessment_create(
        company=company, by=None, counterparty=None, as_of=date(2026, 1, 1), source="internal", rating="BBB+"
    )
    page = html(web_as(viewer).get(reverse("dashboard")))
    kpis = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert kpis["Total credit limits"] == "6,000,000"
    assert kpis["Drawn"] == "1,750,000"
    assert kpis["Liquidity (cash after haircut)"] == "500,000"
    assert page.count('<svg class="chart"') == 3
    assert "Platforms close" in page and ">14<" in page.replace("\n", "").replace(" ", "")
    assert "Platforms too big" in page
    downgrades = page[page.index('id="downgrades-title"') :]
    assert "Our own company" in downgrades and "−2" in downgrades and "Line lender 1" in downgrades


def test_the_dashboard_in_chinese(channel, viewer, web_as):
    client = web_as(viewer)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("dashboard")})
    assert response.status_code == 302
    page = html(client.get(reverse("dashboard")))
    assert '<html lang="zh-hans">' in page
    assert "仪表盘" in page and "授信额度" in page and "已用额度" in page and "可用额度" in page
    assert "资金渠道" in page and "交易对手" in page
    assert "Total credit limits" not in page
    assert "3,000,000" in page  # amounts grouped by thousands, as Chinese financial statements do


def test_chinese_channel_pages_translate_choices_and_dates(channel, viewer, web_as):
    client = web_as(viewer)
    client.cookies["django_language"] = "zh-hans"
    page = html(client.get(reverse("channels:channel-detail", args=[channel.pk])))
    assert "小额贷款/网络平台" in page and "正常" in page and "2027-01-01" in page  # ISO dates in Chinese


# -- no N+1: the number of queries does not grow with the data ---------------------------------------------------


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("page", ["dashboard", "channel-list", "channel-detail", "counterparty-list"])
def test_queries_do_not_grow_with_the_data(page, company, viewer, web_as, make_channels):
    treasurer = MembershipFactory(company=company, role="treasurer").user
    first = make_channels(company, 3)[0]
    # Every kind of row the pages show exists from the start; then there is ten times more of it.
    channel_draw(channel=first, amount=Decimal("1000.00"), date=date(2026, 3, 1), by=treasurer)
    channel_event_record(channel=first, kind="freeze", date=date(2026, 3, 1), reason="test", by=treasurer)
    channel_event_record(channel=first, kind="unfreeze", date=date(2026, 3, 1), reason="test", by=treasurer)
    urls = {
        "dashboard": reverse("dashboard"),
        "channel-list": reverse("channels:channel-list"),
        "channel-detail": reverse("channels:channel-detail", args=[first.pk]),
        "counterparty-list": reverse("channels:counterparty-list"),
    }
    client = web_as(viewer)
    client.get(urls[page])  # warm the per-process caches (content types)
    few = queries_for(client, urls[page])

    make_channels(company, 27, prefix="More")
    for day in range(2, 29):  # and the detail page's channel gets a long ledger and event history
        channel_draw(channel=first, amount=Decimal("1000.00"), date=date(2026, 3, day), by=treasurer)
    for kind in ("freeze", "unfreeze") * 5:
        channel_event_record(channel=first, kind=kind, date=date(2026, 4, 1), reason="test", by=treasurer)
    for i in range(10):
        assessment_create(company=company, by=None, counterparty=first.counterparty, as_of=date(2026, 5, i + 1),
                          source="internal", rating="BB")  # fmt: skip
    many = queries_for(client, urls[page])
    # At most as many: the history names foreign keys with one query per related model, never one per row.
    assert many <= few, f"{page}: {few} queries with 3 channels, {many} with 30"


# -- charts -----------------------------------------------------------------------------------------------------


def test_charts_are_inline_svg_with_escaped_labels():
    svg = charts.bar_chart_svg(["<script>alert(1)</script>", "A$B 银行"], [1, 2], 'Mix "by" <lender>')
    assert svg.startswith("<svg") and 'role="img"' in svg and '<title>Mix "by" &lt;lender&gt;</title>' in svg
    assert "<script>" not in svg and "银行" in svg
    fan = charts.fan_chart_svg([0, 1, 2], {"p5": [1, 0, -1], "p50": [2, 2, 2], "p95": [3, 4, 5]}, "Fan")
    assert fan.count("<path") > 3
    assert "No data" in charts.ladder_chart_svg([], [], "Ladder")
