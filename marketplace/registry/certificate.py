"""The registration certificate (登记证明) of a registered contract, as a printable PDF."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import gettext as _

from marketplace import vocab
from marketplace.accounts.models import User
from marketplace.contracts.models import Contract
from marketplace.contracts.queries import get_contract_for
from marketplace.errors import InvalidTransition
from marketplace.money import format_yuan
from marketplace.pdf import Document
from marketplace.workdays import LOCAL_TZ


def can_download_certificate(user: User, contract: Contract) -> bool:
    """The parties, the broker on it and admins, once the contract has been registered."""
    return contract.status in ("registered", "void") and contract.registration_no is not None


def certificate_pdf(actor: User, contract_id: int) -> tuple[Contract, bytes]:
    """The certificate of a registered (or since voided) contract the caller may see."""
    contract = get_contract_for(actor, contract_id)
    if not can_download_certificate(actor, contract):
        raise InvalidTransition(_("Only a registered contract has a registration certificate."))
    return contract, render_certificate(contract)


def _party(org_name: str, region: str | None, kind: str | None) -> str:
    details = " · ".join(
        part
        for part in (vocab.region_name(region), vocab.ORG_KINDS.label(kind) if kind else "")
        if part
    )
    return f"{org_name}（{details}）" if details else org_name


def render_certificate(contract: Contract) -> bytes:
    office = current_app.config["REGISTRY_OFFICE_NAME"]
    registered = contract.registered_at.astimezone(LOCAL_TZ) if contract.registered_at else None
    doc = Document(
        _("Technology Contract Registration Certificate"),
        subtitle=_("Registration number %(number)s", number=contract.registration_no),
        author=office,
        footer=office,
    )
    if contract.status == "void":
        voided = (
            contract.voided_at.astimezone(LOCAL_TZ).date().isoformat() if contract.voided_at else ""
        )
        doc.paragraph(_("VOID: this registration was cancelled on %(date)s.", date=voided))
    kind = vocab.CONTRACT_TYPES.label(contract.type)
    if contract.subtype and contract.type in vocab.CONTRACT_SUBTYPES:
        kind = f"{kind} · {vocab.CONTRACT_SUBTYPES[contract.type].label(contract.subtype)}"
    verified = (
        contract.verified_tech_amount
        if contract.verified_tech_amount is not None
        else contract.tech_amount
    )
    doc.heading(_("Contract"))
    doc.key_values(
        [
            (_("Registration number"), contract.registration_no or ""),
            (_("Contract title"), contract.title),
            (_("Contract type"), kind),
            (_("Technology field"), vocab.FIELDS.label(contract.field, "—")),
            (
                _("Seller"),
                _party(contract.seller_org.name, contract.seller_region, contract.seller_kind),
            ),
            (
                _("Buyer"),
                _party(contract.buyer_org.name, contract.buyer_region, contract.buyer_kind),
            ),
            (_("Signed on"), contract.signed_on.isoformat()),
            (_("Term ends"), contract.term_end.isoformat() if contract.term_end else "—"),
        ]
    )
    doc.heading(_("Amounts"))
    doc.key_values(
        [
            (_("Contract amount"), format_yuan(contract.contract_amount)),
            (_("Technology transaction amount (verified)"), format_yuan(verified)),
            (
                _("VAT exemption"),
                _("Technical income qualifies for the VAT exemption")
                if contract.tax_exempt
                else _("Does not qualify"),
            ),
        ]
    )
    doc.heading(_("Registration"))
    doc.key_values(
        [
            (_("Registering office"), office),
            (_("Registered on"), registered.date().isoformat() if registered else ""),
            (_("Verification code"), contract.verification_code or ""),
        ]
    )
    verify_url = url_for("registry.verify", _external=True)
    doc.paragraph(
        _(
            "Anyone can check this certificate at %(url)s with its registration number "
            "and verification code.",
            url=verify_url,
        ),
        size=9,
        muted=True,
    )
    return doc.to_bytes()
