"""The master rating scale, agency mappings, default probabilities and the Altman scores (hand-computed values)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from channels_app.ratings import (
    MASTER_SCALE,
    MASTER_SYMBOLS,
    PD_ANCHORS,
    RATING_CHOICES,
    Zone,
    altman_z,
    altman_z_double_prime,
    downgrade,
    em_score,
    implied_rating_from_z_double_prime,
    is_investment_grade,
    is_worse,
    pd_for,
    rank_of,
    rating_at,
    to_master,
)

D = Decimal


# -- the scale ----------------------------------------------------------------------------------------------------


def test_master_scale_runs_from_aaa_to_d_by_rank() -> None:
    assert MASTER_SYMBOLS == (
        "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
        "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "D",
    )  # fmt: skip
    assert [rank_of(symbol) for symbol in MASTER_SYMBOLS] == list(range(22))
    assert rating_at(8) == "BBB"
    assert RATING_CHOICES[0] == ("AAA", "AAA") and len(RATING_CHOICES) == 22


def test_letter_grades_carry_the_published_default_rates() -> None:
    # DESIGN.md: S&P long-run one-year averages AAA 0.00 %, AA 0.02 %, A 0.06 %, BBB 0.18 %, BB 0.72 %,
    # B 3.76 %, CCC/C 26.8 %; D 100 %.
    assert pd_for("AAA") == D("0")
    assert pd_for("AA") == D("0.0002")
    assert pd_for("A") == D("0.0006")
    assert pd_for("BBB") == D("0.0018")
    assert pd_for("BB") == D("0.0072")
    assert pd_for("B") == D("0.0376")
    assert pd_for("CCC") == D("0.268")
    assert pd_for("D") == D("1")
    assert {symbol: pd_for(symbol) for symbol in PD_ANCHORS} == PD_ANCHORS


def test_notches_are_geometric_between_the_anchors() -> None:
    letters = ["AA", "A", "BBB", "BB", "B", "CCC"]
    for better, worse in zip(letters, letters[1:], strict=False):
        high, low = float(PD_ANCHORS[better]), float(PD_ANCHORS[worse])
        assert float(pd_for(f"{better}-")) == pytest.approx(high ** (2 / 3) * low ** (1 / 3), abs=5e-7)
        assert float(pd_for(f"{worse}+")) == pytest.approx(high ** (1 / 3) * low ** (2 / 3), abs=5e-7)
    assert pd_for("AA+") == D("0.0001")
    for step, symbol in enumerate(["CCC-", "CC", "C"], start=1):
        assert float(pd_for(symbol)) == pytest.approx(0.268 * (1 / 0.268) ** (step / 4), abs=5e-7)


def test_default_probability_rises_with_every_notch_and_fits_the_model_field() -> None:
    pds = [grade.pd for grade in MASTER_SCALE]
    assert pds == sorted(pds) and len(set(pds)) == len(pds)
    for pd in pds:
        assert 0 <= pd <= 1 and pd == pd.quantize(D("0.000001"))  # DecimalField(max_digits=7, decimal_places=6)


def test_lookups_ignore_case_and_blanks_and_refuse_unknown_ratings() -> None:
    assert pd_for(" bbb- ") == pd_for("BBB-")
    assert rank_of("ccc+") == 16
    with pytest.raises(ValueError, match=re.escape("'BBB+-'")):
        pd_for("BBB+-")
    with pytest.raises(ValueError, match="'NR'"):
        rank_of("NR")
    with pytest.raises(ValueError, match="rank"):
        rating_at(22)


def test_downgrade_counts_notches_and_stops_at_c() -> None:
    assert downgrade("BBB", 3) == "BB"
    assert downgrade("A-", 1) == "BBB+"
    assert downgrade("BBB", 0) == "BBB"
    assert downgrade("CCC", 10) == "C"
    assert downgrade("C", 1) == "C"
    assert downgrade("D", 2) == "D"
    with pytest.raises(ValueError, match="notches"):
        downgrade("BBB", -1)


def test_investment_grade_and_trigger_comparisons() -> None:
    assert is_investment_grade("BBB-") and not is_investment_grade("BB+")
    assert is_worse("BB-", than="BB") and not is_worse("BB", than="BB") and not is_worse("A", than="BB")


# -- agencies -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moodys", "master"),
    [
        ("Aaa", "AAA"), ("Aa1", "AA+"), ("Aa2", "AA"), ("Aa3", "AA-"), ("A1", "A+"), ("A2", "A"), ("A3", "A-"),
        ("Baa1", "BBB+"), ("Baa2", "BBB"), ("Baa3", "BBB-"), ("Ba1", "BB+"), ("Ba2", "BB"), ("Ba3", "BB-"),
        ("B1", "B+"), ("B2", "B"), ("B3", "B-"), ("Caa1", "CCC+"), ("Caa2", "CCC"), ("Caa3", "CCC-"),
        ("Ca", "CC"), ("C", "C"),
    ],
)  # fmt: skip
def test_moodys_grades_map_notch_for_notch(moodys: str, master: str) -> None:
    assert to_master("moodys", moodys) == master
    assert to_master("Moody's", moodys.upper()) == master


@pytest.mark.parametrize("agency", ["sp", "S&P", "Standard & Poor's", "fitch", "Fitch Ratings", "master"])
def test_sp_and_fitch_symbols_are_the_master_scale(agency: str) -> None:
    for symbol in MASTER_SYMBOLS:
        assert to_master(agency, symbol) == symbol
    assert to_master(agency, " bb+ ") == "BB+"


def test_selective_and_restricted_default_are_default() -> None:
    assert to_master("S&P", "SD") == "D"
    assert to_master("Fitch", "RD") == "D"


@pytest.mark.parametrize(
    "agency", ["cn", "CCXI", "Chengxin", "Dagong", "China Lianhe", "Pengyuan", "中诚信", "联合资信"]
)
def test_chinese_agency_grades_are_domestic_and_map_down_by_the_notch_offset(agency: str) -> None:
    # Six notches (BIS Working Paper 648): AAA AA+ AA AA- A+ A | A- ...; domestic AAA is master A-, AA is BBB.
    assert to_master(agency, "AAA", 6) == "A-"
    assert to_master(agency, "AA", 6) == "BBB"
    assert to_master(agency, "AA-", 7) == "BB+"
    assert to_master(agency, "B", 6) == "C"  # the shift stops at C
    assert to_master(agency, "D", 6) == "D"
    # With no offset the symbol reads as it stands.
    assert to_master(agency, "AAA") == "AAA"
    assert to_master(agency, "AA+") == "AA+"
    assert to_master(agency, "A-") == "A-"
    assert to_master(agency, "CCC") == "CCC"
    assert to_master(agency, "C") == "C"


def test_unknown_grade_or_agency_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'Baa4'"):
        to_master("moodys", "Baa4")
    with pytest.raises(ValueError, match="'Aa2'"):
        to_master("sp", "Aa2")  # a Moody's grade given as S&P's
    with pytest.raises(ValueError, match=re.escape("'AA+'")):
        to_master("moodys", "AA+")  # S&P's symbol given as Moody's: Moody's writes Aa1
    with pytest.raises(ValueError, match="'Kroll'"):
        to_master("Kroll", "AA")


# -- Altman Z (1968) ----------------------------------------------------------------------------------------------

# The hand-computed examples of both models share X1 = 0.1, X2 = 0.2 and X3 = 0.05; the zone boundaries leave only
# the last ratio (X5 for Z, X4 for Z'') non-zero.
HAND_X1_X3 = {"working_capital": D("100"), "retained_earnings": D("200"), "ebit": D("50"), "total_assets": D("1000")}
ZERO_X1_X3 = {"working_capital": 0, "retained_earnings": 0, "ebit": 0, "total_assets": 1}


def test_altman_z_hand_computed_grey_zone() -> None:
    # X1 0.1, X2 0.2, X3 0.05, X4 600/400 = 1.5, X5 1.0: 0.12 + 0.28 + 0.165 + 0.9 + 1.0 = 2.465
    result = altman_z(**HAND_X1_X3, market_value_equity=D("600"), sales=D("1000"), total_liabilities=D("400"))
    assert result.score == D("2.4650")
    assert result.zone == Zone.GREY == "grey"
    assert result.model == "Z" and result.implied_rating is None
    assert result.ratios == {
        "working_capital_to_total_assets": D("0.100000"),
        "retained_earnings_to_total_assets": D("0.200000"),
        "ebit_to_total_assets": D("0.050000"),
        "market_equity_to_total_liabilities": D("1.500000"),
        "sales_to_total_assets": D("1.000000"),
    }


def test_altman_z_safe_and_distress() -> None:
    safe = altman_z(
        working_capital=250,
        retained_earnings=400,
        ebit=150,
        market_value_equity=1500,
        sales=1200,
        total_assets=1000,
        total_liabilities=500,
    )
    assert safe.score == D("4.3550") and safe.zone == "safe"  # 0.3 + 0.56 + 0.495 + 1.8 + 1.2
    distress = altman_z(
        working_capital=-50,
        retained_earnings=-100,
        ebit=-20,
        market_value_equity=100,
        sales=500,
        total_assets=1000,
        total_liabilities=900,
    )
    # -0.06 - 0.14 - 0.066 + 0.6 × 100/900 + 0.5 = 0.300667
    assert distress.score == D("0.3007") and distress.zone == "distress"


@pytest.mark.parametrize(
    ("sales", "zone"), [("1.8099", "distress"), ("1.81", "grey"), ("2.99", "grey"), ("2.9901", "safe")]
)
def test_altman_z_zone_boundaries(sales: str, zone: str) -> None:
    result = altman_z(**ZERO_X1_X3, market_value_equity=0, sales=D(sales), total_liabilities=1)
    assert result.score == D(sales) and result.zone == zone


# -- Altman Z'' ---------------------------------------------------------------------------------------------------


def test_altman_z_double_prime_hand_computed_with_implied_rating() -> None:
    # X1 0.1, X2 0.2, X3 0.05, X4 500/500 = 1: 0.656 + 0.652 + 0.336 + 1.05 = 2.694; EM score 5.944 -> BBB
    result = altman_z_double_prime(**HAND_X1_X3, book_equity=D("500"), total_liabilities=D("500"))
    assert result.score == D("2.6940")
    assert result.zone == "safe"
    assert result.model == "Z''"
    assert result.implied_rating == "BBB"
    assert result.ratios["book_equity_to_total_liabilities"] == D("1.000000")


def test_altman_z_double_prime_negative_equity_is_distress_and_d() -> None:
    # -1.312 - 0.978 - 0.336 + 1.05 × (-100/1100) = -2.721455
    result = altman_z_double_prime(
        working_capital=-200,
        retained_earnings=-300,
        ebit=-50,
        book_equity=-100,
        total_assets=1000,
        total_liabilities=1100,
    )
    assert result.score == D("-2.7215") and result.zone == "distress" and result.implied_rating == "D"


@pytest.mark.parametrize(
    ("book_equity", "zone"), [("1.0499", "distress"), ("1.1", "grey"), ("2.6", "grey"), ("2.6001", "safe")]
)
def test_altman_z_double_prime_zone_boundaries(book_equity: str, zone: str) -> None:
    # With total liabilities 1.05, X4 × 1.05 is the book equity itself.
    result = altman_z_double_prime(**ZERO_X1_X3, book_equity=D(book_equity), total_liabilities=D("1.05"))
    assert result.score == D(book_equity).quantize(D("0.0001")) and result.zone == zone


@pytest.mark.parametrize(
    ("z_double_prime", "rating"),
    [
        ("4.90", "AAA"),  # EM score 8.15
        ("4.8999", "AA+"),
        ("2.60", "BBB"),  # EM score 5.85
        ("2.5999", "BBB-"),
        ("1.00", "B"),  # EM score 4.25: above B's 4.15, below B+'s 4.50
        ("-1.50", "CCC-"),  # EM score 1.75
        ("-1.5001", "D"),
    ],
)
def test_implied_rating_from_the_em_score_table(z_double_prime: str, rating: str) -> None:
    assert implied_rating_from_z_double_prime(D(z_double_prime)) == rating


def test_em_score_adds_the_constant() -> None:
    assert em_score(D("2.694")) == D("5.944")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total_assets": 0}, "total_assets"),
        ({"total_assets": -10}, "total_assets"),
        ({"total_liabilities": 0}, "total_liabilities"),
        ({"market_value_equity": -1}, "market_value_equity"),
        ({"sales": -1}, "sales"),
        ({"ebit": "n/a"}, "ebit"),
        ({"working_capital": None}, "working_capital"),
        ({"retained_earnings": float("nan")}, "retained_earnings"),
    ],
)
def test_altman_z_refuses_bad_financials_naming_the_field(overrides: dict[str, object], field: str) -> None:
    financials: dict[str, object] = {
        "working_capital": 1,
        "retained_earnings": 1,
        "ebit": 1,
        "market_value_equity": 1,
        "sales": 1,
        "total_assets": 10,
        "total_liabilities": 5,
    }
    financials.update(overrides)
    with pytest.raises(ValueError, match=field):
        altman_z(**financials)  # type: ignore[arg-type]


def test_altman_z_double_prime_refuses_bad_totals() -> None:
    with pytest.raises(ValueError, match="total_assets"):
        altman_z_double_prime(
            working_capital=1, retained_earnings=1, ebit=1, book_equity=1, total_assets=0, total_liabilities=1
        )
    with pytest.raises(ValueError, match="total_liabilities"):
        altman_z_double_prime(
            working_capital=1, retained_earnings=1, ebit=1, book_equity=1, total_assets=1, total_liabilities=-1
        )
