from django.http import HttpRequest, JsonResponse


def healthz(request: HttpRequest) -> JsonResponse:

    return JsonResponse({"ok": True})
