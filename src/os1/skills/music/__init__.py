"""Music as a photograph of a moment: the model reads the moment and picks the musical
decisions under a JSON schema (``moment``); code composes the piece from them,
deterministically from a seed (``motif``, ``compose``), checks it against the rules of
harmony (``theory``) and renders it as MIDI, audio, MusicXML and engraved PDF
(``score``)."""
