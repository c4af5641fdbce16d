"""The demo company: a CNY manufacturer with banks, a revolver, SCF, two online platforms, a standby line and a plan.

The lenders' risk control tells a story on the trigger watch: QuickLoan's line is 85 % drawn against its 90 %
utilisation trigger (5 pp away), MicroCredit freezes after 6 draws in 30 days (3 recorded: 3 draws away), Term loan A
carries a cross-default clause (any overdue beyond 3 grace days: called), and the revolver is cut when our rating
falls below A — which the scenario "Our rating cut three notches" does on day 10 (AA- → A-).

Idempotent: running it again leaves one demo company, unchanged.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from channels_app import services as channel_services
from channels_app.models import Counterparty
from financeplanner.choices import Role
from financeplanner.models import Company, Membership
from financeplanner.services import company_create, tenant_object_save

from . import drills
from . import services as plan_services
from .models import CashFlowLine, LiquidityPool

DEMO_SLUG = "demo"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"  # noqa: S105 — a public demo login, printed by `make run`

D = Decimal


@transaction.atomic
def seed_demo(*, today: date | None = None) -> Company:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=DEMO_USERNAME, defaults={"email": "demo@example.com"})
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save()
    existing = Company.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        Membership.objects.get_or_create(user=user, company=existing, defaults={"role": Role.ADMIN})
        return existing

    today = today or timezone.localdate()
    company = company_create(
        by=user,
        slug=DEMO_SLUG,
        name="Demo Precision Manufacturing Co., Ltd.",
        reporting_currency="CNY",
        survival_horizon_days=90,
        min_cash_buffer=D("2000000.00"),
        target_survival_probability=D("0.99"),
    )

    def counterparty(name, kind, rating, pd=None):
        cp = tenant_object_save(
            obj=Counterparty(), company=company, fields={"name": name, "kind": kind, "country": "CN"}
        )
        channel_services.assessment_create(
            company=company, by=user, counterparty=cp, as_of=today - timedelta(days=30), source="rating_agency",
            rating=rating, pd_1y=pd,
        )  # fmt: skip
        return cp

    icbc = counterparty("Industrial Bank of Shanghai", "bank", "A")
    ccb = counterparty("Construction Bank Suzhou Branch", "bank", "A+")
    merchants = counterparty("Merchants Bank", "bank", "A-")
    scf = counterparty("Core-Buyer SCF Platform", "scf_provider", "BBB+")
    quickloan = counterparty("QuickLoan Online", "platform", "BB")
    webank = counterparty("MicroCredit Net", "platform", "BB-")
    # Our own rating: lenders' risk control watches it. Domestic AAA from a Chinese agency is master A- (6 notches).
    channel_services.assessment_create(
        company=company, by=user, counterparty=None, as_of=today - timedelta(days=60), source="rating_agency",
        agency="cn", agency_grade="AAA",
    )  # fmt: skip

    start = today - timedelta(days=180)

    def channel(name, cp, channel_type, limit, rate, years, profile, drawn, **extra):
        ch = channel_services.channel_create(
            company=company, by=user, name=name, counterparty=cp, channel_type=channel_type, currency="CNY",
            limit=D(limit), annual_rate=D(rate), start_date=start, maturity_date=start + timedelta(days=365 * years),
            repayment_profile=profile, **extra,
        )  # fmt: skip
        if drawn:
            channel_services.channel_draw(channel=ch, amount=D(drawn), date=start, reference="initial draw", by=user)
        return ch

    channel("Term loan A", icbc, "bank_term_loan", "30000000", "0.0385", 3, "annuity", "30000000",
            committed=True, payment_frequency="quarterly", notice_days=30,
            triggers=[{"kind": "any_overdue", "grace_days": 3, "action": "call"}])  # fmt: skip
    channel("Term loan B", ccb, "bank_term_loan", "20000000", "0.0410", 5, "linear", "20000000",
            committed=True, payment_frequency="semiannual", notice_days=30)  # fmt: skip
    channel("Revolving facility", merchants, "revolving_credit", "25000000", "0.0420", 3, "revolving",
            "20000000", committed=True, rolls_over=True, notice_days=10,
            triggers=[{"kind": "own_rating_below", "rating": "BBB", "action": "reduce", "reduce_by": D("0.4")}])  # fmt: skip
    channel("Supplier finance programme", scf, "supply_chain_finance", "15000000", "0.0550", 2, "bullet",
            "13000000", rolls_over=True, action_probability=D("0.08"))  # fmt: skip
    quick = channel("QuickLoan credit line", quickloan, "small_loan_platform", "3000000", "0.0980", 1, "annuity",
                    "2000000", rolls_over=True, payment_frequency="monthly",
                    triggers=[{"kind": "own_rating_below", "rating": "BBB-", "action": "close"},
                              {"kind": "utilisation_above", "level": D("0.9"), "days": 30, "action": "reduce",
                               "reduce_by": D("0.5")}])  # fmt: skip
    micro = channel("MicroCredit working-capital line", webank, "small_loan_platform", "2000000", "0.1150", 1,
                    "annuity", "1500000", rolls_over=True, payment_frequency="monthly",
                    triggers=[{"kind": "own_rating_below", "rating": "BB+", "action": "freeze", "freeze_days": 30},
                              {"kind": "borrowing_frequency", "count": 6, "window_days": 30, "action": "freeze",
                               "freeze_days": 15}])  # fmt: skip
    # Recent borrowing: QuickLoan topped up to 85 % of its limit; three small draws on MicroCredit this month.
    channel_services.channel_draw(channel=quick, amount=D("550000"), date=today - timedelta(days=3),
                                  reference="top-up", by=user)  # fmt: skip
    for days_ago in (25, 12, 4):
        channel_services.channel_draw(channel=micro, amount=D("100000"), date=today - timedelta(days=days_ago),
                                      reference="working capital", by=user)  # fmt: skip

    standby = channel("Committed standby facility", ccb, "revolving_credit", "10000000", "0.0360", 3, "revolving",
                      None, committed=True, notice_days=30)  # fmt: skip

    def pool(name, kind, amount, haircut="0", days=0, ch=None):
        return tenant_object_save(
            obj=LiquidityPool(), company=company,
            fields={"name": name, "kind": kind, "amount": D(amount), "haircut": D(haircut), "days_to_cash": days,
                    "channel": ch},
        )  # fmt: skip

    pool("Cash pool (group treasury)", "cash", "6000000")
    mmf = pool("Money-market fund", "money_market_fund", "6000000", "0.02", 2)
    backup = pool("Committed backup line", "backup_line", "10000000", "0", 3, standby)
    receivables = pool("Receivables (financeable)", "receivables", "8000000", "0.15", 10)

    def flow(name, category, amount, frequency, first_day=0, discretionary=False):
        tenant_object_save(
            obj=CashFlowLine(), company=company,
            fields={"name": name, "category": category, "amount": D(amount), "currency": "CNY",
                    "start_date": today + timedelta(days=first_day), "end_date": today + timedelta(days=364),
                    "frequency": frequency, "discretionary": discretionary},
        )  # fmt: skip

    flow("Customer receipts", "sales", "1050000", "daily")
    flow("Supplier payments", "purchases", "-720000", "daily")
    flow("Payroll", "payroll", "-6500000", "monthly", first_day=9)
    flow("Rent and utilities", "overheads", "-900000", "monthly", first_day=4)
    flow("VAT and taxes", "tax", "-3200000", "monthly", first_day=14)
    flow("Capital expenditure", "capex", "-4000000", "quarterly", first_day=20, discretionary=True)
    flow("Marketing", "marketing", "-450000", "monthly", first_day=1, discretionary=True)

    # The demo's plan is seeded, not written by a member: saved by nobody, it can be approved by the demo user
    # (four-eyes refuses only an approval by who saved a change).
    plan = plan_services.plan_save(
        company=company, by=None, name="Liquidity contingency plan 2026", trigger="on_shock",
        description="Ranked sources per Basel principle 11: fastest and cheapest first.",
        steps=[
            {"order": 1, "action": "liquidate_pool", "pool": mmf, "lead_time_days": 2, "cost_rate": D("0.001"),
             "success_probability": D("0.99")},
            {"order": 2, "action": "draw_backup_line", "pool": backup, "lead_time_days": 3, "cost_rate": D("0.0042"),
             "success_probability": D("0.95")},
            {"order": 3, "action": "cut_discretionary", "amount": D("4000000"), "lead_time_days": 7,
             "success_probability": D("0.9")},
            {"order": 4, "action": "factor_receivables", "pool": receivables, "lead_time_days": 10,
             "cost_rate": D("0.02"), "success_probability": D("0.8")},
        ],
    )  # fmt: skip
    plan_services.plan_approve(plan=plan, by=user)

    plan_services.scenario_save(
        company=company, by=user, name="One platform closes", as_of=today, horizon_days=90,
        description="QuickLoan's risk control closes our line overnight.",
        shocks=[{"target_type": "channel", "target": str(quick.pk), "action": "close", "day": 0}],
    )  # fmt: skip
    plan_services.scenario_save(
        company=company, by=user, name="All platforms close", as_of=today, horizon_days=90,
        description="Every online platform closes on the same day.",
        shocks=[{"target_type": "all_platforms", "target": "", "action": "close", "day": 0}],
    )  # fmt: skip
    tightening = plan_services.scenario_save(
        company=company, by=user, name="Market-wide tightening", as_of=today, horizon_days=90, kind="monte_carlo",
        paths=2000, seed=20261128, own_downgrade_notches=2, market_stress=D("1.5"), hazard_multiplier=D("2"),
        description="Credit tightens across the market and our rating is cut two notches.",
        shocks=[{"target_type": "channel_type", "target": "supply_chain_finance", "action": "reduce", "day": 5,
                 "reduce_by": D("0.5")}],
    )  # fmt: skip
    plan_services.scenario_save(
        company=company, by=user, name="Our rating cut three notches", as_of=today, horizon_days=90,
        description="An agency cuts our rating three notches on day 10: the lenders' rating triggers fire.",
        shocks=[{"target_type": "company", "target": "", "action": "downgrade", "notches": 3, "day": 10}],
    )  # fmt: skip
    # The weekly drill a treasury team leaves to run unattended (beat runs it; `make run` starts no beat).
    drills.schedule_save(
        company=company, by=user, name="Weekly market-wide drill", scenario=tightening, plan=plan,
        cron="0 7 * * 1", timezone="Asia/Shanghai",
    )  # fmt: skip
    return company
