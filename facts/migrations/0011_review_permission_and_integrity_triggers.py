"""A review permission per fact model, and database triggers that keep two evidence rules on every path.

- A source's text is frozen once any evidence span cites it (Source.save() says so to the ORM; the trigger stops
  raw SQL, QuerySet.update() and fixture loads), on PostgreSQL and SQLite alike.
- A fact never ends a transaction without evidence it had: on PostgreSQL a deferred constraint trigger checks, at
  commit, every fact whose span was deleted or re-pointed. SQLite has no deferred triggers; there every span
  deletion goes through EvidenceSpan.delete() or facts.services.instance_delete, which check the same rule.
"""

from django.db import migrations

FACT_COLUMNS = ("event", "statement", "relation", "affiliation")

PG_CREATE = [
    r"""
CREATE OR REPLACE FUNCTION facts_source_text_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.text IS DISTINCT FROM OLD.text AND EXISTS (SELECT 1 FROM facts_evidencespan WHERE source_id = OLD.id) THEN
        RAISE EXCEPTION 'The text of source % cannot change: evidence spans cite it by offset.', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
""",
    "CREATE TRIGGER facts_source_text_frozen BEFORE UPDATE OF text ON facts_source "
    "FOR EACH ROW EXECUTE FUNCTION facts_source_text_frozen()",
    r"""
CREATE OR REPLACE FUNCTION facts_fact_keeps_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
"""
    + "".join(
        f"""
    IF OLD.{fact}_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM facts_{fact} WHERE id = OLD.{fact}_id)
       AND NOT EXISTS (SELECT 1 FROM facts_evidencespan WHERE {fact}_id = OLD.{fact}_id) THEN
        RAISE EXCEPTION '{fact.capitalize()} % would be left without evidence.', OLD.{fact}_id
            USING ERRCODE = 'check_violation';
    END IF;"""
        for fact in FACT_COLUMNS
    )
    + """
    RETURN NULL;
END
$$;
""",
    "CREATE CONSTRAINT TRIGGER facts_evidence_keeps_fact AFTER DELETE OR UPDATE ON facts_evidencespan "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION facts_fact_keeps_evidence()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS facts_evidence_keeps_fact ON facts_evidencespan",
    "DROP FUNCTION IF EXISTS facts_fact_keeps_evidence()",
    "DROP TRIGGER IF EXISTS facts_source_text_frozen ON facts_source",
    "DROP FUNCTION IF EXISTS facts_source_text_frozen()",
]
SQLITE_CREATE = [
    "CREATE TRIGGER facts_source_text_frozen BEFORE UPDATE OF text ON facts_source FOR EACH ROW "
    "WHEN NEW.text IS NOT OLD.text AND EXISTS (SELECT 1 FROM facts_evidencespan WHERE source_id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'The text of a source cannot change: evidence spans cite it by offset.'); END",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS facts_source_text_frozen"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement, params=None)  # no placeholders: % belongs to PL/pgSQL

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0010_text_estimate"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="event",
            options={
                "ordering": ["date_start", "id"],
                "permissions": [("review_event", "Can mark events reviewed or verified")],
            },
        ),
        migrations.AlterModelOptions(
            name="relation",
            options={
                "ordering": ["id"],
                "permissions": [("review_relation", "Can mark relations reviewed or verified")],
            },
        ),
        migrations.AlterModelOptions(
            name="statement",
            options={
                "ordering": ["date_start", "id"],
                "permissions": [("review_statement", "Can mark statements reviewed or verified")],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": PG_CREATE, "sqlite": SQLITE_CREATE}),
            _run({"postgresql": PG_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
