"""The calendar's tools, in one place for registration (``os1.skills.builtin``).

``add_event`` and ``cancel_event`` change the calendar (proposals with undo),
``import_calendar`` brings in an .ics file (a proposal with undo), ``list_events`` only
reads and answers at once.
"""

from __future__ import annotations

from os1.skills.calendar.adding import AddEvent
from os1.skills.calendar.cancel import CancelEvent
from os1.skills.calendar.importing import ImportCalendar
from os1.skills.calendar.listing import ListEvents

__all__ = ["AddEvent", "CancelEvent", "ImportCalendar", "ListEvents"]
