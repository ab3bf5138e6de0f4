"""Arena: a blind, pairwise preference leaderboard for AI video-generation models."""

__version__ = "0.1.0"
