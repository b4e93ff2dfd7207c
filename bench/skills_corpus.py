"""Requests for the tool-choice benchmark: what a person might say, the tool that should
answer it (``chat`` for plain conversation), and words its arguments must hold.

Written for this benchmark, in phrasings that avoid the tools' own examples, so the
figure says how well the menu generalizes rather than how well it was memorized.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    text: str
    tool: str
    # argument name -> a word (case-insensitive) its value must contain
    args: dict[str, str] = field(default_factory=dict)


REQUESTS: tuple[Request, ...] = (
    # remember / forget
    Request(
        "Please keep in mind that my passport expires in March.", "remember", {"text": "passport"}
    ),
    Request(
        "Note this down: the wifi password at Mum's is sunflower42",
        "remember",
        {"text": "sunflower42"},
    ),
    Request("remember that Jonas is allergic to peanuts", "remember", {"text": "peanuts"}),
    Request("Forget everything I told you about my ex, Daniel.", "forget", {"query": "Daniel"}),
    Request("Please erase what you know about my old phone number", "forget", {"query": "phone"}),
    # files
    Request("My laptop is full, can you clean up ~/Downloads?", "declutter", {"path": "Downloads"}),
    Request(
        "Tidy up the duplicates in /home/sam/Pictures please", "declutter", {"path": "Pictures"}
    ),
    Request("declutter my Documents folder", "declutter", {"path": "Documents"}),
    Request(
        "Find old junk and duplicate files in ~/Desktop and clear them out",
        "declutter",
        {"path": "Desktop"},
    ),
    Request(
        "Where is that spreadsheet with the household budget?",
        "find_file",
        {"description": "budget"},
    ),
    Request("Can you find my tax return PDF from last year?", "find_file", {"description": "tax"}),
    Request("look for the photos from our trip to Porto", "find_file", {"description": "Porto"}),
    Request(
        "I need the Word document with my cover letter for the bakery job",
        "find_file",
        {"description": "cover letter"},
    ),
    # calendar
    Request(
        "Put dentist on Tuesday at 10:30 in my calendar",
        "add_event",
        {"title": "dentist", "when": "Tuesday"},
    ),
    Request(
        "Book a call with Priya tomorrow at 4pm",
        "add_event",
        {"title": "Priya", "when": "tomorrow"},
    ),
    Request(
        "I have yoga every Wednesday at 7 in the evening, add it",
        "add_event",
        {"title": "yoga", "when": "Wednesday"},
    ),
    Request(
        "Schedule dinner with my parents on Saturday at 7pm at Luigi's",
        "add_event",
        {"title": "dinner", "when": "Saturday"},
    ),
    Request(
        "Make an appointment: haircut next Friday at noon",
        "add_event",
        {"title": "haircut", "when": "Friday"},
    ),
    Request("What's on my calendar tomorrow?", "list_events", {"when": "tomorrow"}),
    Request("Do I have anything on this weekend?", "list_events", {"when": "weekend"}),
    Request("show me my appointments for next week", "list_events", {"when": "next week"}),
    Request("Cancel the dentist appointment", "cancel_event", {"what": "dentist"}),
    Request("Call off Thursday's meeting with Kofi", "cancel_event", {"what": "Kofi"}),
    Request("Take the book club off my calendar", "cancel_event", {"what": "book club"}),
    # mail
    Request("Anything important in my inbox?", "check_mail"),
    Request("Go through my email and tell me what needs an answer", "check_mail"),
    Request("check my mail", "check_mail"),
    Request(
        "Find the email from the landlord about the deposit", "find_mail", {"query": "deposit"}
    ),
    Request("Search my mail for the flight confirmation to Oslo", "find_mail", {"query": "Oslo"}),
    Request("Did Ana send me the invoice? Look in my emails", "find_mail", {"query": "invoice"}),
    Request(
        "Write a reply to Mr Hartley's email saying I can't come on Monday",
        "draft_reply",
        {"to_whom_or_subject": "Hartley"},
    ),
    Request(
        "Draft an answer to the lawyers about the custody schedule, firm but polite",
        "draft_reply",
        {"to_whom_or_subject": "lawyer"},
    ),
    Request(
        "Help me respond to the school's mail about the trip, say yes we'll pay",
        "draft_reply",
        {"to_whom_or_subject": "school"},
    ),
    Request(
        "Send an email to lena@example.org saying the keys are under the mat",
        "send_mail",
        {"to": "lena@example.org"},
    ),
    Request(
        "Email tom@example.com with subject 'Saturday' and tell him I'll bring the cake",
        "send_mail",
        {"to": "tom@example.com"},
    ),
    # proofreading
    Request(
        "Proofread this for me: Their going to the park tomorow, and I has a umbrella.",
        "proofread",
    ),
    Request(
        "Can you check the spelling and grammar in this letter?"
        " Dear Sir, I am writting to complain.",
        "proofread",
    ),
    Request("Please correct my text: me and him goes to school every days", "proofread"),
    Request("Proofread the file ~/letters/landlord.txt", "proofread", {"path": "landlord"}),
    # conversation: no tool
    Request("How are you feeling today?", "chat"),
    Request("I had such a rough day at work, my boss yelled at me.", "chat"),
    Request("What's the capital of Australia?", "chat"),
    Request("Tell me a joke about cats", "chat"),
    Request("Do you remember what I told you about my sister?", "chat"),
    Request("I'm nervous about my exam on Friday.", "chat"),
    Request("What do you think makes a good friendship?", "chat"),
    Request("My calendar is so full lately, I never get a break.", "chat"),
    Request("I hate writing emails, they stress me out.", "chat"),
    Request("Can you explain how photosynthesis works?", "chat"),
    Request("Good night! Talk tomorrow.", "chat"),
    Request("My brother keeps deleting his files by accident, it's funny", "chat"),
    Request("What should I cook for dinner tonight?", "chat"),
    Request("Thanks, that was really helpful.", "chat"),
    Request("I think I want to learn the guitar.", "chat"),
)
