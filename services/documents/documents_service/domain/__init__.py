"""Pure business rules of the documents service (no nameko, no storage, no database)."""
