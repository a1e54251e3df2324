"""`manage.py issue_token <username>`: print the API token of a user, creating it when the user has none."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Print the API token of a user (send it as `Authorization: Token <key>`), creating one if needed. "
        "With --rotate, replace any existing token, so that the old one stops working."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user the token authenticates as.")
        parser.add_argument("--rotate", action="store_true", help="Replace the user's existing token.")

    def handle(self, *args, username: str, rotate: bool, **options):
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(
                f"No user named “{username}”. Create one first: python manage.py createsuperuser (or the admin)."
            )
        if not user.is_active:
            raise CommandError(f"User “{username}” is inactive; activate the account before issuing a token.")
        with transaction.atomic():
            if rotate:
                Token.objects.filter(user=user).delete()
            token, _ = Token.objects.get_or_create(user=user)
        # The key alone on stdout, so that scripts can capture it: TOKEN=$(python manage.py issue_token alice)
        self.stdout.write(token.key)
