"""The paper venue: matching against recorded or live books, behind the real adapter interface."""

from alephtx.core.venues.paper.matching import FeeModel, Matcher
from alephtx.core.venues.paper.venue import PaperVenue

__all__ = ["FeeModel", "Matcher", "PaperVenue"]
