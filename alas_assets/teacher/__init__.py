"""Teacher backends: the planner, the synthesizer and the judge."""
