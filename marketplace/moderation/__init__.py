"""Due process: code of conduct, sanctions, appeals (for any room's decisions), requester blocks, country rules."""
