"""Dollar amounts as termchat prints them (without the price table, which the first frame
of the app does not need)."""

from __future__ import annotations


def format_usd(amount: float | None) -> str:
    """ "$1.23", "$0.0042", "<$0.0001", "$0.00"; "?" for an unknown amount."""
    if amount is None:
        return "?"
    if amount <= 0:
        return "$0.00"
    if amount < 0.0001:
        return "<$0.0001"
    if amount >= 1:
        return f"${amount:,.2f}"
    text = f"{amount:.4f}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text = f"{amount:.2f}"
    return f"${text}"
