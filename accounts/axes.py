def username_from_request(request, credentials):
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()
