"""The oracle's rating scale: the master scale, and the domestic grades' notch offset (D32)."""

MASTER_SCALE = ("AAA AA+ AA AA- A+ A A- BBB+ BBB BBB- BB+ BB BB- B+ B B- CCC+ CCC CCC- CC C D").split()
RANK = {symbol: rank for rank, symbol in enumerate(MASTER_SCALE)}
RANK_C = RANK["C"]
# DESIGN: "Domestic (Chinese agency) grades map to the master scale with a documented notch offset" -- D32: the
# company's `domestic_notch_offset` (6 by default, BIS Working Paper 648); a domestic grade X is the master grade X
# + offset, stopping at C (D stays D).
DEFAULT_DOMESTIC_NOTCH_OFFSET = 6


def trigger_rank(trigger: dict, domestic_offset: int) -> int:
    rank = RANK[trigger["rating"]]
    if trigger.get("scale", "master") == "domestic" and trigger["rating"] != "D":
        rank = min(rank + domestic_offset, RANK_C)
    return rank
