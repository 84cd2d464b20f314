from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from sesconsole import crypto
from sesconsole.confirm import confirm_delete

from .access import operator_required, owned_or_404
from .forms import AcceptInvitationForm, ApiKeyForm, DeliverySettingsForm, InviteForm
from .models import ApiKey, Invitation, Membership, User


@login_required
def home(request):
    """Sends each role to its place."""
    if request.account:
        return redirect("overview")
    if request.user.is_reviewer:
        return redirect("review:queue")
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "accounts/no_access.html", status=403)


@operator_required
def delivery_settings(request):
    # An unticked box posts nothing: an empty POST is still a submission.
    data = request.POST if request.method == "POST" else None
    form = DeliverySettingsForm(data, instance=request.account)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Delivery settings saved.")
        return redirect("delivery_settings")
    context = {"form": form, "simulator_domain": settings.SES_SIMULATOR_DOMAIN}
    return render(request, "accounts/delivery_settings.html", context)


NEW_KEY_SESSION = "new_api_key"


@operator_required
def api_keys(request):
    account = request.account
    form = ApiKeyForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        key, secret = ApiKey.issue(
            account, form.cleaned_data["description"], created_by=request.user
        )
        # The next page shows the SecretKey once; meanwhile it waits in the
        # session encrypted, and a reload of that page cannot create another key.
        request.session[NEW_KEY_SESSION] = {"pk": key.pk, "secret": crypto.encrypt(secret)}
        return redirect("api_key_created", key.pk)
    page = Paginator(account.api_keys.all(), 20).get_page(request.GET.get("page"))
    return render(request, "accounts/api_keys.html", {"form": form, "page": page})


@operator_required
def api_key_created(request, pk):
    key = owned_or_404(request, ApiKey, pk=pk)
    pending = request.session.get(NEW_KEY_SESSION) or {}
    if pending.get("pk") != key.pk:
        messages.info(request, "A SecretKey is shown only once, right after its key is created.")
        return redirect("api_keys")
    del request.session[NEW_KEY_SESSION]
    try:
        secret_key = crypto.decrypt(pending["secret"], what=f"The new SecretKey of {key.secret_id}")
    except crypto.UndecryptableSecret:  # the encryption keys changed in between
        messages.error(
            request,
            f"The SecretKey of {key.secret_id} can no longer be shown: delete the key and "
            "create another.",
        )
        return redirect("api_keys")
    response = render(
        request, "accounts/api_key_created.html", {"key": key, "secret_key": secret_key}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@operator_required
def api_key_toggle(request, pk):
    key = owned_or_404(request, ApiKey, pk=pk)
    key.enabled = not key.enabled
    key.save(update_fields=["enabled"])
    state = "enabled" if key.enabled else "disabled"
    messages.success(request, f"Key {key.secret_id} {state}.")
    return redirect("api_keys")


@operator_required
def api_key_delete(request, pk):
    key = owned_or_404(request, ApiKey, pk=pk)
    return confirm_delete(
        request,
        "accounts/api_key_delete.html",
        {"key": key},
        delete=key.delete,
        done=reverse("api_keys"),
        deleted=f"Key {key.secret_id} deleted.",
    )


@operator_required
def members(request):
    account = request.account
    form = InviteForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        invitation, token = Invitation.issue(account, form.cleaned_data["email"], request.user)
        link = request.build_absolute_uri(reverse("accept_invitation", args=[token]))
        body = render_to_string(
            "accounts/email/invitation.txt",
            {"invitation": invitation, "link": link, "inviter": request.user},
        )
        send_mail(f"Join {account.name} on sesconsole", body, None, [invitation.email])
        messages.success(request, f"Invitation sent to {invitation.email}.")
        return redirect("members")
    return render(
        request,
        "accounts/members.html",
        {
            "form": form,
            "memberships": account.memberships.select_related("user").order_by("created_at"),
            "invitations": account.invitations.open(),
        },
    )


@require_POST
@operator_required
def invitation_revoke(request, pk):
    invitation = owned_or_404(request, Invitation.objects.open(), pk=pk)
    invitation.delete()
    messages.success(request, f"Invitation of {invitation.email} revoked.")
    return redirect("members")


def accept_invitation(request, token):
    invitation = Invitation.find_open(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        # A person with a login joins by proving it, as themselves.
        if request.user.is_authenticated and request.user.pk == existing.pk:
            if request.method == "POST":
                return _join(request, invitation, existing)
            return render(request, "accounts/invitation_confirm.html", {"invitation": invitation})
        messages.info(request, f"Sign in as {invitation.email} to accept the invitation.")
        return redirect(f"{reverse('login')}?next={request.path}")
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = User.objects.create_user(
            email=invitation.email,
            password=form.cleaned_data["password1"],
            first_name=form.cleaned_data["first_name"],
        )
        return _join(request, invitation, user)
    return render(
        request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form}
    )


def _join(request, invitation, user):
    with transaction.atomic():
        claimed = (
            Invitation.objects.open().filter(pk=invitation.pk).update(accepted_at=timezone.now())
        )
        if not claimed or Membership.objects.filter(user=user).exists():
            messages.error(request, "This invitation can no longer be accepted.")
            return redirect("home")
        Membership.objects.create(user=user, account=invitation.account)
    if not request.user.is_authenticated:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Welcome to {invitation.account.name}.")
    return redirect("overview")
