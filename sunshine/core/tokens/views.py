"""/account/tokens/: anyone's own API tokens — list, issue (the raw token is shown once, in the answer to the
request that made it, and never again), revoke. Administrators also see and revoke other users' tokens
through a user filter."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from sunshine.core.tokens import services
from sunshine.core.tokens.forms import ALL_USERS, OwnerFilterForm, TokenForm

PAGE_SIZE = 50


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.issue(actor, actor, name=form.cleaned_data["name"],
                                        days=form.cleaned_data["days"])
        except services.TokenError as exc:
            form.add_error(None, str(exc))
        else:
            return render(request, "core/tokens/issued.html", {"token": token, "raw": raw})
    is_admin = services.is_token_admin(actor)
    tokens = services.visible_tokens(actor)
    owner_form = OwnerFilterForm(request.GET or None) if is_admin else None
    owner = owner_form.owner() if owner_form is not None else ""
    if owner == "":
        tokens = tokens.filter(user=actor)
    elif owner != ALL_USERS:
        tokens = tokens.filter(user__username=owner)
    page = Paginator(tokens, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/tokens/list.html", {
        "form": form, "owner_form": owner_form, "page": page, "query": query.urlencode(),
        "show_owner": owner != "", "is_admin": is_admin})


@login_required
def token_revoke(request: HttpRequest, id: int) -> HttpResponse:  # noqa: A002 - the URL parameter's name
    token = services.visible_tokens(request.user).filter(pk=id).first()
    if token is None:
        raise Http404(_("令牌不存在"))
    if request.method != "POST":  # after the lookup: nobody learns from a 405 that a token exists
        return HttpResponseNotAllowed(["POST"])
    revoked = services.revoke(request.user, token)
    if revoked:
        messages.success(request, _("已吊销令牌 %(prefix)s…") % {"prefix": token.prefix})
    else:
        messages.info(request, _("令牌 %(prefix)s… 此前已吊销") % {"prefix": token.prefix})
    url = reverse("token_list")
    back = request.POST.get("user", "")
    if back and services.is_token_admin(request.user):
        url += "?" + urlencode({"user": back})
    return redirect(url)
