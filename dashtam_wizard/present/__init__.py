"""What the CLI prints: presenters of the engines' typed results (the adapters only report)."""
