"""The domain layer of Jobbro: every rule, query, permission and workflow, by area.

``core`` (settings, database, errors, audit, dates, paging, permissions, workflows, mail),
``models`` (tables), ``rules`` (dated Danish rule data), and one package per area: ``accounts``,
``people``, ``vacancies``, ``ranking``, ``referrals``, ``fairs``; ``demo`` makes demo data.
No Flask and no torch: the portal and the workers call in, never the other way. The layout and
the import rules are in docs/architecture.md and matching/README.md.
"""
