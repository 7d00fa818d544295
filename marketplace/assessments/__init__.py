"""Assessments: qualifications, onboarding assessments, attempts, grading and the review queue."""
