"""Letters written by hand, in the sender's own voice.

``hands``: the handwriting fonts (PyPI ``fontpkg-*``) and what each can draw;
``layout``: a page laid out as a hand writes it; ``render``: that page as PNG and vector
PDF; ``style``: how the sender writes, counted from their own letters and mail;
``compose``: the letter drafted by the model from memories it must cite.
"""
