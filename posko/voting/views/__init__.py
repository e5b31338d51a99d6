"""The voting pages: the board, a TPS's day and its C.Hasil, the tally."""

from posko.voting.views.board import BoardView
from posko.voting.views.results import ResultEntryView, TpsDayView
from posko.voting.views.tally import TallyView

__all__ = ["BoardView", "ResultEntryView", "TallyView", "TpsDayView"]
