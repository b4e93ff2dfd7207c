"""One raw mail (bytes) to a ``ParsedMail``, repairing what can be repaired and saying so.

Speed decides the parser: ``email.policy.default`` builds a rich header object for every
header read and parses about 1,100 mails/s on this machine, while the ``compat32`` parser
(what ``mailbox`` itself uses) with the few headers we need decoded by ``email.header``
and ``email.utils`` does about 10,000/s. Indexing a mailbox of years is the first thing
a person does, so we read with ``compat32`` and decode explicitly; outgoing mail is
built with ``policy.default`` (see ``send``).

Nothing here raises on bad input except ``Malformed``, which means "skip this one": the
caller reports it and goes on with the rest. Repairs (a missing Message-ID, a charset
nobody knows, 8-bit bytes in a header, a body cut to size) are listed on the mail.

Anyone can send a mail, so every step is linear in its size and capped before any
pattern sees it: headers at ``HEADER_CAP`` characters (the standard library's address
parser recurses once per nested comment or group, and its RFC 2047 decoder scans the
rest of a header from each ``=?``), the body's text at ``TEXT_CAP`` (then ``BODY_CAP``
once tidied). The indexer parses in the parsing pool, a separate process (``parse_many``),
so even a slow mail costs one worker, never the server.
"""

from __future__ import annotations

import codecs
import email.errors
import email.header
import email.utils
import hashlib
import re
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from os1.parsing_pool import OutOfTime, time_limit
from os1.skills.mail.text import html_to_text, tidy

BODY_CAP = 20_000  # characters of text kept per mail
TEXT_CAP = 8 * BODY_CAP  # characters of body text read before tidying (spaces shrink)
PARSE_CAP = 4_000_000  # bytes of a mail parsed at most (attachments beyond are not text)
HEADER_CAP = 16_000  # characters of one header read (a few hundred recipients)
MAIL_SECONDS = 5.0  # one mail's parse in the pool, plus a second per MB, then it is skipped
TIMED_OUT = "it could not be read in time (it may be built to be slow); skipped"
_PARSER = BytesParser(policy=compat32)
_MSGID = re.compile(r"<[^<>\s]{1,500}>")
_CHARSET = re.compile(r"charset\s*=\s*\"?([^\";\s]+)", re.I)
_SURROGATE = re.compile(r"[\udc80-\udcff]")
_MAIL_HEADERS = ("from", "to", "subject", "date", "message-id", "received", "return-path")


class Malformed(Exception):
    """This mail cannot be read; the message says why (for the person's report)."""


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    from_name: str
    from_addr: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    to_text: str
    cc_text: str
    subject: str
    date: float
    body: str
    is_list: bool
    repairs: tuple[str, ...]


def _decode_bytes(data: bytes, charset: str | None, repairs: list[str], what: str) -> str:
    """Bytes as text in ``charset``, else UTF-8, else Windows-1252 (which decodes anything
    but five bytes, replaced)."""
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            repairs.append(f"unknown charset {charset[:40]!r} in {what}")
            charset = None
    for candidate in (charset, "utf-8"):
        if candidate:
            try:
                return data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    repairs.append(f"text of {what} is not valid {charset or 'UTF-8'}; read as Windows-1252")
    return data.decode("cp1252", errors="replace")


def _header(raw: str, repairs: list[str], name: str) -> str:
    """A header's text: unfolded, 8-bit bytes and RFC 2047 words decoded."""
    if len(raw) > HEADER_CAP:
        repairs.append(f"very long {name} header; read its first {HEADER_CAP:,} characters")
        raw = raw[:HEADER_CAP]
    value = raw.replace("\r", "").replace("\n", "")
    if _SURROGATE.search(value):
        data = value.encode("ascii", "surrogateescape")
        value = _decode_bytes(data, None, repairs, f"the {name} header")
    if "=?" not in value:
        return value.strip()
    try:
        return str(email.header.make_header(email.header.decode_header(value))).strip()
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError):
        pieces = []
        for chunk, charset in email.header.decode_header(value):
            if isinstance(chunk, bytes):
                pieces.append(_decode_bytes(chunk, charset, repairs, f"the {name} header"))
            else:
                pieces.append(chunk)
        return "".join(pieces).strip()


