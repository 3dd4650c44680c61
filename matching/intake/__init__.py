"""People and CVs in: registering and maintaining people, the CV editor, CV documents turned
into drafts, bulk import from case systems, the consent ledger, leaving the register, and the
data subject's rights (export, erasure and the retention rules).

It sits above the other areas because leaving the register closes referrals and shortlist
places, and a person's data export gathers what every area holds about them.
"""
