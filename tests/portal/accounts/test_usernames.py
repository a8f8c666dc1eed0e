import re

import pytest

from portal.accounts.usernames import generate_username

pytestmark = pytest.mark.django_db


def test_username_is_the_first_initial_and_the_first_surname():
    """"Rosa Elena", "Quispe Mamani" → rquispe."""
    assert generate_username(nombres="Rosa Elena", apellidos="Quispe Mamani") == "rquispe"


def test_accents_and_enye_are_folded_to_ascii():
    """Á→a, ú→u, ñ→n: usernames are plain lowercase ASCII."""
    assert generate_username(nombres="Ángel Tomás", apellidos="Núñez Peña") == "anunez"


def test_characters_outside_letters_and_digits_are_dropped():
    """Apostrophes and hyphens do not reach the username."""
    assert generate_username(nombres="María", apellidos="D'Angelo-Ríos Vega") == "mdangelorios"


def test_a_compound_surname_keeps_its_particles():
    """"De la Cruz Huamán" has first surname "De la Cruz" → jdelacruz, not jde."""
    assert generate_username(nombres="Juan", apellidos="De la Cruz Huamán") == "jdelacruz"


def test_a_taken_username_gets_the_next_free_number(django_user_model):
    """With rquispe taken the next is rquispe2, then rquispe3."""
    django_user_model.objects.create_user(username="rquispe")
    assert generate_username(nombres="Raúl", apellidos="Quispe") == "rquispe2"
    django_user_model.objects.create_user(username="rquispe2")
    assert generate_username(nombres="Raúl", apellidos="Quispe") == "rquispe3"


def test_collisions_are_case_insensitive(django_user_model):
    """A user "RQuispe" blocks "rquispe": two people must not differ only in case."""
    django_user_model.objects.create_user(username="RQuispe")
    assert generate_username(nombres="Rosa", apellidos="Quispe") == "rquispe2"


def test_long_names_are_cut_to_thirty_characters_including_the_number(django_user_model):
    """A very long surname is cut to 30 characters; a collision's number replaces the tail."""
    apellidos = "Wolfeschlegelsteinhausenbergerdorff Pérez"
    first = generate_username(nombres="Ana", apellidos=apellidos)
    assert first == "awolfeschlegelsteinhausenberge" and len(first) == 30
    django_user_model.objects.create_user(username=first)
    second = generate_username(nombres="Ana", apellidos=apellidos)
    assert second == "awolfeschlegelsteinhausenberg2"
    assert re.fullmatch(r"[a-z0-9.]{1,30}", second)


def test_a_name_without_latin_letters_still_gets_a_username():
    """Names that fold to nothing fall back to "usuario"."""
    assert generate_username(nombres="", apellidos="李") == "usuario"
