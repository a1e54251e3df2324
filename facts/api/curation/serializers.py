"""The serializer of a request: the write serializer for create and update, the viewset's own (read) one otherwise."""

from typing import TYPE_CHECKING

from rest_framework import exceptions, serializers

from facts.api.write_serializers import WRITE_SERIALIZERS


class JsonOnly(exceptions.UnsupportedMediaType):
    """415 for a write whose body is not JSON, saying why a form cannot do (nested lists of objects)."""

    def __init__(self, media_type: str, serializer_class):
        nested = [
            name
            for name, field in serializer_class().fields.items()
            if isinstance(field, serializers.ListSerializer) and not field.read_only
        ]
        detail = f'Unsupported media type "{media_type}" in request: writes take application/json only'
        if nested:
            detail += f" ({' and '.join(nested)} are lists of objects, which form fields cannot carry)"
        super().__init__(media_type, detail=detail + ".")


if TYPE_CHECKING:
    from rest_framework.viewsets import GenericViewSet

    _ViewSetBase = GenericViewSet  # what the mixin is combined with
else:
    _ViewSetBase = object


class WriteSerializerMixin(_ViewSetBase):
    """Viewset mixin: the write serializer for create/update, the viewset's own (read) serializer otherwise.

    Writes take JSON only (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): a form cannot carry the nested lists of
    events, statements, relations and actors, and one body format for every resource keeps clients simple. The
    browsable API keeps working through its raw JSON form.
    """

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.UnsupportedMediaType) and not isinstance(exc, JsonOnly):
            request = getattr(self, "request", None)
            if request is not None and self.wants_write_serializer():
                exc = JsonOnly(request.content_type.split(";")[0].strip(), self.get_serializer_class())
        return super().handle_exception(exc)

    write_serializer_class = None
    write_actions = ("create", "update", "partial_update")

    def wants_write_serializer(self) -> bool:
        """Whether this request is a write (by its action), or describes one (by its method; see below)."""
        if self.action in self.write_actions:
            return True
        # OPTIONS and the browsable API's forms describe writes through a copy of the request with POST/PUT.
        request = getattr(self, "request", None)
        return getattr(request, "method", None) in ("POST", "PUT", "PATCH")

    def get_serializer_class(self):
        if self.wants_write_serializer():
            if self.write_serializer_class is not None:
                return self.write_serializer_class
            model = getattr(getattr(self, "queryset", None), "model", None)
            if model in WRITE_SERIALIZERS:
                return WRITE_SERIALIZERS[model]
        return super().get_serializer_class()

    def get_serializer(self, *args, **kwargs):
        if self.wants_write_serializer():
            # Read viewsets may pass read-only options (such as a `fields=` selection) that input serializers lack.
            kwargs.setdefault("context", self.get_serializer_context())
            return self.get_serializer_class()(*args, **kwargs)
        return super().get_serializer(*args, **kwargs)
