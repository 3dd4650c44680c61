"""Referrals (henvisninger): the referral workflow, counsellors' decisions on candidate lists,
and the referrals each user may see."""
