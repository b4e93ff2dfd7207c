"""Words too common to tell one text from another, left out of a search's words by
memory and the library alike (a phrase in quotes keeps them). Besides the usual
function words, the words of asking: "tell", "remember", "know", "say"."""

from __future__ import annotations

_STOPWORDS = """a about all am an and any are as at be been but by can could did do does doing
for from had has have having he her hers him his how i if in into is it its just me my myself
no nor not now of off on once only or our ours out over own same she should so some such than
that the their them then there these they this those to too under until up very was we were
what when where which while who whom why will with would you your yours tell remember know
said say ever"""
STOPWORDS = frozenset(_STOPWORDS.split())
