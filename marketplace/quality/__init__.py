"""Quality: gold tasks, trainer scores, peer review, agreement, aggregation and exports."""
