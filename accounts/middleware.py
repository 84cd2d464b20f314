from django.utils.functional import SimpleLazyObject


def _account_for(request):
    user = request.user
    if not user.is_authenticated:
        return None
    account = user.account
    if account is None or not account.is_active:
        return None
    return account


class CurrentAccountMiddleware:
    """Sets request.account: the active account the signed-in user operates, or None."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.account = SimpleLazyObject(lambda: _account_for(request))
        return self.get_response(request)
