"""The tags that group the operations in the docs: one per resource, named as its path (`/api/v1/<tag>/`)."""

# In the order the docs list them: the facts first, then what they refer to, then the feed of changes.
TAGS = [
    {
        "name": "events",
        "description": "Who did what, where and when: CAMEO type, participants with their roles, place, dates, and "
        "the passages that state it. `/events/{id}/claims/` groups the statements about an event by side.",
    },
    {
        "name": "statements",
        "description": "Who said what (quote, partial quote or paraphrase), through which channel, about which "
        "actors, places and events, with the passages that report it.",
    },
    {
        "name": "relations",
        "description": "Standing relations between two actors (at war, allies, mediating, ...), as sources state "
        "them, over the interval they give.",
    },
    {
        "name": "actors",
        "description": "Persons, states, organizations and groups, addressed by slug, with their aliases and the "
        "passages that name them.",
    },
    {
        "name": "places",
        "description": "Places in a hierarchy (region > country > enclave > city > facility), addressed by slug, "
        "with approximate coordinates; also served as GeoJSON.",
    },
    {
        "name": "event-types",
        "description": "The CAMEO event codebook (with its PLOVER category and mode), addressed by code, with how "
        "many events use each code.",
    },
    {
        "name": "sources",
        "description": "The source documents that every fact cites; a source's text is what evidence offsets index.",
    },
    {
        "name": "mentions",
        "description": "Where each source names a known actor or place, through any of its aliases (written by "
        "`propose_facts` with the candidate facts it proposes).",
    },
    {
        "name": "changes",
        "description": "The feed of created, updated and deleted objects in time order, for keeping a copy in sync.",
    },
]
TAG_NAMES = [tag["name"] for tag in TAGS]


def resource_tag(basename: str) -> str:
    """The tag of the viewset registered under `basename` (facts.api.urls): its path segment."""
    return f"{basename}s"
