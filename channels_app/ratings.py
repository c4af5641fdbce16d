"""Credit standing on one master scale: agency grades, one-year default probabilities, and the Altman scores.

Pure Python (no Django import): the credit-assessment service, the lenders' rating triggers and the drill engine's
own-downgrade shock all read the same scale.

**Master scale.** AAA, AA+, AA, AA-, A+, A, A-, BBB+, BBB, BBB-, BB+, BB, BB-, B+, B, B-, CCC+, CCC, CCC-, CC, C, D;
`rank` 0 (AAA) … 21 (D), higher is worse. S&P and Fitch use these symbols; Moody's maps notch for notch (Aaa → AAA,
Aa1 → AA+, … Caa3 → CCC-, Ca → CC, C → C); the Chinese agencies' long-term scale (CCXI/Chengxin, Dagong, Lianhe,
Pengyuan, Golden Credit, Shanghai Brilliance, …) uses S&P's symbols, but a Chinese *domestic* grade is not a
global-scale grade: it maps to the master scale a documented number of notches lower (`master_rank`, the company's
`domestic_notch_offset`, 6 by default after BIS Working Paper 648, which finds 6–7 notches on jointly rated firms:
domestic AA is master BBB, domestic AAA is A-).

**One-year PD.** Whole-letter anchors are the long-run average one-year default rates of S&P Global Ratings'
annual global corporate default and rating transition study (as quoted in DESIGN.md): AAA 0.00 %, AA 0.02 %,
A 0.06 %, BBB 0.18 %, BB 0.72 %, B 3.76 %, CCC/C 26.8 %; D is 100 %. Notches are interpolated geometrically (log-linear
in PD, the way default rates grow by notch): X- = X^(2/3)·Y^(1/3) and Y+ = X^(1/3)·Y^(2/3) between neighbouring anchors
X and Y. Two choices the study does not make for us: AA+ sits between AAA's 0.00 % and AA's 0.02 %, where geometric
interpolation from zero is undefined, so it takes the midpoint 0.01 %; the study's pooled CCC/C bucket is placed at
CCC, and CCC-, CC and C continue geometrically towards D's 100 % in four equal steps. PDs are fractions (0.0018 =
0.18 %) with six decimals, rounded half up.

**Altman.** Z (1968, public manufacturers) = 1.2·X1 + 1.4·X2 + 3.3·X3 + 0.6·X4 + 1.0·X5 with X1 = working capital /
total assets, X2 = retained earnings / total assets, X3 = EBIT / total assets, X4 = market value of equity / total
liabilities, X5 = sales / total assets; distress below 1.81, grey 1.81–2.99, safe above 2.99. Z'' (1995, non-
manufacturers and emerging markets) = 6.56·X1 + 3.26·X2 + 6.72·X3 + 1.05·X4 with X4 = book equity / total liabilities;
distress below 1.1, grey 1.1–2.6, safe above 2.6. Z'' also gives an *approximate* implied rating: the EM score
Z'' + 3.25 read against the US bond-rating equivalents of Altman, Hartzell and Peck (1995), "Emerging markets
corporate bonds: a scoring system" (reprinted in Altman & Hotchkiss, Corporate Financial Distress and Bankruptcy,
2006). The table lists the *average* EM score of each rating class; a score gets the best class whose average it
reaches, so the mapping is a rough, somewhat conservative bond-rating equivalent — a model input, not a rating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from .schedules import as_decimal


@dataclass(frozen=True)
class Grade:
    """One notch of the master scale."""

    symbol: str
    rank: int
    pd: Decimal  # one-year probability of default, as a fraction


MASTER_SCALE: tuple[Grade, ...] = tuple(
    Grade(symbol, rank, Decimal(pd))
    for rank, (symbol, pd) in enumerate(
        [
            ("AAA", "0.000000"),  # anchor
            ("AA+", "0.000100"),  # midpoint of AAA and AA (see module docstring)
            ("AA", "0.000200"),  # anchor
            ("AA-", "0.000288"),
            ("A+", "0.000416"),
            ("A", "0.000600"),  # anchor
            ("A-", "0.000865"),
            ("BBB+", "0.001248"),
            ("BBB", "0.001800"),  # anchor
            ("BBB-", "0.002857"),
            ("BB+", "0.004536"),
            ("BB", "0.007200"),  # anchor
            ("BB-", "0.012492"),
            ("B+", "0.021672"),
            ("B", "0.037600"),  # anchor
            ("B-", "0.072361"),
            ("CCC+", "0.139258"),
            ("CCC", "0.268000"),  # anchor (the study's CCC/C bucket)
            ("CCC-", "0.372478"),
            ("CC", "0.517687"),
            ("C", "0.719505"),
            ("D", "1.000000"),
        ]
    )
)
PD_ANCHORS: dict[str, Decimal] = {
    "AAA": Decimal("0.0000"),
    "AA": Decimal("0.0002"),
    "A": Decimal("0.0006"),
    "BBB": Decimal("0.0018"),
    "BB": Decimal("0.0072"),
    "B": Decimal("0.0376"),
    "CCC": Decimal("0.268"),
    "D": Decimal("1"),
}
_BY_SYMBOL: dict[str, Grade] = {grade.symbol: grade for grade in MASTER_SCALE}
MASTER_SYMBOLS: tuple[str, ...] = tuple(grade.symbol for grade in MASTER_SCALE)
RATING_CHOICES: list[tuple[str, str]] = [(symbol, symbol) for symbol in MASTER_SYMBOLS]
WORST_BEFORE_DEFAULT = "C"
INVESTMENT_GRADE_FLOOR = "BBB-"


# -- agencies -----------------------------------------------------------------------------------------------------

_MOODYS = {
    "Aaa": "AAA",
    "Aa1": "AA+",
    "Aa2": "AA",
    "Aa3": "AA-",
    "A1": "A+",
    "A2": "A",
    "A3": "A-",
    "Baa1": "BBB+",
    "Baa2": "BBB",
    "Baa3": "BBB-",
    "Ba1": "BB+",
    "Ba2": "BB",
    "Ba3": "BB-",
    "B1": "B+",
    "B2": "B",
    "B3": "B-",
    "Caa1": "CCC+",
    "Caa2": "CCC",
    "Caa3": "CCC-",
    "Ca": "CC",
    "C": "C",
}
# S&P's selective default and Fitch's restricted default are defaults on the master scale.
_SP_FITCH = {**{symbol: symbol for symbol in MASTER_SYMBOLS}, "SD": "D", "RD": "D"}
_CHINESE = {symbol: symbol for symbol in MASTER_SYMBOLS}

_SP, _MOODYS_KEY, _FITCH, _CN, _MASTER = "sp", "moodys", "fitch", "cn", "master"
_AGENCY_ALIASES = {
    _MASTER: ("master", "internal", "model"),
    _SP: ("sp", "s&p", "s&p global", "s&p global ratings", "standard & poor's", "standard and poors"),
    _MOODYS_KEY: ("moodys", "moody's", "moody", "moody's investors service"),
    _FITCH: ("fitch", "fitch ratings"),
    _CN: (
        "cn",
        "chinese",
        "china",
        "ccxi",
        "chengxin",
        "china chengxin",
        "dagong",
        "dagong global",
        "lianhe",
        "china lianhe",
        "lianhe ratings",
        "pengyuan",
        "csci pengyuan",
        "golden credit",
        "dongfang jincheng",
        "shanghai brilliance",
        "brilliance",
        "shxsj",
        "anrong",
        "yuanlian",
        "中诚信",
        "中诚信国际",
        "大公",
        "大公国际",
        "联合",
        "联合资信",
        "中证鹏元",
        "鹏元",
        "东方金诚",
        "上海新世纪",
        "新世纪",
    ),
}


def _agency_key(agency: str) -> str:
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", agency.lower())


_AGENCIES = {_agency_key(alias): agency for agency, aliases in _AGENCY_ALIASES.items() for alias in aliases}


def to_master(agency: str, grade: str, domestic_offset: int = 0) -> str:
    """The master-scale symbol for an agency's grade (`agency`: sp, moodys, fitch, cn, master or a name/alias).

    A Chinese agency's grade is a domestic grade: it maps `domestic_offset` notches down the master scale (the
    company's offset, BIS Working Paper 648's 6-7 notches by default; 0 reads the symbol as it stands)."""
    family = _AGENCIES.get(_agency_key(str(agency)))
    if family is None:
        raise ValueError(f"Unknown rating agency {agency!r}: use S&P, Moody's, Fitch or a Chinese agency")
    text = str(grade).strip()
    if family == _MOODYS_KEY:
        mapped = _MOODYS.get(text.capitalize())
    elif family == _CN:
        mapped = _CHINESE.get(text.upper())
    else:
        mapped = _SP_FITCH.get(text.upper())
    if mapped is None:
        raise ValueError(f"Unknown {agency} grade {grade!r}")
    if family == _CN and domestic_offset:
        return rating_at(master_rank(mapped, "domestic", domestic_offset))
    return mapped


# -- the scale ----------------------------------------------------------------------------------------------------


def grade_of(rating: str) -> Grade:
    """The master-scale notch for a symbol (case and surrounding blanks ignored)."""
    try:
        return _BY_SYMBOL[str(rating).strip().upper()]
    except KeyError:
        raise ValueError(f"Unknown rating {rating!r} on the master scale (AAA … C, D)") from None


def pd_for(rating: str) -> Decimal:
    """One-year probability of default of a master-scale rating, as a fraction (BBB → 0.0018)."""
    return grade_of(rating).pd


def rank_of(rating: str) -> int:
    """0 for AAA … 21 for D; a higher rank is a worse credit."""
    return grade_of(rating).rank


def rating_at(rank: int) -> str:
    if not 0 <= rank < len(MASTER_SCALE):
        raise ValueError(f"rank: must be 0 … {len(MASTER_SCALE) - 1}, got {rank}")
    return MASTER_SCALE[rank].symbol


def downgrade(rating: str, notches: int) -> str:
    """The rating `notches` notches worse, stopping at C: a downgrade is not a default. D stays D."""
    if notches < 0:
        raise ValueError(f"notches: must not be negative, got {notches}")
    grade = grade_of(rating)
    if grade.symbol == "D":
        return "D"
    return rating_at(min(grade.rank + notches, rank_of(WORST_BEFORE_DEFAULT)))


def is_investment_grade(rating: str) -> bool:
    return rank_of(rating) <= rank_of(INVESTMENT_GRADE_FLOOR)


def is_worse(rating: str, than: str) -> bool:
    """True when `rating` is strictly below `than` on the master scale (a trigger 'falls below BB')."""
    return rank_of(rating) > rank_of(than)


# -- Altman -------------------------------------------------------------------------------------------------------


class Zone(StrEnum):
    SAFE = "safe"
    GREY = "grey"
    DISTRESS = "distress"


@dataclass(frozen=True)
class AltmanResult:
    """A Z or Z'' score, its zone, the ratios it was computed from and, for Z'', the implied rating."""

    score: Decimal
    zone: Zone
    ratios: dict[str, Decimal] = field(default_factory=dict)
    model: str = "Z"
    implied_rating: str | None = None


SCORE_PLACES = Decimal("0.0001")
RATIO_PLACES = Decimal("0.000001")
EM_SCORE_CONSTANT = Decimal("3.25")
# Altman, Hartzell & Peck (1995): average EM score (Z'' + 3.25) of each US bond-rating class.
EM_SCORE_RATING_EQUIVALENTS: tuple[tuple[Decimal, str], ...] = tuple(
    (Decimal(score), rating)
    for score, rating in (
        ("8.15", "AAA"),
        ("7.60", "AA+"),
        ("7.30", "AA"),
        ("7.00", "AA-"),
        ("6.85", "A+"),
        ("6.65", "A"),
        ("6.40", "A-"),
        ("6.25", "BBB+"),
        ("5.85", "BBB"),
        ("5.65", "BBB-"),
        ("5.25", "BB+"),
        ("4.95", "BB"),
        ("4.75", "BB-"),
        ("4.50", "B+"),
        ("4.15", "B"),
        ("3.75", "B-"),
        ("3.20", "CCC+"),
        ("2.50", "CCC"),
        ("1.75", "CCC-"),
    )
)


def _positive(value: object, name: str) -> Decimal:
    number = as_decimal(value, name)
    if number <= 0:
        raise ValueError(f"{name}: must be greater than 0, got {value}")
    return number


def _not_negative(value: object, name: str) -> Decimal:
    number = as_decimal(value, name)
    if number < 0:
        raise ValueError(f"{name}: must not be negative, got {value}")
    return number


def _zone(score: Decimal, distress_below: str, safe_above: str) -> Zone:
    if score < Decimal(distress_below):
        return Zone.DISTRESS
    if score > Decimal(safe_above):
        return Zone.SAFE
    return Zone.GREY


def _x1_to_x3(working_capital: object, retained_earnings: object, ebit: object, assets: Decimal) -> dict[str, Decimal]:
    """The three ratios to total assets both Altman models share (X1-X3)."""
    return {
        "working_capital_to_total_assets": as_decimal(working_capital, "working_capital") / assets,
        "retained_earnings_to_total_assets": as_decimal(retained_earnings, "retained_earnings") / assets,
        "ebit_to_total_assets": as_decimal(ebit, "ebit") / assets,
    }


def _scored(
    ratios: dict[str, Decimal], weights: tuple[Decimal, ...], *, distress_below: str, safe_above: str, model: str,
    implied: bool = False,
) -> AltmanResult:  # fmt: skip
    """The weighted sum of the ratios to four places, its zone, the ratios to six places (and Z''s implied rating)."""
    score = sum((w * x for w, x in zip(weights, ratios.values(), strict=True)), Decimal(0))
    score = score.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)
    return AltmanResult(
        score=score,
        zone=_zone(score, distress_below, safe_above),
        ratios={name: value.quantize(RATIO_PLACES, rounding=ROUND_HALF_UP) for name, value in ratios.items()},
        model=model,
        implied_rating=implied_rating_from_z_double_prime(score) if implied else None,
    )


def altman_z(
    *,
    working_capital: Decimal,
    retained_earnings: Decimal,
    ebit: Decimal,
    market_value_equity: Decimal,
    sales: Decimal,
    total_assets: Decimal,
    total_liabilities: Decimal,
) -> AltmanResult:
    """Altman's 1968 Z-score for a listed manufacturer; zones: < 1.81 distress, 1.81–2.99 grey, > 2.99 safe."""
    assets = _positive(total_assets, "total_assets")
    liabilities = _positive(total_liabilities, "total_liabilities")
    ratios = {
        **_x1_to_x3(working_capital, retained_earnings, ebit, assets),
        "market_equity_to_total_liabilities": _not_negative(market_value_equity, "market_value_equity") / liabilities,
        "sales_to_total_assets": _not_negative(sales, "sales") / assets,
    }
    weights = (Decimal("1.2"), Decimal("1.4"), Decimal("3.3"), Decimal("0.6"), Decimal("1.0"))
    return _scored(ratios, weights, distress_below="1.81", safe_above="2.99", model="Z")


