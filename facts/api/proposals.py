"""POST /api/v1/sources/{id}/propose/: the extractor's candidate facts for a stored source (facts.services.proposals);
POST / DELETE /api/v1/events/{id}/candidate-evidence/{span}/: a passage it proposed as more evidence for an existing
event, accepted or rejected.

The same service as `manage.py propose_facts`; it needs the permissions to add events and statements, since that is
what it writes (as candidates, hidden from lists until a curator accepts them).
"""

from django.shortcuts import get_object_or_404
from django.utils.encoding import force_str
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from facts.api.openapi.bodies import error_response, not_found_example
from facts.api.permissions import CHANGE_REASON_HEADER
from facts.api.query_params import refuse_unknown_params
from facts.models import Event, EvidenceSpan, Source
from facts.services import FactValidationError
from facts.services.candidates import candidate_accept, candidate_reject
from facts.services.proposals import source_propose

# The longest text a request proposes from: about 35,000 words, which the extractor reads in about 3 s here (20,000
# words took 0.5-1.4 s), well inside a request's time. A longer source is proposed by `manage.py propose_facts`, which
# has no such bound and shows its progress.
PROPOSE_MAX_CHARACTERS = 200_000


class MayPropose(permissions.BasePermission):
    """An authenticated user who may add events and statements (401 anonymous, 403 without the permissions)."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.user.has_perms(["facts.add_event", "facts.add_statement"])


class ProposalReportSerializer(serializers.Serializer):
    """What one run proposed: the candidates written and what was left out, and why."""

    statements = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of candidate statements.")
    events = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of candidate events.")
    mentions = serializers.IntegerField(help_text="Mentions of known actors and places newly recorded.")
    already_there = serializers.IntegerField(help_text="Proposals a vetted fact (or an earlier run) already covers.")
    refused = serializers.ListField(child=serializers.DictField(), help_text="Proposals the write rules refused.")
    unknown_speaker = serializers.IntegerField(help_text="Proposals without a known speaker or participant.")
    new_actors = serializers.ListField(
        child=serializers.DictField(), help_text="Names the source gives that no known actor has, for a curator."
    )
    dates = serializers.ListField(child=serializers.DictField(), help_text="Every date expression, resolved.")


class ProposeView(APIView):
    """Propose candidate facts (status `candidate`) and mentions from a stored source; running it again adds none."""

    permission_classes = [MayPropose]

    @extend_schema(
        request=None,
        responses={
            200: OpenApiResponse(ProposalReportSerializer, description="What was proposed."),
            400: error_response(
                "An unknown query parameter (this operation reads none but `format`), or a source too long to "
                "propose from in a request (the `propose_facts` command has no such bound)."
            ),
            404: error_response("No source has this id.", not_found_example(Source), "An unknown source"),
        },
        tags=["sources"],
        operation_id="sources_propose",
    )
    def post(self, request, pk: int):
        refuse_unknown_params(request, {api_settings.URL_FORMAT_OVERRIDE})
        source = get_object_or_404(Source, pk=pk)
        if len(source.text) > PROPOSE_MAX_CHARACTERS:
            raise ValidationError(
                {
                    "id": [
                        f"This source has {len(source.text):,} characters; a request proposes from at most "
                        f"{PROPOSE_MAX_CHARACTERS:,}. Run `manage.py propose_facts {source.pk}` instead."
                    ]
                }
            )
        report = source_propose(source=source, user=request.user)
        return Response(ProposalReportSerializer(report.as_dict()).data)


class MayDecideEvidence(permissions.BasePermission):
    """Accepting or rejecting more evidence for an event changes it: an authenticated user with facts.change_event."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("facts.change_event"))


def _candidate_spans(event_pk: int):
    get_object_or_404(Event, pk=event_pk)
    return EvidenceSpan.objects.filter(event_id=event_pk, candidate=True)


class CandidateEvidenceDecisionView(APIView):
    """Accept (POST: the passage becomes the event's evidence) or reject (DELETE, with X-Change-Reason) a passage
    proposed as more evidence for an event; the propose operation's `evidence` names them ({event, span})."""

    permission_classes = [MayDecideEvidence]

    def _span(self, request, pk: int, span: int) -> EvidenceSpan:
        refuse_unknown_params(request, {api_settings.URL_FORMAT_OVERRIDE})
        return get_object_or_404(_candidate_spans(pk), pk=span)

    @extend_schema(
        request=None,
        responses={
            204: None,
            404: error_response(
                "No such event, or no such candidate passage of it.", not_found_example(EvidenceSpan), "Unknown"
            ),
        },
        tags=["events"],
        operation_id="events_candidate_evidence_accept",
    )
    def post(self, request, pk: int, span: int):
        candidate_accept(fact=self._span(request, pk, span), user=request.user, reason="Accepted as more evidence")
        return Response(status=204)

    @extend_schema(
        responses={
            204: None,
            400: error_response("No reason given in the X-Change-Reason header."),
            404: error_response(
                "No such event, or no such candidate passage of it.", not_found_example(EvidenceSpan), "Unknown"
            ),
        },
        tags=["events"],
        operation_id="events_candidate_evidence_reject",
    )
    def delete(self, request, pk: int, span: int):
        found = self._span(request, pk, span)
        reason = force_str(request.headers.get(CHANGE_REASON_HEADER, "")).strip()
        try:
            candidate_reject(fact=found, user=request.user, reason=reason)
        except FactValidationError as error:
            raise ValidationError({CHANGE_REASON_HEADER: error.messages}) from error
        return Response(status=204)
