"""Stamp cards, "10 coffees, the 11th free": a second currency, counted per member and card.

- `cards`: managers define the cards (versioned and audited like the earning rules), and the
  cards in force, cached with the programme's configuration.
- `earning`: stamps earned by a purchase, in its transaction; a full card issues its reward as
  a voucher; a refund takes the stamps back.
- `progress`: what a member sees of their cards.
"""
