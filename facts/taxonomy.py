"""The PLOVER event categories and their modes: what the API, its filters and the tests accept.

The CAMEO codebook itself is data, not code: fixtures/00_cameo.json (read by build_fixtures, never written), every
row with its CAMEO label and its PLOVER category and mode, compiled by hand from the published CAMEO manual and the
PLOVER project's CAMEO-to-PLOVER table. fixtures/CAMEO_PLOVER.md gives the origins, licences and decisions;
tests/unit/test_taxonomy.py checks the table against them.
"""

# The PLOVER event categories and the modes each takes, as the PLOVER manual draft 0.8 (PLOVER_MANUAL.tex at
# openeventdata/PLOVER e834df5, 17 September 2021: the commit of the table) lists them; a category without modes has
# "Supplementary fields: None" there.
PLOVER_MODES: dict[str, tuple[str, ...]] = {
    "AGREE": (),
    "CONSULT": ("visit", "third-party", "multilateral", "phone"),
    "SUPPORT": (),
    "CONCEDE": (),
    "COOPERATE": (),
    "AID": (),
    "RETREAT": ("withdraw", "release", "return", "disarm", "ceasefire", "access", "resign"),
    "REQUEST": ("assist", "change", "yield", "meet"),
    "ACCUSE": ("disapprove", "investigate", "allege"),
    "REJECT": ("assist", "change", "yield", "meet"),
    "THREATEN": ("restrict", "ban", "arrest", "relations", "expel", "territory", "violence"),
    "PROTEST": ("demo", "riot", "general", "strike", "hunger", "boycott", "obstruct"),
    "SANCTION": ("convict", "expel", "withdraw", "discontinue"),
    "MOBILIZE": ("troops", "weapons", "police", "militia"),
    "COERCE": (
        "seize",
        "restrict",
        "ban",
        "censor",
        "curfew",
        "martial-law",
        "arrest",
        "deport",
        "withhold",
        "misinformation",
    ),
    "ASSAULT": (
        "abduct",
        "beat",
        "torture",
        "execute",
        "sexual",
        "assassinate",
        "destroy",
        "primitive",
        "firearms",
        "explosives",
        "suicide-attack",
        "heavy-weapons",
        "crowd-control",
        "cleansing",
        "massacre",
        "unconventional",
        "sideAB",
    ),
}
PLOVER_CATEGORIES = tuple(PLOVER_MODES)
