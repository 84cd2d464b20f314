from .navigation import console_navigation


def console(request):
    if not getattr(request, "account", None):
        return {}
    return {"console_nav": console_navigation(request)}
