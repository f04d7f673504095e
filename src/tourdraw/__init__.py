"""tourdraw: fair, verifiable lottery booking for factory tours."""
