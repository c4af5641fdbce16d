"""Small companies as plain dicts, for the oracle's hand tests and the differential test's single-rule probes.

Each probe isolates one rule of DESIGN.md / docs/drill-rules.md, so a disagreement between the app and the oracle on a probe
names the rule. The expected numbers are the oracle's; the hand-computed ones are asserted in test_oracle_hand.py.
"""

from datetime import date, timedelta

AS_OF = date(2026, 1, 1)


def company(**parts) -> dict:
    base = {
        "slug": "probe",
        "reporting_currency": "CNY",
        "policy": {"survival_horizon_days": 90, "min_cash_buffer": "0", "target_survival_probability": "0.99"},
        "fx": [],
        "counterparties": [{"key": "bank", "name": "Bank", "kind": "bank"}],
        "own_assessments": [],
        "channels": [],
        "pools": [],
        "cash_flows": [],
        "plan": None,
        "scenario": {"as_of": AS_OF, "horizon_days": 60, "shocks": []},
    }
    base.update(parts)
    base["scenario"] = {"own_downgrade_notches": 0, "market_stress": "0", **base["scenario"]}
    return base


def channel(key="rev", **fields) -> dict:
    spec = {
        "key": key,
        "name": key,
        "counterparty": "bank",
        "channel_type": "revolving_credit",
        "currency": "CNY",
        "limit": "2000000",
        "committed": True,
        "annual_rate": "0",
        "fee_rate": "0",
        "day_count": "ACT/365F",
        "start_date": date(2025, 1, 1),
        "maturity_date": date(2028, 1, 1),
        "repayment_profile": "revolving",
        "payment_frequency": "monthly",
        "rolls_over": False,
        "notice_days": 0,
        "draws": [],
        "repayments": [],
        "events": [],
        "triggers": [],
    }
    spec.update(fields)
    return spec


def cash_pool(amount, currency="CNY") -> dict:
    return {"key": "cash", "name": "Cash", "kind": "cash", "currency": currency, "amount": amount, "haircut": "0",
            "days_to_cash": 0, "channel": None}  # fmt: skip


def pool(key, kind, amount, days_to_cash=0, haircut="0", channel=None) -> dict:
    return {"key": key, "name": key, "kind": kind, "currency": "CNY", "amount": amount, "haircut": haircut,
            "days_to_cash": days_to_cash, "channel": channel}  # fmt: skip


def daily_flow(amount, name="opex", start=AS_OF, discretionary=False) -> dict:
    return {"name": name, "amount": amount, "currency": "CNY", "start_date": start, "end_date": None,
            "frequency": "daily", "discretionary": discretionary}  # fmt: skip


def step(order, action, pool=None, amount=None, lead=None, cost_rate="0") -> dict:
    return {"order": order, "action": action, "pool": pool, "amount": amount, "lead_time_days": lead,
            "cost_rate": cost_rate, "success_probability": "1"}  # fmt: skip


def on_shock(*steps) -> dict:
    return {"trigger": "on_shock", "threshold": None, "steps": list(steps)}


def scenario(horizon=30, shocks=(), **fields) -> dict:
    return {"as_of": AS_OF, "horizon_days": horizon, "shocks": list(shocks), **fields}


def policy(days=30, buffer="0") -> dict:
    return {"survival_horizon_days": days, "min_cash_buffer": buffer, "target_survival_probability": "0.99"}


def close(target="rev", day=0) -> dict:
    return {"target_type": "channel", "target": target, "action": "close", "day": day}


def worked_example(shocks: list[dict]) -> dict:
    return company(
        channels=[channel()],
        pools=[cash_pool("1000000"), pool("mmf", "money_market_fund", "500000", days_to_cash=3, haircut="0.02")],
        cash_flows=[daily_flow("-100000")],
        plan=on_shock(step(1, "liquidate_pool", pool="mmf", lead=3)),
        scenario={"as_of": AS_OF, "horizon_days": 60, "shocks": shocks},
    )


def _drawn(amount, when=date(2025, 6, 1)) -> list[dict]:
    return [{"date": when, "amount": amount}]


