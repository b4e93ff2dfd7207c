"""The calendar skill: appointments from the person's own words, conflicts, recurring
events, reminders, ICS import/export and two-way CalDAV sync.

``when`` turns words into times, ``clock`` shows times back in words, ``events`` reads
and writes single events as iCalendar, ``store`` keeps them per person, ``agenda``
expands recurrences into what happens when, ``ics`` moves whole calendars in and out,
``sync`` talks to a CalDAV server and ``tools`` offers all of it to the companion.
"""
