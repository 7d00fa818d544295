"""Pay: work sessions, heartbeats, timesheets and earnings."""
