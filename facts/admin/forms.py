"""Admin forms that let a curator give a passage instead of offsets and a date expression instead of dates.

The rules themselves live on the models (EvidenceSpan.clean locates passages, Meta.constraints check intervals);
these forms only collect what a curator naturally has at hand and hand it to the model before it validates.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from facts import services
from facts.models import ActorAlias, EvidenceSpan, Reviewed, Source


class ChangeReasonForm(forms.ModelForm):
    """Takes an optional reason for the change, which the admin stores in the object's history."""

    change_reason = forms.CharField(
        max_length=services.REASON_MAX_LENGTH,
        required=False,
        help_text="Why you make this change (kept in the history).",
    )


def https_url_formfield(db_field, **kwargs):
    """Form fields as Django makes them, except that a URL typed without a scheme is taken as https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class SourceForm(ChangeReasonForm):
    """A source is added by pasting its text; the model derives the checksum and refuses a second copy of a text."""

    class Meta:
        model = Source
        # Listed, not "__all__": a field added to Source later stays out of the admin form until it is added here.
        fields = ("title", "slug", "publisher", "url", "published", "language", "text", "external")
        formfield_callback = https_url_formfield
        widgets = {"text": forms.Textarea(attrs={"rows": 30, "cols": 100})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "text" in self.fields:
            # Stored byte for byte: Django would strip the trailing newline. Line ends are made canonical by
            # Source itself (browsers post CRLF), so every path stores, and checksums, the same form.
            self.fields["text"].strip = False


def latest_source_id():
    """The source a curator most likely works on: the one added last."""
    return Source.objects.order_by("-created_at", "-id").values_list("id", flat=True).first()


class EvidenceSpanForm(ChangeReasonForm):
    """Evidence given as a passage: the model finds the offsets, asking for the occurrence when it is ambiguous."""

    occurrence = forms.IntegerField(
        min_value=1,
        required=False,
        help_text="Only when the passage occurs more than once in the source: which occurrence (1 = first).",
    )

    class Meta:
        model = EvidenceSpan
        fields = ("source", "quote", "start", "end", *EvidenceSpan.FACT_FIELDS)
        widgets = {"quote": forms.Textarea(attrs={"rows": 2, "cols": 80})}
        help_texts = {"quote": "Paste the passage of the source; its offsets are found for you."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "source" in self.fields and not self.instance.pk and not self.initial.get("source"):
            self.fields["source"].initial = latest_source_id()
        # Offsets are derived from the passage; a curator may still give them (e.g. when copying a fixture).
        for name in ("start", "end"):
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        instance.occurrence = cleaned.get("occurrence")
        offsets_given = any(cleaned.get(name) is not None for name in ("start", "end") if name in self.fields)
        passage_changed = {"quote", "source"} & set(self.changed_data) or instance.occurrence is not None
        if passage_changed and not offsets_given:
            # Stale offsets of an edited passage would be reported as a mismatch; locate the new passage instead.
            instance.start = instance.end = None
            for name in ("start", "end"):
                cleaned.pop(name, None)
        return cleaned


# The form's labels for what services.resolve_date_text asks for when an expression cannot be resolved.
EXPLICIT_DATES = "the earliest and latest dates and the precision"


class DateIntervalForm(ChangeReasonForm):
    """Fills earliest/latest dates from the verbatim date expression when the curator leaves them empty.

    The reference date is the publication date of the fact's evidence source: the evidence rows posted with the
    form (the evidence inline) first, else the evidence already stored for the object.
    """

    evidence_prefix = "evidence"
    # Set by the admin (FactAdmin.get_form) to the user making the change: the review permission is theirs.
    review_user = None

    def _reference_source(self):
        pattern = re.compile(rf"^{re.escape(self.evidence_prefix)}-(\d+)-source$")
        for key in sorted(self.data.keys() if self.data else ()):
            match = pattern.match(key)
            if not match:
                continue
            row = f"{self.evidence_prefix}-{match.group(1)}"
            if self.data.get(f"{row}-DELETE") or not (self.data.get(f"{row}-quote") or "").strip():
                continue
            value = (self.data.get(key) or "").strip()
            source = Source.objects.filter(pk=int(value)).first() if value.isdigit() else None
            if source is not None:
                return source
        return services.first_stored_source(self.instance)

    def _check_review(self, cleaned) -> None:
        model = self._meta.model
        if "status" not in cleaned or not issubclass(model, Reviewed):
            return
        previous = None if self.instance._state.adding else self.instance.status
        if refused := model(status=cleaned["status"]).review_refused(self.review_user, previous):
            self.add_error("status", refused)

    def clean(self):
        cleaned = super().clean()
        self._check_review(cleaned)
        expression = (cleaned.get("date_text") or "").strip()
        if not expression or cleaned.get("date_start") or cleaned.get("date_end"):
            return cleaned
        if "date_start" in self.errors or "date_end" in self.errors:
            return cleaned
        try:
            # The rule is the services' (the API resolves the same way); only the fields' names are the form's.
            resolved = services.resolve_date_text(expression, self._reference_source(), explicit=EXPLICIT_DATES)
        except ValidationError as exc:
            self.add_error("date_text", exc.messages[0])
            return cleaned
        cleaned["date_start"], cleaned["date_end"], cleaned["date_precision"] = resolved
        return cleaned


class StandaloneEvidenceSpanForm(EvidenceSpanForm):
    """A span edited on its own page: it must still hold its statement's words if it is the passage that does."""

    def _post_clean(self):
        super()._post_clean()
        if not self.errors and (refused := self.instance.edit_refused()):
            self.add_error("quote", refused)


