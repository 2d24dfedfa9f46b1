"""Agent listeners: the orchestrator picks agents, which run in order, each behind its input
filters (see docs/brightstaff.md, "Agents and filters")."""
