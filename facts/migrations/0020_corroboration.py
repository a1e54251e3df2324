"""Corroboration: every event, statement and relation counts the distinct sources its evidence spans cite.

`sources_count` is derived data, kept by the database on every path (the API, the admin's inlines, history reverts,
fixture loads, bulk_create, raw SQL), from one counting rule, SOURCES_COUNT_RULE below:

- Triggers on facts_evidencespan recount the facts whose spans were inserted, deleted or changed (a span moved to
  another fact, or to another source, recounts both facts). On PostgreSQL they run once per statement over its
  transition tables, so a COPY of a million spans is one set-based recount; on SQLite once per row.
- A trigger on each fact table keeps its own writes from changing the count: an ORM save writes every column, and
  an instance read before its spans changed would write back a stale count. On PostgreSQL a write from outside a
  trigger keeps the stored value (pg_trigger_depth() = 0); on SQLite the count is recounted instead. A fact
  inserted with spans already in place (a fixture that lists spans first, its keys checked at commit) is counted; one
  inserted without spans keeps the count it is given until its first span comes (generate_synthetic writes the count
  its batch's spans will give, so that their recount writes nothing). Every fact has spans by the end of its write.

Later migrations that change the rule drop these triggers (DROP), recount (recount_sql) and create them again
(create_sql) with the new rule, importing this module as 0014 imports 0011.
"""

import importlib

from django.db import migrations, models

import facts.models
from facts import versioning

_0011 = importlib.import_module("facts.migrations.0011_review_permission_and_integrity_triggers")

# The counting rule, the one place it is written: an aggregate over a fact's evidence spans `s` (LEFT JOINed:
# all NULL for a fact with none), which every trigger below is built from. A candidate span (a passage the extractor
# proposes for a vetted event, migration 0019) corroborates nothing until a curator accepts it; accepting it is an
# UPDATE of `candidate`, which the update triggers recount.
SOURCES_COUNT_RULE = "COUNT(DISTINCT s.source_id) FILTER (WHERE NOT s.candidate)"
# The facts that carry a count: facts_<fact>, cited through facts_evidencespan.<fact>_id.
FACTS = ("event", "statement", "relation")


def _counted(fact: str, ids: str, rule: str) -> str:
    """SQL of (id, n): the count of each fact whose id is in the query `ids` (a column `id`)."""
    return (
        f"SELECT ids.id, {rule} AS n FROM ({ids}) AS ids "
        f"LEFT JOIN facts_evidencespan AS s ON s.{fact}_id = ids.id GROUP BY ids.id"
    )


def _recount(fact: str, ids: str, rule: str) -> str:
    """SQL that sets the count of the facts whose ids `ids` selects, writing only the rows whose count changes."""
    return (
        f"UPDATE facts_{fact} AS f SET sources_count = c.n FROM ({_counted(fact, ids, rule)}) AS c "
        "WHERE f.id = c.id AND f.sources_count IS DISTINCT FROM c.n"
    )


def _pg_span_function(rule: str) -> str:
    # EXECUTE plans each recount for its own transition table: a cached plan made for one span would read a
    # million-row COPY by nested loop, and one made for the COPY would hash-join every span for one API write.
    # No JIT: a batch's recount over 10^6 facts is costed above jit_above_cost, and compiling it (25-70 ms) takes
    # longer than running it.
    changed = {
        "INSERT": "SELECT * FROM facts_new_spans",
        "DELETE": "SELECT * FROM facts_old_spans",
        "UPDATE": "SELECT * FROM facts_old_spans UNION ALL SELECT * FROM facts_new_spans",
    }
    branches = "".join(
        f"""
    {"IF" if i == 0 else "ELSIF"} TG_OP = '{op}' THEN changed := '{query}';"""
        for i, (op, query) in enumerate(changed.items())
    )
    # format() puts the changed rows' query in each recount (%s; the SQL holds no other %).
    recounts = "".join(
        f"""
    EXECUTE format({_quote(_recount(fact, f"SELECT DISTINCT {fact}_id AS id FROM (%s) AS t WHERE {fact}_id IS NOT NULL", rule))}, changed);"""
        for fact in FACTS
    )
    return f"""
CREATE OR REPLACE FUNCTION facts_recount_span_sources() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    changed text;
BEGIN{branches}
    END IF;{recounts}
    RETURN NULL;
END
$$;
"""


