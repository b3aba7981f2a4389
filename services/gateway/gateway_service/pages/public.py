"""Pages before login: connexion, account creation (Entreprise 3 steps, Particulier), the pages
of the e-mail links (activation, invitation, password reset) and the forgotten password."""
from __future__ import annotations

from flask import request

from consignations_shared.errors import DomainError

from ..auth import SESSION_COOKIE, client_ip
from ..rpc_calls import identity
from . import bp
from .common import render, safe_next


def _token() -> str:
    return request.args.get("token", "")[:200]


def _captcha() -> dict:
    """A new captcha, as POST /api/captcha gives it (the script asks for another one)."""
    challenge = identity.new_captcha(client_ip())
    return {"captcha_id": challenge["captcha_id"],
            "image": "data:image/png;base64," + challenge["image_png_base64"]}


@bp.get("/connexion")
def login():
    """Login page with its 4 call-outs: login, « Créer mon compte », « Mot de passe oublié ? »,
    the assistance number (footer)."""
    return render("connexion.html", suite=safe_next(request.args.get("suite")),
                  signed_in=bool(request.cookies.get(SESSION_COOKIE)))


@bp.get("/creer-mon-compte")
def choose_profile():
    return render("creer_compte.html")


@bp.get("/creer-mon-compte/entreprise")
def company_signup():
    return render("inscription_entreprise.html", captcha=_captcha())


@bp.get("/creer-mon-compte/entreprise/code-sms")
def company_sms_code():
    return render("code.html", channel="sms")


@bp.get("/creer-mon-compte/entreprise/code-courriel")
def company_email_code():
    return render("code.html", channel="email")


@bp.get("/creer-mon-compte/entreprise/validation")
def company_verified():
    return render("inscription_validee.html")


@bp.get("/creer-mon-compte/particulier")
def particulier_signup():
    return render("inscription_particulier.html", captcha=_captcha())


@bp.get("/creer-mon-compte/particulier/lien-envoye")
def particulier_link_sent():
    return render("lien_envoye.html")


@bp.get("/activation")
def activation():
    return render("activation.html", token=_token())


@bp.get("/invitation")
def invitation():
    token = _token()
    try:
        details, problem = identity.invitation_details(token), None
    except DomainError as exc:
        if exc.status >= 500:
            raise
        details, problem = None, exc.message
    return render("invitation.html", token=token, details=details, problem=problem)


@bp.get("/mot-de-passe-oublie")
def forgotten_password():
    return render("mot_de_passe_oublie.html")


@bp.get("/mot-de-passe/reinitialisation")
def password_reset():
    return render("reinitialisation.html", token=_token())
