from django.apps import AppConfig


class FactsConfig(AppConfig):
    """The conflict facts app: models, admin, API and management commands."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "facts"
    verbose_name = "Conflict facts"
