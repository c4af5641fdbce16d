"""An independent oracle of DESIGN.md's deterministic drill rules (see drill.py), written from the documents only."""