def _quote(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


# The new facts that spans already cite (inserted first, their keys checked at commit): the others have no spans yet,
# and their spans' own trigger counts them as they come.
NEW_FACTS_CITED = (
    "SELECT DISTINCT s0.%1$s_id AS id FROM facts_new_facts AS n JOIN facts_evidencespan AS s0 ON s0.%1$s_id = n.id"
)


def _pg_fact_function(rule: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION facts_count_new_fact_sources() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    EXECUTE format({_quote(_recount("%1$s", NEW_FACTS_CITED, rule))}, TG_ARGV[0]);
    RETURN NULL;
END
$$;
"""


PG_KEEP_FUNCTION = r"""
CREATE OR REPLACE FUNCTION facts_sources_count_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.sources_count := OLD.sources_count;
    RETURN NEW;
END
$$;
"""


def _pg_create(rule: str) -> list[str]:
    statements = [_pg_span_function(rule), _pg_fact_function(rule), PG_KEEP_FUNCTION]
    transition = {"INSERT": "NEW TABLE AS facts_new_spans", "DELETE": "OLD TABLE AS facts_old_spans"}
    transition["UPDATE"] = "OLD TABLE AS facts_old_spans NEW TABLE AS facts_new_spans"
    statements += [
        f"CREATE TRIGGER facts_evidence_sources_{op.lower()} AFTER {op} ON facts_evidencespan "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION facts_recount_span_sources()"
        for op, tables in transition.items()
    ]
    for fact in FACTS:
        statements += [
            f"CREATE TRIGGER facts_{fact}_sources_counted AFTER INSERT ON facts_{fact} "
            f"REFERENCING NEW TABLE AS facts_new_facts FOR EACH STATEMENT "
            f"EXECUTE FUNCTION facts_count_new_fact_sources('{fact}')",
            f"CREATE TRIGGER facts_{fact}_sources_count_kept BEFORE UPDATE OF sources_count ON facts_{fact} "
            "FOR EACH ROW WHEN (pg_trigger_depth() = 0 AND NEW.sources_count IS DISTINCT FROM OLD.sources_count) "
            "EXECUTE FUNCTION facts_sources_count_kept()",
        ]
    return statements


PG_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS facts_evidence_sources_{op} ON facts_evidencespan"
        for op in ("insert", "update", "delete")
    ),
    *(
        f"DROP TRIGGER IF EXISTS facts_{fact}_{name} ON facts_{fact}"
        for fact in FACTS
        for name in ("sources_counted", "sources_count_kept")
    ),
    "DROP FUNCTION IF EXISTS facts_recount_span_sources()",
    "DROP FUNCTION IF EXISTS facts_count_new_fact_sources()",
    "DROP FUNCTION IF EXISTS facts_sources_count_kept()",
]


def _sqlite_count(fact: str, key: str, rule: str) -> str:
    return f"(SELECT {rule} FROM facts_evidencespan AS s WHERE s.{fact}_id = {key})"


def _sqlite_create(rule: str) -> list[str]:
    def recount(row: str) -> str:
        return " ".join(
            f"UPDATE facts_{fact} SET sources_count = {_sqlite_count(fact, f'facts_{fact}.id', rule)} "
            f"WHERE id = {row}.{fact}_id;"
            for fact in FACTS
        )

    spans = {"insert": recount("NEW"), "delete": recount("OLD"), "update": recount("OLD") + " " + recount("NEW")}
    statements = [
        f"CREATE TRIGGER facts_evidence_sources_{op} AFTER {op.upper()} ON facts_evidencespan FOR EACH ROW "
        f"BEGIN {body} END"
        for op, body in spans.items()
    ]
    for fact in FACTS:
        count = _sqlite_count(fact, "NEW.id", rule)
        fix = f"BEGIN UPDATE facts_{fact} SET sources_count = {count} WHERE id = NEW.id; END"
        cited = f"EXISTS (SELECT 1 FROM facts_evidencespan WHERE {fact}_id = NEW.id)"
        statements += [
            f"CREATE TRIGGER facts_{fact}_sources_counted AFTER INSERT ON facts_{fact} FOR EACH ROW "
            f"WHEN {cited} AND NEW.sources_count IS NOT {count} {fix}",
            f"CREATE TRIGGER facts_{fact}_sources_count_kept AFTER UPDATE OF sources_count ON facts_{fact} "
            f"FOR EACH ROW WHEN NEW.sources_count IS NOT {count} {fix}",
        ]
    return statements


SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS facts_evidence_sources_{op}" for op in ("insert", "update", "delete")),
    *(
        f"DROP TRIGGER IF EXISTS facts_{fact}_{name}"
        for fact in FACTS
        for name in ("sources_counted", "sources_count_kept")
    ),
]


def recount_sql(rule: str = SOURCES_COUNT_RULE) -> list[str]:
    """Every fact's count, recounted (on either database): run while the triggers are dropped."""
    return [
        f"UPDATE facts_{fact} SET sources_count = {_sqlite_count(fact, f'facts_{fact}.id', rule)}" for fact in FACTS
    ]


def create_sql(rule: str = SOURCES_COUNT_RULE) -> dict[str, list[str]]:
    """The triggers of `rule`, by database vendor."""
    return {"postgresql": _pg_create(rule), "sqlite": _sqlite_create(rule)}


DROP = {"postgresql": PG_DROP, "sqlite": SQLITE_DROP}
HELP = "How many distinct sources the fact's evidence spans cite; kept by the database."


def _field():
    return models.PositiveIntegerField(db_default=0, default=0, editable=False, help_text=HELP)


def _corroborated_order(fact: str):
    return facts.models.NullsFirstIndex(
        condition=models.Q(("sources_count__gte", 2)) & ~models.Q(("status", "candidate")),
        fields=["date_start", "id", "sources_count"],
        name=f"{fact}_corroborated_order",
        nulls_first=("date_start",),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0019_candidate_actors_and_evidence"),
    ]

    operations = versioning.kept_through_rebuilds(
        [
            *(migrations.AddField(model_name=fact, name="sources_count", field=_field()) for fact in FACTS),
            migrations.RunPython(
                _0011._run({"postgresql": recount_sql(), "sqlite": recount_sql()}), migrations.RunPython.noop
            ),
            migrations.RunPython(_0011._run(create_sql()), _0011._run(DROP)),
            migrations.AddIndex(model_name="event", index=_corroborated_order("event")),
            migrations.AddIndex(model_name="statement", index=_corroborated_order("statement")),
        ]
    )
