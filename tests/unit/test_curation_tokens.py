"""`issue_token` gives a user the token that client apps send as `Authorization: Token <key>`."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def issue(*args) -> str:
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    return out.getvalue().strip()


def test_prints_a_new_token_then_the_same_one_again():
    user = get_user_model().objects.create_user("alice")
    key = issue("alice")
    assert key == Token.objects.get(user=user).key and len(key) == 40
    assert issue("alice") == key


def test_rotate_replaces_the_token():
    get_user_model().objects.create_user("alice")
    old = issue("alice")
    new = issue("alice", "--rotate")
    assert new != old
    assert list(Token.objects.values_list("key", flat=True)) == [new]


def test_unknown_user_is_a_clear_error():
    with pytest.raises(CommandError, match="No user named “bob”"):
        issue("bob")
    assert not Token.objects.exists()


def test_inactive_user_gets_no_token():
    get_user_model().objects.create_user("carol", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        issue("carol")
