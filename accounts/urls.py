from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms_auth import LoginForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("home/", views.home, name="home"),
    path("console/api-keys/", views.api_keys, name="api_keys"),
    path("console/api-keys/<int:pk>/created/", views.api_key_created, name="api_key_created"),
    path("console/api-keys/<int:pk>/toggle/", views.api_key_toggle, name="api_key_toggle"),
    path("console/api-keys/<int:pk>/delete/", views.api_key_delete, name="api_key_delete"),
    path("console/members/", views.members, name="members"),
    path("console/delivery/", views.delivery_settings, name="delivery_settings"),
    path(
        "console/members/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