def altman_z_double_prime(
    *,
    working_capital: Decimal,
    retained_earnings: Decimal,
    ebit: Decimal,
    book_equity: Decimal,
    total_assets: Decimal,
    total_liabilities: Decimal,
) -> AltmanResult:
    """Altman's Z'' for non-manufacturers and emerging-market companies; < 1.1 distress, 1.1–2.6 grey, > 2.6 safe.

    Book equity may be negative (a company with accumulated losses); the result carries the EM-score implied rating.
    """
    assets = _positive(total_assets, "total_assets")
    liabilities = _positive(total_liabilities, "total_liabilities")
    ratios = {
        **_x1_to_x3(working_capital, retained_earnings, ebit, assets),
        "book_equity_to_total_liabilities": as_decimal(book_equity, "book_equity") / liabilities,
    }
    weights = (Decimal("6.56"), Decimal("3.26"), Decimal("6.72"), Decimal("1.05"))
    return _scored(ratios, weights, distress_below="1.1", safe_above="2.6", model="Z''", implied=True)


def em_score(z_double_prime: Decimal) -> Decimal:
    """Altman's emerging-market score: Z'' + 3.25."""
    return as_decimal(z_double_prime, "z_double_prime") + EM_SCORE_CONSTANT


def implied_rating_from_z_double_prime(z_double_prime: Decimal) -> str:
    """Approximate bond-rating equivalent of a Z'' score (module docstring); below CCC-'s average, D."""
    score = em_score(z_double_prime)
    for threshold, rating in EM_SCORE_RATING_EQUIVALENTS:
        if score >= threshold:
            return rating
    return "D"


def master_rank(rating: str, scale: str = "master", domestic_offset: int = 0) -> int:
    """The master-scale rank of a grade read on `scale`: a Chinese domestic grade sits `domestic_offset` notches above
    the global grade of the same symbol (BIS Working Paper 648: 6–7 notches on jointly rated firms), so domestic AA is
    master BBB at an offset of 6. The shift stops at C; D stays D."""
    rank = rank_of(rating)
    if scale != "domestic" or rank == rank_of("D"):
        return rank
    return min(rank + domestic_offset, rank_of(WORST_BEFORE_DEFAULT))


def domestic_grade(rating: str, domestic_offset: int) -> str:
    """The Chinese domestic-scale grade of a master-scale rating: `domestic_offset` notches better, stopping at AAA
    (master BBB is domestic AA at an offset of 6). D stays D. The inverse of `master_rank(…, "domestic", …)` above
    AAA."""
    rank = rank_of(rating)
    if rank == rank_of("D"):
        return "D"
    return rating_at(max(rank - domestic_offset, 0))
