"""The loyalty programme's rules: earning rules and offers, tiers, rewards, coupons, referral
and points expiry. Managers configure them; purchases apply them in their own transaction."""
