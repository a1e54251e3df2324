"""Guards of every admin page against values from a request that no column can hold.

A NUL, an integer key given as "abc" or a year past 9999 must end as "no such object" or an invalid lookup (4xx),
never reach the database as a 500; harden_registered_admins gives the admins of other apps the same guards."""

from functools import cache

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404

# Staff pages pass strings from URLs and forms to lookups. A value the column cannot hold must end as "no such
# object" or an invalid lookup (4xx), never reach the database: PostgreSQL refuses a NUL in any text parameter, an
# integer column refuses "abc" (Django raises ValueError on building the query), and a datetime cannot be built
# for the year 99999999999 (OverflowError). facts.api.middleware.NulCharacterMiddleware refuses NUL in URLs for every
# view; these guards also cover form bodies and what is not a NUL.


def holds(field, value) -> bool:
    """Whether `field` (for a relation: the field it points at) can hold `value`, a string from a request."""
    if field.is_relation:
        field = field.target_field
    if isinstance(value, str) and "\x00" in value:
        return False
    try:
        # The field's validators carry the column's limits: an integer's range on this database, a max_length.
        field.run_validators(field.to_python(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return True


class HoldableAutocompleteMixin:
    """An autocomplete widget that looks up only the selected values its field can hold: a form sent back with
    `place=abc` or `event_type=\\0` is re-rendered with its errors instead of failing on that lookup."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if holds(self.field, v)], attr)


class HoldableAutocompleteSelect(HoldableAutocompleteMixin, AutocompleteSelect):
    """The autocomplete of a foreign key, looking up only values its field can hold."""


class HoldableAutocompleteSelectMultiple(HoldableAutocompleteMixin, AutocompleteSelectMultiple):
    """The autocomplete of a many-to-many field, looking up only values its field can hold."""


class HoldableWidgetsMixin:
    """For model admins and inlines: their autocomplete_fields use the holdable widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = HoldableAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = HoldableAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class HoldableLookupsMixin:
    """A changelist whose filters refuse what no row can match as invalid lookups, so the admin answers with its
    own "?e=1" redirect ("Database error" page) instead of a 500."""

    def get_filters(self, request):
        for key, values in self.get_filters_params().items():
            if "\x00" in key or any("\x00" in str(value) for value in values):
                raise IncorrectLookupParameters(f"A NUL character in the lookup {key!r}.")
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            # date_hierarchy: Django catches the ValueError of datetime(year, month, day) but not the OverflowError
            # of a year past C's long (99999999999), nor the failure to step past 9999-12-31 to the next day,
            # month or year (ValueError / OverflowError outside its try).
            raise IncorrectLookupParameters(exc) from exc


@cache
def holdable_changelist(changelist_class):
    return type(f"Holdable{changelist_class.__name__}", (HoldableLookupsMixin, changelist_class), {})


class HostileInputAdminMixin(HoldableWidgetsMixin):
    """Every object id, filter, search term, selection and version from a request is checked against what its
    field can hold first: an id it cannot hold is a missing object (404 or the admin's "does not exist" redirect),
    a filter an invalid lookup ("?e=1"), and a search term with a NUL or an action on ids the key cannot hold a 400."""

    def get_object(self, request, object_id, from_field=None):
        field = self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        if not holds(field, object_id):
            return None
        return super().get_object(request, object_id, from_field)

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        return changelist if issubclass(changelist, HoldableLookupsMixin) else holdable_changelist(changelist)

    def get_search_results(self, request, queryset, search_term):
        # The changelist's search form already refuses NUL (a message, no search); the autocomplete view does not.
        if "\x00" in search_term:
            raise BadRequest("The search term contains a NUL character.")
        return super().get_search_results(request, queryset, search_term)

    def response_action(self, request, queryset):
        pk = self.model._meta.pk
        if not all(holds(pk, value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            raise BadRequest("A selected id is not one this model's key can hold.")
        return super().response_action(request, queryset)

    # simple_history's views look the object and the version up themselves (Django's history view uses get_object).

    def history_view(self, request, object_id, extra_context=None):
        if not holds(self.model._meta.pk, unquote(object_id)):
            raise Http404("No such object.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        version_field = history.model._meta.get_field("history_id")
        if not (holds(self.model._meta.pk, unquote(object_id)) and holds(version_field, version_id)):
            raise Http404("No such version.")
        return super().history_form_view(request, object_id, version_id, extra_context)


def harden_registered_admins(site=admin.site):
    """Gives the model admins of other apps (users, groups, tokens, login attempts) the same guards: their
    filters, date hierarchies and object ids come from the same URLs. facts is the last app to register admins
    (INSTALLED_APPS order), so this runs once every other admin is in place."""
    for model, model_admin in list(site._registry.items()):
        if not isinstance(model_admin, HostileInputAdminMixin):
            cls = type(model_admin)
            site.unregister(model)
            site.register(model, type(cls.__name__, (HostileInputAdminMixin, cls), {"__module__": cls.__module__}))
