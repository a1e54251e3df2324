"""Affiliations between organizations and states, the keeps_ties_with relation, and evidence rules for aliases.

- An affiliation's member may now be an organization or group (part of a state or another organization): only the
  help texts change in the schema; the rule is Affiliation.clean()/save().
- Relations get the type keeps_ties_with (choices only).
- PostgreSQL's deferred trigger of migration 0011 (a fact never ends a transaction without the evidence it had) now
  covers aliases too, and spares what needs no evidence: an alias marked external (`external` names `name`) and an
  affiliation whose link is marked external (`external` names `organization` or `person`), as
  facts.models.facts_left_unevidenced does for the ORM.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_0011 = importlib.import_module("facts.migrations.0011_review_permission_and_integrity_triggers")

NEEDS_EVIDENCE = {
    "event": ("facts_event", "TRUE"),
    "statement": ("facts_statement", "TRUE"),
    "relation": ("facts_relation", "TRUE"),
    "affiliation": ("facts_affiliation", "NOT (external ?| ARRAY['person', 'organization'])"),
    "alias": ("facts_actoralias", "NOT (external ? 'name')"),
}

PG_FUNCTION = (
    r"""
CREATE OR REPLACE FUNCTION facts_fact_keeps_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
"""
    + "".join(
        f"""
    IF OLD.{fact}_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM {table} WHERE id = OLD.{fact}_id AND {condition})
       AND NOT EXISTS (SELECT 1 FROM facts_evidencespan WHERE {fact}_id = OLD.{fact}_id) THEN
        RAISE EXCEPTION '{fact.capitalize()} % would be left without evidence.', OLD.{fact}_id
            USING ERRCODE = 'check_violation';
    END IF;"""
        for fact, (table, condition) in NEEDS_EVIDENCE.items()
    )
    + """
    RETURN NULL;
END
$$;
"""
)
# 0011's version of the function (its third statement), for the way back.
PG_FUNCTION_0011 = next(
    statement
    for statement in _0011.PG_CREATE
    if "facts_fact_keeps_evidence()" in statement and "CREATE OR REPLACE FUNCTION" in statement
)

RELATION_TYPES = [
    ("ally_of", "Ally of"),
    ("at_war_with", "At war with"),
    ("rival_of", "Rival of / in a standoff with"),
    ("ceasefire_with", "Under a ceasefire with"),
    ("mediator_for", "Mediator for (subject mediates between object and others)"),
    ("supports", "Supports"),
    ("negotiating_with", "Negotiating with"),
    ("keeps_ties_with", "Keeps ties with (unwilling to strain them)"),
]
MEMBER_HELP = "The member: a person, an unnamed source, or an organization or group."
ORGANIZATION_HELP = "What the member belongs to: a state, organization or group."


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0013_date_order_nulls_first"),
    ]

    operations = [
        migrations.AlterField(
            model_name="affiliation",
            name="organization",
            field=models.ForeignKey(
                help_text=ORGANIZATION_HELP,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="members",
                to="facts.actor",
            ),
        ),
        migrations.AlterField(
            model_name="affiliation",
            name="person",
            field=models.ForeignKey(
                help_text=MEMBER_HELP,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="affiliations",
                to="facts.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalaffiliation",
            name="organization",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text=ORGANIZATION_HELP,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="facts.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalaffiliation",
            name="person",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text=MEMBER_HELP,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="facts.actor",
            ),
        ),
        migrations.AlterField(
            model_name="historicalrelation",
            name="type",
            field=models.CharField(choices=RELATION_TYPES, db_index=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="relation",
            name="type",
            field=models.CharField(choices=RELATION_TYPES, db_index=True, max_length=20),
        ),
        migrations.RunPython(_0011._run({"postgresql": [PG_FUNCTION]}), _0011._run({"postgresql": [PG_FUNCTION_0011]})),
    ]
