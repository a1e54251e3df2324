from django.apps import AppConfig


class FactsConfig(AppConfig):
    """The conflict facts app: models, admin, API and management commands."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "facts"
    verbose_name = "Conflict facts"

    def ready(self):
        # Connects the receiver that gives every history record of one transaction the same time.
        from facts import history  # noqa: F401
