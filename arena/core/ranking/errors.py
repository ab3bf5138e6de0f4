"""Domain errors of the rating engine (all are ValueError subclasses)."""


class RankingError(ValueError):
    """Bad input or options given to the rating engine; the message names the bad value."""


class BattleFileError(RankingError):
    """A battle file that cannot be read; the message names the line and the field."""
