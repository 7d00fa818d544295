"""Assignment: matching trainers to tasks, claims, reservations, submissions and review states."""
