"""Moderation: warnings, suspensions, appeals, requester blocks, country rules, notices to trainers."""
