"""Every page of the site with a company rich in data: the whole-site tests (Chinese text, phone width) walk it.

The pages come from the URL conf, as the generated tenancy tests find them (tests/security/test_tenancy_pages.py),
so a page routed tomorrow is opened tomorrow. The company is company A of the tenancy cast (one object of every
model), filled out with what makes pages long and wordy: lines of each kind and currency, a lender action, edits in
the history, assessments that move, a plan with steps, a deterministic and a Monte Carlo drill run to the end, a
schedule and the alerts the early warnings raise. Pages about one object are opened for each object of a kind given
below (both drill reports, both scenarios, each line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from channels_app.models import Counterparty, FundingChannel, LenderTrigger
from channels_app.services import assessment_create, channel_draw, channel_event_record, channel_repay, channel_update
from contingency import drills
from contingency.early_warnings.alerts import evaluate_company
from contingency.models import ContingencyPlan, DrillRun, DrillSchedule, LiquidityPool, Scenario
from contingency.services import plan_approve, plan_save, scenario_save
from financeplanner.choices import Role
from financeplanner.models import Company, FxRate
from tests.factories import CashFlowLineFactory, CounterpartyFactory, FundingChannelFactory, LiquidityPoolFactory
from tests.security import test_tenancy_pages as tenancy
from tests.security.tenancy_cast import FACTORIES, CompanyA

AS_OF = date(2026, 1, 1)


@dataclass
class Site:
    """The company, its admin (who may open every page) and the objects the pages are opened for."""

    a: CompanyA
    objects: dict[type, list]  # model -> every object of it the object pages are opened for
    own: frozenset[str] = frozenset()  # the company's own texts (own_texts), filled in by the tests that need them

    @property
    def company(self) -> Company:
        return self.a.company

    @property
    def admin(self):
        return self.a.users[Role.ADMIN]


def _finished(company, scenario, plan, by) -> DrillRun:
    run = drills.drill_start(company=company, scenario=scenario, plan=plan, by=by, enqueue=False)
    drills.drill_run_here(drills.claim(run.pk))
    run.refresh_from_db()
    return run


def rich_company(company: Company) -> Site:
    a = CompanyA(company)
    treasurer = a.users[Role.TREASURER]
    bank = CounterpartyFactory(company=company, name="Harbour Commercial Bank", kind="bank")
    platform = CounterpartyFactory(company=company, name="QuickLoan Online", kind="platform")
    for lender, ratings in ((bank, ("A+", "BBB")), (platform, ("BBB", "BB"))):
        for as_of, rating in zip((date(2025, 6, 1), date(2025, 12, 1)), ratings, strict=True):
            assessment_create(company=company, by=treasurer, counterparty=lender, as_of=as_of, source="internal",
                              rating=rating)  # fmt: skip
    assessment_create(company=company, by=treasurer, as_of=date(2025, 12, 1), source="internal", rating="A")

    term = FundingChannelFactory(
        company=company, counterparty=bank, name="Harbour five-year term loan", channel_type="bank_term_loan",
        limit=Decimal("12000000.00"), repayment_profile="linear", start_date=date(2025, 3, 1),
        maturity_date=date(2030, 3, 1), rolls_over=False,
    )  # fmt: skip
    revolver = FundingChannelFactory(
        company=company, counterparty=bank, name="Harbour revolving facility", limit=Decimal("20000000.00"),
        committed=True,
    )  # fmt: skip
    online = FundingChannelFactory(
        company=company, counterparty=platform, name="QuickLoan working-capital line",
        channel_type="small_loan_platform", limit=Decimal("3000000.00"), maturity_date=date(2026, 9, 30),
    )  # fmt: skip
    FxRate.objects.create(company=company, currency="USD", as_of=date(2025, 12, 31), rate=Decimal("7.12000000"))
    dollars = FundingChannelFactory(
        company=company, counterparty=bank, name="Harbour dollar import line", currency="USD",
        channel_type="supply_chain_finance", limit=Decimal("800000.00"), maturity_date=date(2026, 6, 30),
    )  # fmt: skip
    LenderTrigger.objects.create(channel=online, kind="own_rating_below", rating="BBB", action="close")
    LenderTrigger.objects.create(channel=online, kind="utilisation_above", level=Decimal("0.85"), days=30,
                                 action="close")  # fmt: skip
    for channel, amount in ((term, "9000000"), (revolver, "6000000"), (online, "2800000"), (dollars, "500000")):
        channel_draw(channel=channel, amount=Decimal(amount), date=AS_OF, reference="Drawdown 2026-01",
                     by=treasurer)  # fmt: skip
    channel_repay(channel=revolver, amount=Decimal("1000000"), date=AS_OF, by=treasurer)
    channel_update(channel=revolver, by=treasurer, notes="Renewed at the annual review", notice_days=30)
    channel_event_record(channel=online, kind="reduce", date=date(2026, 1, 2), new_limit=Decimal("2900000.00"),
                         reason="The platform's model cut the line after a spike in drawings.", by=treasurer)  # fmt: skip

    cash = LiquidityPoolFactory(company=company, name="Operating cash", kind="cash", amount=Decimal("4000000"))
    fund = LiquidityPoolFactory(company=company, name="Money-market fund", kind="money_market_fund",
                                amount=Decimal("2500000"), haircut=Decimal("0.02"), days_to_cash=1)  # fmt: skip
    backup = LiquidityPoolFactory(company=company, name="Revolver as backup", kind="backup_line",
                                  amount=Decimal("5000000"), channel=revolver)  # fmt: skip
    CashFlowLineFactory(company=company, name="Customer receipts", category="operations",
                        amount=Decimal("450000"), frequency="weekly", start_date=AS_OF)  # fmt: skip
    CashFlowLineFactory(company=company, name="Payroll", category="payroll", amount=Decimal("-1800000"),
                        frequency="monthly", start_date=AS_OF)  # fmt: skip
    CashFlowLineFactory(company=company, name="Marketing", category="marketing", amount=Decimal("-60000"),
                        frequency="daily", start_date=AS_OF, discretionary=True)  # fmt: skip

    plan = plan_save(
        company=company, by=a.users[Role.ANALYST], name="Liquidity playbook", trigger="on_shock",
        description="Draw the backup line, redeem the fund, cut marketing.",
        steps=[
            {"order": 1, "action": "draw_backup_line", "pool": backup, "lead_time_days": 1},
            {"order": 2, "action": "liquidate_pool", "pool": fund, "lead_time_days": 2},
            {"order": 3, "action": "cut_discretionary", "amount": Decimal("40000"), "lead_time_days": 5},
        ],
    )  # fmt: skip
    plan = plan_approve(plan=plan, by=treasurer)  # four eyes: the analyst wrote it
    closes = scenario_save(
        company=company, by=treasurer, name="Platform closes its line", as_of=AS_OF, horizon_days=90,
        shocks=[{"target_type": "channel", "target": str(online.pk), "action": "close", "day": 0},
                {"target_type": "company", "target": "", "action": "downgrade", "day": 10, "notches": 2}],
    )  # fmt: skip
    stress = scenario_save(
        company=company, by=treasurer, name="Platforms stress", kind="monte_carlo", as_of=AS_OF, horizon_days=90,
        paths=400, seed=7, shocks=[{"target_type": "all_platforms", "target": "", "action": "freeze", "day": 5,
                                    "freeze_days": 30}],
    )  # fmt: skip
    deterministic = _finished(company, closes, plan, treasurer)
    monte_carlo = _finished(company, stress, plan, treasurer)
    schedule = drills.schedule_save(company=company, by=treasurer, name="Monday stress", scenario=stress, plan=plan,
                                    cron="0 6 * * 1")  # fmt: skip
    evaluate_company(company=company, today=date(2026, 1, 5))

    a._objects.update({
        Counterparty: platform, FundingChannel: online, LiquidityPool: cash, ContingencyPlan: plan,
        Scenario: closes, DrillRun: deterministic, DrillSchedule: schedule,
    })  # fmt: skip
    for model in FACTORIES:  # every other model's object now (in the module's transaction, not in one test's)
        a[model]
    objects = {
        FundingChannel: [online, term, dollars],
        DrillRun: [deterministic, monte_carlo],
        Scenario: [closes, stress],
    }
    return Site(a=a, objects=objects)


def _an_object(site: Site, model: type):
    """The cast's object of the model, or else the company's first row of it (a page newer than the cast)."""
    if model in site.a._objects or model in FACTORIES:
        return site.a[model]
    fields = {f.name for f in model._meta.concrete_fields}
    obj = model._default_manager.filter(company=site.company).first() if "company" in fields else None
    if obj is None:
        raise AssertionError(f"No {model.__name__} to open its pages with: add a factory to tenancy_cast.FACTORIES.")
    return obj


def _first_export() -> str:
    from financeplanner.registry import registry

    return next(iter(registry["exports"]))


# URL arguments other than an object's <pk> (those are tenancy.PAGE_KWARGS'): how to fill them.
OTHER_KWARGS = {"dataset": _first_export}

# Every company page of the URL conf, read when the tests are collected (no database needed).
PAGES = tenancy.company_pages()
# Pages that are not company pages but are still the site's: signing in, choosing a company, one's invitations.
OTHER_PAGES = ["accounts/login/", "company/", "invitations/"]


def urls_of(page, site: Site) -> list[str]:
    """The addresses of a page: one, or one per object of `site.objects` for a page about an object of that kind.

    AssertionError (or pytest's failure) when the page does not say enough to be opened; the tenancy tests ask the
    same."""
    objects = [None]
    if "pk" in page.kwargs:
        model = tenancy._page_model(page)
        objects = site.objects.get(model) or [_an_object(site, model)]
    urls = []
    for obj in objects:
        if obj is not None:
            site.a._objects[tenancy._page_model(page)] = obj
        url = tenancy._page_url(page, site.a)
        for name in re.findall(r"<(?:\w+:)?(\w+)>", url):
            if name not in OTHER_KWARGS:
                raise AssertionError(f"Say in site_pages.OTHER_KWARGS how to fill {name!r} of /{page.route}.")
            url = re.sub(rf"<(?:\w+:)?{name}>", str(OTHER_KWARGS[name]()), url)
        urls.append(url)
    if objects[0] is not None:  # the cast's object of the kind is the first again
        site.a._objects[tenancy._page_model(page)] = objects[0]
    return urls


def answers(page, method: str) -> bool:
    return method in page.methods


def is_delete(page) -> bool:
    """A delete or archive page's empty POST deletes or archives: not posted."""
    return bool(re.search(r"/(delete|archive|revoke)/$", page.route))


# -- what is the company's own, not the product's -----------------------------------------------------------------

# Text fields the product writes (messages, titles, reports): these must be in the reader's language, so they are
# not the company's own data even though they are stored.
PRODUCT_TEXT = {
    ("contingency", "Alert", "message"),
    ("contingency", "Alert", "key"),
    ("contingency", "Alert", "indicator"),
    ("contingency", "ChecklistItem", "title"),
    ("contingency", "DrillRun", "error"),
    ("contingency", "WarningThreshold", "indicator"),
    ("financeplanner", "ImportJob", "error"),
    ("financeplanner", "ImportJob", "dataset"),
}


def own_texts(company: Company) -> set[str]:
    """What the company typed: every free-text field of its rows (names, codes, notes, references), its users."""
    from django.apps import apps

    texts = {company.name, company.slug, company.reporting_currency}
    for model in apps.get_models():
        if model._meta.app_label not in ("financeplanner", "channels_app", "contingency"):
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
            and not f.choices
            and (model._meta.app_label, model.__name__, f.name) not in PRODUCT_TEXT
            and "secret" not in f.name
            and "hash" not in f.name
        ]
        if not fields:
            continue
        if any(f.name == "company" for f in model._meta.concrete_fields):
            rows = model._default_manager.filter(company=company)
        elif model is Company:
            rows = model._default_manager.filter(pk=company.pk)
        else:
            rows = model._default_manager.none()
        for values in rows.values_list(*fields):
            texts.update(str(v) for v in values if v)
    members_and_invitees = Q(memberships__company=company) | Q(invitations__company=company)
    for user in get_user_model().objects.filter(members_and_invitees).distinct():
        texts.update(t for t in (user.username, user.email, user.first_name, user.last_name) if t)
    return {t.strip() for t in texts if t.strip()}