# The name is taken whole and stripped afterwards: a lazy name followed by ``\s*<`` tried
# every split of a run of spaces (quadratic), and a local part that could hold "@" tried
# every "@" of "a@a@a@..." as the separator.
_SIMPLE_ADDRESS = re.compile(
    r"\s*+([^<>,]*+)<([^<>\s,@]++@[^<>\s,]++)>\s*+$|\s*+([^<>\s,@]++@[^<>\s,]++)\s*+$"
)


def _address_list(text: str) -> list[tuple[str, str]]:
    """(name, address) pairs. Most headers are plain ``Name <a@b>, c@d``; those are split
    with one regex, and anything with quotes, comments or groups goes to ``getaddresses``
    (three times slower, and indexing reads three address headers per mail)."""
    if not any(c in text for c in '"();:\\'):
        pairs = []
        for part in text.split(","):
            match = _SIMPLE_ADDRESS.match(part)
            if match is None:
                break
            pairs.append((match[1].strip(), match[2]) if match[2] else ("", match[3]))
        else:
            return pairs
    try:
        return email.utils.getaddresses([text])
    except (RecursionError, ValueError, IndexError):  # deeply nested comments or groups
        return [("", word) for word in text.split() if "@" in word and len(word) < 300][:100]


def _addresses(
    raw: str, repairs: list[str], name: str
) -> tuple[tuple[str, ...], str, list[tuple[str, str]]]:
    """Lowercased addresses, the decoded header text and the (name, address) pairs."""
    text = _header(raw, repairs, name)
    found = _address_list(text) if text else []
    addrs = tuple(a.lower() for _, a in found if "@" in a)
    return addrs, text, found


def _body_text(msg: Message, repairs: list[str]) -> str:
    """The first text/plain part that is not an attachment, else the first HTML part
    stripped to text."""
    plain: Message | None = None
    markup: Message | None = None
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = str(part.get("content-disposition", "")).lower()
        if disposition.startswith("attachment"):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and markup is None:
            markup = part
    chosen = plain or markup
    if chosen is None:
        return ""
    payload = chosen.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    found = _CHARSET.search(str(chosen.get("content-type", ""))[:HEADER_CAP])
    text = _decode_bytes(payload, found[1].lower() if found else None, repairs, "the body")
    return html_to_text(text, TEXT_CAP + 1) if chosen is markup else text[: TEXT_CAP + 1]


def _date(raw: str, repairs: list[str], fallback: float) -> float:
    if raw:
        try:
            parsed = email.utils.parsedate_to_datetime(raw.strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=email.utils.localtime().tzinfo)
            try:
                return parsed.timestamp()
            except (OverflowError, OSError, ValueError):
                pass
        repairs.append(f"unreadable date {raw[:40]!r}; used the time it was received")
    else:
        repairs.append("no date; used the time it was received")
    return fallback


def _is_list(headers: dict[str, str], from_addr: str) -> bool:
    """Mail to many: a mailing list, a newsletter, an automatic notice."""
    if "list-id" in headers or "list-unsubscribe" in headers:
        return True
    if headers.get("precedence", "").strip().lower() in ("bulk", "list", "junk"):
        return True
    if headers.get("auto-submitted", "no").strip().lower() not in ("", "no"):
        return True
    local = from_addr.split("@", 1)[0]
    return local.replace("-", "").replace("_", "") in ("noreply", "donotreply", "mailerdaemon")


def _references(raw: str) -> tuple[str, ...]:
    """The References chain, root first; a very long chain keeps its root and its tail."""
    found = _MSGID.findall(raw)
    return tuple(found if len(found) <= 50 else [found[0], *found[-49:]])


