import pytest

pytestmark = pytest.mark.django_db


def test_passwords_are_stored_with_argon2(django_user_model):
    """With the project's settings, a new password is hashed with Argon2."""
    user = django_user_model.objects.create_user(username="argon", password="una-clave-larga-2026")
    assert user.password.startswith("argon2$")
    assert user.check_password("una-clave-larga-2026")