class AliasForm(forms.ModelForm):
    """An alias on its actor's page, with the passage where a source uses it: pasted here, it becomes the alias'
    evidence span (offsets found for you). An alias must cite one, or be marked external
    ({"name": "canonical spelling"}), as on every other path (ActorAlias.support_refused)."""

    passage = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 1, "cols": 50}),
        help_text="A passage where the source uses this alias (it must contain it). Leave empty when the alias "
        "already cites one, or is marked external.",
    )
    passage_source = forms.ModelChoiceField(
        queryset=Source.objects.only("id", "title", "published"), required=False, label="Source of the passage"
    )
    occurrence = forms.IntegerField(
        min_value=1, required=False, help_text="Only when the passage occurs more than once: which one (1 = first)."
    )

    class Meta:
        model = ActorAlias
        fields = ("name", "kind", "external")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.initial.get("passage_source"):
            self.fields["passage_source"].initial = latest_source_id()
        self.new_span = None

    def clean(self):
        cleaned = super().clean()
        if self.errors or self.cleaned_data.get("DELETE"):
            return cleaned
        stored = list(self.instance.evidence.all()) if self.instance.pk else []
        quotes = [span.quote for span in stored]
        passage = (cleaned.get("passage") or "").strip()
        if passage:
            source = cleaned.get("passage_source")
            if source is None:
                self.add_error("passage_source", "Choose the source the passage comes from.")
                return cleaned
            span = EvidenceSpan(source=source, quote=passage)
            span.occurrence = cleaned.get("occurrence")
            try:
                span.full_clean(exclude=[*EvidenceSpan.FACT_FIELDS])
            except ValidationError as exc:
                self.add_error("passage", " ".join(exc.messages))
                return cleaned
            if any((s.source_id, s.start, s.end) == (span.source_id, span.start, span.end) for s in stored):
                self.add_error("passage", "This alias already cites this passage.")
                return cleaned
            self.new_span = span
            quotes.append(span.quote)
        alias = ActorAlias(name=cleaned.get("name") or "", external=cleaned.get("external") or {})
        if refused := alias.support_refused(quotes):
            self.add_error("passage", refused)
        return cleaned

    def save(self, commit=True):
        alias = super().save(commit=commit)
        span = self.new_span
        if span is not None:

            def add_span():
                span.alias = alias
                span.save()

            if commit:
                add_span()
            else:
                save_m2m = self.save_m2m

                def save_all():
                    save_m2m()
                    add_span()

                self.save_m2m = save_all
        return alias
