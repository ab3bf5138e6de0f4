"""The pure rules and the vocabulary: no database, no web (checked by import contracts)."""
