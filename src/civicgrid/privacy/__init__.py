"""Privacy of what civicgrid publishes: one place decides what of a resident's request
may leave the system without a login.

A domain of its own rather than a part of ``open311``: the Open311 feed is one public
surface among several (the resident's tracking page, and the public pages to come:
the district's published figures, a council's page), and each of them must publish a
request the same way. Keeping the rules here means a new surface imports them, never
re-implements them, and a change to a rule (a new kind of personal data) reaches every
surface at once.

- ``masking``: personal data in free text (phones, ID numbers, plates, e-mail,
  building/unit/room numbers, names), addresses cut to estate/road level, points
  rounded to about 100 m. Pure functions, no database, no network.
- ``publish``: a case's public representation (what Open311 and the resident's pages
  show of a case), built with ``masking``.
"""
