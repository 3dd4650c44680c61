"""Danish rules as dated data: which organisation is responsible for a person (routing), who may
take a company place (eligibility, one module per kind of place), the rimelighedskrav.

Every rule is a row with ``valid_from``/``valid_to`` and a source key from domain.md, chosen by
the date it applies to; a change of law is a new row, not a code branch. Pure functions: no
database access.
"""