def _check_shape(raw: bytes, headers: dict[str, str]) -> None:
    if not raw.strip():
        raise Malformed("empty file")
    head = raw[: raw.find(b"\n\n")] if b"\n\n" in raw[:65536] else raw[:65536]
    if b"\x00" in head:
        raise Malformed("binary data, not a mail (NUL bytes in the header)")
    if not any(headers.get(name, "").strip() for name in _MAIL_HEADERS):
        raise Malformed("no mail headers (From, To, Subject, Date or Message-ID)")


def parse_mail(raw: bytes, received: float = 0.0) -> ParsedMail:
    """Read one mail.

    Args:
        raw: the mail as bytes, headers first.
        received: when it arrived (file time, IMAP INTERNALDATE), for a missing date.

    Raises:
        Malformed: it is not a readable mail; the message says why.
    """
    repairs: list[str] = []
    if len(raw) > PARSE_CAP:
        repairs.append(f"large mail ({len(raw) // 1_000_000} MB); read its first 4 MB")
        raw = raw[:PARSE_CAP]
    try:
        msg = _PARSER.parsebytes(raw)
    except (ValueError, TypeError, LookupError, IndexError) as exc:  # parser bugs on junk
        raise Malformed(f"cannot be parsed ({type(exc).__name__})") from exc
    headers: dict[str, str] = {}
    for name, value in msg.raw_items():
        headers.setdefault(name.lower(), value if isinstance(value, str) else str(value))
    _check_shape(raw, headers)
    from_addrs, from_text, from_pairs = _addresses(headers.get("from", ""), repairs, "From")
    to, to_text, _ = _addresses(headers.get("to", ""), repairs, "To")
    cc, cc_text, _ = _addresses(headers.get("cc", ""), repairs, "Cc")
    if not from_addrs:
        repairs.append("no sender address")
    ids = _MSGID.findall(headers.get("message-id", ""))
    if ids:
        message_id = ids[0]
    else:
        digest = hashlib.sha1(raw[:1_000_000]).hexdigest()[:24]
        message_id = f"<{digest}@os1.missing-id>"
        repairs.append("no Message-ID; made one from its content")
    try:
        text = _body_text(msg, repairs)
    except (ValueError, TypeError, LookupError, AssertionError, RecursionError) as exc:
        repairs.append(f"body could not be decoded ({type(exc).__name__}); kept headers only")
        text = ""
    body, cut = tidy(text[:TEXT_CAP], BODY_CAP)
    if cut or len(text) > TEXT_CAP:
        repairs.append(f"long text; kept its first {BODY_CAP:,} characters")
    from_addr = from_addrs[0] if from_addrs else ""
    from_name = next((n for n, a in from_pairs if a.lower() == from_addr), "") or ""
    return ParsedMail(
        message_id=message_id,
        in_reply_to=(_MSGID.findall(headers.get("in-reply-to", "")) or [""])[0],
        references=_references(headers.get("references", "")),
        from_name=from_name.strip() if from_addr else from_text,
        from_addr=from_addr,
        to=to,
        cc=cc,
        to_text=to_text,
        cc_text=cc_text,
        subject=tidy(_header(headers.get("subject", ""), repairs, "Subject"), 500)[0],
        date=_date(headers.get("date", ""), repairs, received),
        body=body,
        is_list=_is_list(headers, from_addr),
        repairs=tuple(repairs),
    )


def parse_many(mails: list[tuple[bytes, float]]) -> list[ParsedMail | Malformed]:
    """Read several mails (raw bytes, time received), each on its own: a mail that cannot
    be read, or not in time, comes back as the ``Malformed`` saying why. Run in the
    parsing pool (its per-mail ``time_limit`` works there)."""
    out: list[ParsedMail | Malformed] = []
    for raw, received in mails:
        try:
            with time_limit(MAIL_SECONDS + min(len(raw), PARSE_CAP) / 1_000_000):
                out.append(parse_mail(raw, received))
        except Malformed as exc:
            out.append(exc)
        except OutOfTime:
            out.append(Malformed(TIMED_OUT))
        except RecursionError:  # the standard library's parsers on deeply nested input
            out.append(Malformed("it is nested too deeply to read"))
    return out
