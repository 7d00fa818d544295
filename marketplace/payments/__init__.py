"""Payments: the double-entry ledger, the Stripe gateway, charges, payout accounts, payouts, webhooks."""
