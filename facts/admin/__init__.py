"""Curation admin: every model, searchable by alias, with evidence entered as passages and history with revert.

History-tracked models use simple_history's SimpleHistoryAdmin, which adds a per-object history page from which a
curator can revert to an earlier version. Facts (events, statements, relations) get bulk review-status actions.

The admins are registered by facts.admin.reference and facts.admin.facts (imported here); facts.admin.base holds
what they share, facts.admin.inlines their inlines and facts.admin.hostile the guards of every page.
"""

from django.contrib import admin

from facts.admin import facts as fact_admins
from facts.admin import reference as reference_admins
from facts.admin.base import FactAdmin, HistoryAdmin
from facts.admin.hostile import HostileInputAdminMixin, harden_registered_admins, holds

__all__ = ["FactAdmin", "HistoryAdmin", "HostileInputAdminMixin", "fact_admins", "holds", "reference_admins"]

# Last: the admins of every other app are registered by now (facts is the last app in INSTALLED_APPS).
harden_registered_admins(admin.site)
