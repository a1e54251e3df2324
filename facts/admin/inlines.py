"""The inlines of the admin's pages: evidence entered as passages, aliases, affiliations and participants, each
with a bounded number of forms."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from facts.admin.forms import AliasForm, EvidenceSpanForm
from facts.admin.hostile import HoldableWidgetsMixin
from facts.models import DATE_FIELDS, ActorAlias, Affiliation, EvidenceSpan, Participant

# Forms one inline builds from a post, at most. Django's own hard limit is max_num + 1,000 (2,000 by default): a post
# claiming a million participants (`participants-TOTAL_FORMS`) then builds and re-renders 2,000 forms, for seconds.
# The API's longest list is as long (facts.api.write_serializers: at most 40 participants, 15 passages, 50 aliases);
# more is refused with the formset's "Please submit at most 50 forms."
INLINE_FORMS_MAX = 50


class BoundedInlineMixin:
    """An inline whose formset builds at most INLINE_FORMS_MAX forms, whatever the management form claims."""

    max_num: int | None = INLINE_FORMS_MAX

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("absolute_max", INLINE_FORMS_MAX)
        return super().get_formset(request, obj, **kwargs)


class EvidenceInline(BoundedInlineMixin, HoldableWidgetsMixin, admin.TabularInline):
    """Evidence spans of a fact: the curator pastes the passage, the offsets are found and shown read-only."""

    model = EvidenceSpan
    form = EvidenceSpanForm
    # `candidate`: a passage propose_facts offered as more evidence for an event, decided in the review queue.
    fields = ("source", "quote", "occurrence", "start", "end", "candidate")
    readonly_fields = ("start", "end", "candidate")
    autocomplete_fields = ("source",)
    extra = 1
    verbose_name = "evidence span"
    verbose_name_plural = "evidence (paste the passage; offsets are found for you)"


class FactEvidenceFormSet(BaseInlineFormSet):
    """Evidence rows of a fact: new passages are saved before removed ones are deleted, so that replacing the only
    span (one row deleted, one added) never passes through a moment without evidence (EvidenceSpan.delete)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            key = (form.instance.source_id, form.instance.start, form.instance.end)
            if key in seen:
                raise ValidationError("The same passage is given twice; give each passage once.")
            seen.add(key)

    def save(self, commit=True):
        return self.save_new_objects(commit) + self.save_existing_objects(commit)


class FactEvidenceInline(EvidenceInline):
    """Evidence of an event, statement or relation: at least one span must remain (Django's validate_min)."""

    formset = FactEvidenceFormSet
    min_num = 1

    def get_formset(self, request, obj=None, **kwargs):
        # InlineModelAdmin has min_num but no validate_min: without it, deleting every row would pass the form.
        return super().get_formset(request, obj, validate_min=True, **kwargs)


class EventEvidenceInline(FactEvidenceInline):
    """An event's evidence, with the passages proposed as more evidence (candidate; the review queue decides)."""

    fk_name = "event"


class PassagesCheckedFormSet(FactEvidenceFormSet):
    """Evidence as the form posts it, checked as a whole by the owner's own rule (`refusal`), which sees every
    passage the save would keep: the spans stored and those in the form."""

    def refusal(self, quotes: list[str]) -> str | None:
        raise NotImplementedError

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        quotes = [
            form.instance.quote for form in self.forms if form.cleaned_data and not self._should_delete_form(form)
        ]
        if refused := self.refusal(quotes):
            raise ValidationError(refused)


class StatementEvidenceFormSet(PassagesCheckedFormSet):
    """A statement's passages must hold its words (Statement.quote_refused)."""

    def refusal(self, quotes):
        return self.instance.quote_refused(quotes)


class StatementEvidenceInline(FactEvidenceInline):
    """A statement's evidence, whose passages must hold its words."""

    fk_name = "statement"
    formset = StatementEvidenceFormSet


class RelationEvidenceInline(FactEvidenceInline):
    """A relation's evidence."""

    fk_name = "relation"


class AffiliationEvidenceInline(EvidenceInline):
    """An affiliation's evidence, on the affiliation's own page."""

    fk_name = "affiliation"


class AliasEvidenceFormSet(PassagesCheckedFormSet):
    """An alias' passages: at least one, each containing the alias, unless the alias is marked external
    (ActorAlias.support_refused)."""

    def refusal(self, quotes):
        return self.instance.support_refused(quotes)


class AliasEvidenceInline(EvidenceInline):
    """Passages where a source uses the alias; an alias marked external may cite none."""

    fk_name = "alias"
    formset = AliasEvidenceFormSet


class ActorAliasInline(BoundedInlineMixin, admin.TabularInline):
    """Every name, spelling and metonym for the actor, each with a passage where a source uses it (added as its
    evidence) or marked external; more passages are added on the alias' own page."""

    model = ActorAlias
    form = AliasForm
    fields = ("name", "kind", "external", "passage", "passage_source", "occurrence")
    show_change_link = True
    extra = 1


class AffiliationInline(BoundedInlineMixin, HoldableWidgetsMixin, admin.TabularInline):
    """The person's positions; evidence for each is added on the affiliation's own page."""

    model = Affiliation
    fk_name = "person"
    fields = ("organization", "role_title", *DATE_FIELDS, "external")
    autocomplete_fields = ("organization",)
    show_change_link = True
    extra = 0


class ParticipantInline(BoundedInlineMixin, HoldableWidgetsMixin, admin.TabularInline):
    """Who took part in the event, one role per actor."""

    model = Participant
    fields = ("actor", "role")
    autocomplete_fields = ("actor",)
    extra = 1
