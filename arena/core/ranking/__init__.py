"""Rating engine: Bradley-Terry / Elo ratings with intervals, pure numpy (no web or DB imports)."""
