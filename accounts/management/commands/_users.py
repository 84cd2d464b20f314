from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import validate_email

from accounts.models import User


def create_user(email, password, **fields):
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise CommandError(f"{email!r} is not an email address.") from error
    if User.objects.filter(email__iexact=email).exists():
        raise CommandError(f"A user {email} already exists.")
    try:
        password_validation.validate_password(password, User(email=email))
    except ValidationError as error:
        raise CommandError("Password refused: " + " ".join(error.messages)) from error
    return User.objects.create_user(email=email, password=password, **fields)