# rule -> company. Horizon = policy horizon (30 days) unless the rule is about them.
PROBES: dict[str, dict] = {
    "worked example A (no shock): runway 30": worked_example([]),
    "worked example B (line closed day 0): runway 14": worked_example([close()]),
    "D1 schedule on contract dates (linear, 30/360, started before as-of)": company(
        policy=policy(80),
        channels=[
            channel(
                "term",
                channel_type="bank_term_loan",
                limit="120000",
                annual_rate="0.06",
                day_count="30/360",
                start_date=date(2025, 11, 30),
                maturity_date=date(2026, 11, 30),
                repayment_profile="linear",
                draws=_drawn("120000", date(2025, 11, 30)),
            )
        ],
        pools=[cash_pool("1000000")],
        scenario={"as_of": date(2026, 2, 10), "horizon_days": 80, "shocks": []},
    ),
    "D1 annuity ACT/365F quarterly started before as-of": company(
        policy=policy(200),
        channels=[
            channel(
                "ann",
                channel_type="leasing",
                limit="100000",
                annual_rate="0.08",
                day_count="ACT/365F",
                start_date=date(2025, 11, 10),
                maturity_date=date(2027, 11, 10),
                repayment_profile="annuity",
                payment_frequency="quarterly",
                draws=_drawn("100000", date(2025, 11, 10)),
            )
        ],
        pools=[cash_pool("1000000")],
        scenario=scenario(200),
    ),
    "D1 30/360 across month ends (bullet, start Jan 31)": company(
        policy=policy(90),
        channels=[
            channel(
                "b",
                channel_type="bond",
                limit="100000",
                annual_rate="0.06",
                day_count="30/360",
                start_date=date(2025, 1, 31),
                maturity_date=date(2027, 1, 31),
                repayment_profile="bullet",
                draws=_drawn("100000", date(2025, 1, 31)),
            )
        ],
        pools=[cash_pool("1000000")],
        scenario=scenario(90),
    ),
    "D2 recorded reduction on a rolling line falls due after notice": company(
        policy=policy(30, "200000"),
        channels=[
            channel(
                limit="1000000",
                rolls_over=True,
                notice_days=10,
                draws=_drawn("800000"),
                events=[{"kind": "reduce", "date": AS_OF - timedelta(days=5), "new_limit": "500000"}],
            )
        ],
        pools=[cash_pool("400000")],
        scenario=scenario(30),
    ),
    "D2 recorded call falls due after notice": company(
        policy=policy(),
        channels=[
            channel(
                limit="1000000",
                notice_days=10,
                draws=_drawn("400000"),
                events=[{"kind": "call", "date": AS_OF - timedelta(days=3)}],
            )
        ],
        pools=[cash_pool("1000000")],
        scenario=scenario(),
    ),
    "D3 recorded freeze ends when recorded": company(
        policy=policy(10),
        channels=[
            channel(limit="1000000", events=[{"kind": "freeze", "date": AS_OF - timedelta(days=2), "freeze_days": 5}])
        ],
        pools=[cash_pool("100000")],
        cash_flows=[daily_flow("-50000")],
        scenario=scenario(10),
    ),
    "D3 recorded freeze without freeze_days lasts the horizon": company(
        policy=policy(10),
        channels=[channel(limit="1000000", events=[{"kind": "freeze", "date": AS_OF - timedelta(days=2)}])],
        pools=[cash_pool("100000")],
        cash_flows=[daily_flow("-50000")],
        scenario=scenario(10),
    ),
    "D4 a line starting inside the horizon is no liquidity before its start": company(
        policy=policy(),
        channels=[channel(limit="1000000", start_date=AS_OF + timedelta(days=10))],
        pools=[cash_pool("500000")],
        scenario=scenario(),
    ),
    "D5 an own assessment dated after as-of is ignored": company(
        policy=policy(),
        own_assessments=[{"as_of": date(2025, 12, 1), "rating": "BBB"}, {"as_of": date(2026, 3, 1), "rating": "BB"}],
        channels=[
            channel(limit="1000000", triggers=[{"kind": "own_rating_below", "rating": "BBB-", "action": "close"}])
        ],
        pools=[cash_pool("500000")],
        scenario=scenario(),
    ),
    "D5 an FX rate dated after as-of is ignored": company(
        policy=policy(),
        fx=[
            {"currency": "USD", "as_of": date(2025, 12, 15), "rate": "7.0"},
            {"currency": "USD", "as_of": date(2026, 1, 10), "rate": "9.0"},
        ],
        pools=[cash_pool("100000", "USD")],
        scenario=scenario(),
    ),
    "D5/D10 own downgrade by notches fires a rating trigger on day 0": company(
        policy=policy(),
        own_assessments=[{"as_of": date(2025, 12, 1), "rating": "BBB"}],
        channels=[
            channel(limit="1000000", triggers=[{"kind": "own_rating_below", "rating": "BBB-", "action": "close"}])
        ],
        pools=[cash_pool("500000")],
        scenario=scenario(own_downgrade_notches=2),
    ),
    "D6 an omitted lead time is the pool's days to cash": company(
        policy=policy(),
        channels=[channel(limit="100000")],
        pools=[cash_pool("300000"), pool("mmf", "money_market_fund", "500000", days_to_cash=5)],
        cash_flows=[daily_flow("-100000")],
        plan=on_shock(step(1, "liquidate_pool", pool="mmf")),
        scenario=scenario(30, [close()]),
    ),
    "D6 a backup-line pool is gone when its channel is shut": company(
        policy=policy(),
        channels=[channel(limit="100000")],
        pools=[cash_pool("300000"), pool("backup", "backup_line", "500000", days_to_cash=1, channel="rev")],
        cash_flows=[daily_flow("-100000")],
        plan=on_shock(step(1, "liquidate_pool", pool="backup", lead=2)),
        scenario=scenario(30, [close()]),
    ),
    "D7 no credit for uncommitted lines under market stress": company(
        policy=policy(),
        channels=[channel(limit="1000000", committed=False)],
        pools=[cash_pool("500000")],
        cash_flows=[daily_flow("-50000")],
        scenario=scenario(market_stress="1"),
    ),
    "D9 interest on the drill's own draws follows ACT/360": company(
        policy=policy(),
        channels=[channel(limit="10000000", annual_rate="0.10", day_count="ACT/360")],
        cash_flows=[daily_flow("-100000")],
        scenario=scenario(),
    ),
    "D11 fees on grid dates": company(
        policy=policy(60),
        channels=[channel(limit="1000000", fee_rate="0.01", start_date=date(2025, 12, 15))],
        pools=[cash_pool("1000000")],
        scenario=scenario(60),
    ),
    "D13 a drill shorter than the policy horizon is not_tested": company(
        policy=policy(90),
        pools=[cash_pool("1000000")],
        scenario=scenario(30),
    ),
    "D14 cash below the buffer is a breach; D16 extra liquidity": company(
        policy=policy(30, "200000"),
        pools=[cash_pool("300000")],
        cash_flows=[daily_flow("-50000")],
        scenario=scenario(30),
    ),
    "D16 extra liquidity when extra cash displaces draws on a line lost later": company(
        policy=policy(20),
        channels=[channel(limit="1000000")],
        cash_flows=[daily_flow("-100000")],
        scenario=scenario(20, [close(day=10)]),
    ),
    "policy horizon shorter than the drill: judged on its days only": company(
        policy=policy(10),
        pools=[cash_pool("1000000")],
        cash_flows=[daily_flow("-50000")],
        scenario=scenario(30),
    ),
    "lender shock: reduce with notice": company(
        policy=policy(),
        channels=[channel(limit="1000000", notice_days=10, draws=_drawn("800000"))],
        pools=[cash_pool("1000000")],
        scenario=scenario(
            30, [{"target_type": "channel", "target": "rev", "action": "reduce", "day": 2, "reduce_by": "0.5"}]
        ),
    ),
    "lender shock: call on supply-chain finance is due at once": company(
        policy=policy(),
        channels=[
            channel(channel_type="supply_chain_finance", limit="1000000", notice_days=30, draws=_drawn("300000"))
        ],
        pools=[cash_pool("1000000")],
        scenario=scenario(30, [{"target_type": "channel", "target": "rev", "action": "call", "day": 1}]),
    ),
    "lender shock: freeze for k days reopens on s + k": company(
        policy=policy(),
        channels=[channel(limit="1000000")],
        pools=[cash_pool("100000")],
        cash_flows=[daily_flow("-50000")],
        scenario=scenario(
            30, [{"target_type": "channel", "target": "rev", "action": "freeze", "day": 1, "freeze_days": 4}]
        ),
    ),
    "shock target all_platforms: a platform counterparty's line": company(
        policy=policy(),
        counterparties=[{"key": "plat", "name": "Platform", "kind": "platform"}],
        channels=[channel(limit="1000000", counterparty="plat")],
        pools=[cash_pool("500000")],
        scenario=scenario(30, [{"target_type": "all_platforms", "target": "", "action": "close", "day": 0}]),
    ),
    "trigger utilisation_above for 3 days": company(
        policy=policy(),
        channels=[
            channel(
                limit="1000000",
                draws=_drawn("900000"),
                triggers=[{"kind": "utilisation_above", "level": "0.8", "days": 3, "action": "close"}],
            )
        ],
        pools=[cash_pool("100000")],
        cash_flows=[daily_flow("-10000")],
        scenario=scenario(),
    ),
    "maturity inside the horizon on a rolling line": company(
        policy=policy(),
        channels=[
            channel(limit="1000000", rolls_over=True, maturity_date=AS_OF + timedelta(days=10), draws=_drawn("500000"))
        ],
        pools=[cash_pool("1000000")],
        scenario=scenario(),
    ),
    "below_threshold plan with a lead-0 step": company(
        policy=policy(),
        pools=[cash_pool("1000000"), pool("dep", "deposit", "300000")],
        cash_flows=[daily_flow("-100000")],
        plan={"trigger": "below_threshold", "threshold": "500000", "steps": [step(1, "liquidate_pool", pool="dep")]},
        scenario=scenario(),
    ),
    "cut_discretionary step": company(
        policy=policy(),
        channels=[channel(limit="100000")],
        pools=[cash_pool("1000000")],
        cash_flows=[daily_flow("-50000"), daily_flow("-20000", name="marketing", discretionary=True)],
        plan=on_shock(step(1, "cut_discretionary", amount="200000", lead=2)),
        scenario=scenario(30, [close()]),
    ),
    "step cost_rate": company(
        policy=policy(),
        channels=[channel(limit="100000")],
        pools=[cash_pool("1000000")],
        plan=on_shock(step(1, "other", amount="100000", lead=1, cost_rate="0.05")),
        scenario=scenario(30, [close()]),
    ),
    "a foreign-currency line's headroom at the as-of rate": company(
        policy=policy(),
        fx=[{"currency": "USD", "as_of": date(2025, 12, 31), "rate": "7.1"}],
        channels=[channel(limit="100000", currency="USD")],
        pools=[cash_pool("100000")],
        scenario=scenario(),
    ),
}
