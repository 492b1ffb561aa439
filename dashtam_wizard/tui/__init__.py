"""The Textual front end: a thin client of the engine (core/, apply/, docker/)."""
