"""The 成交确认书 (confirmation of sale) of a sold lot, as PDF."""

from __future__ import annotations

from flask_babel import gettext as _

from marketplace.auctions.models import Bid, Lot, LotBidder
from marketplace.auctions.vocab import LOT_MODES, LOT_RIGHTS
from marketplace.extensions import db
from marketplace.money import format_yuan
from marketplace.pdf import Document
from marketplace.workdays import LOCAL_TZ


def confirmation_pdf(lot: Lot) -> bytes:
    """Seller, buyer, price, premium and the winning bid; the parties then sign the contract."""
    winner = db.session.get(LotBidder, lot.winner_id) if lot.winner_id else None
    if lot.status != "sold" or winner is None or lot.sale_price is None:
        raise ValueError("only a sold lot has a confirmation of sale")
    closed = lot.closed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if lot.closed_at else ""
    doc = Document(
        _("Confirmation of sale"),
        subtitle=_("Lot No. %(id)s", id=lot.id),
        footer=_("Technology Marketplace"),
    )
    doc.heading(_("The lot"))
    doc.key_values(
        [
            (_("Achievement"), lot.title),
            (_("Mode"), LOT_MODES.label(lot.mode)),
            (_("Rights"), LOT_RIGHTS.label(lot.rights)),
            (_("Seller"), lot.org.name),
            (_("Start price"), format_yuan(lot.start_price)),
        ]
    )
    doc.heading(_("The sale"))
    premium = lot.premium_rate
    doc.key_values(
        [
            (_("Buyer"), winner.org.name),
            (_("Bidder No."), str(winner.number)),
            (_("Sale price"), format_yuan(lot.sale_price)),
            (_("Premium"), f"{premium * 100:.2f}%" if premium is not None else "—"),
            (_("Concluded at"), _("%(time)s (Beijing time)", time=closed)),
            (_("Deposit"), format_yuan(winner.deposit_amount)),
        ]
    )
    bids = (
        db.session.query(Bid)
        .filter(Bid.lot_id == lot.id)
        .order_by(Bid.amount.desc())
        .limit(10)
        .all()
    )
    if bids:
        doc.heading(_("Last bids"))
        doc.table(
            [_("Bidder No."), _("Amount"), _("Time")],
            [
                [
                    str(bid.bidder.number),
                    format_yuan(bid.amount),
                    bid.placed_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                ]
                for bid in bids
            ],
            align=["left", "right", "left"],
        )
    doc.paragraph(
        _(
            "The buyer and the seller sign the technology contract within 10 working "
            "days; the buyer's deposit is returned once the contract is registered. A "
            "buyer who does not sign forfeits the deposit."
        )
    )
    return doc.to_bytes()
