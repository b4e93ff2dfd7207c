"""What the voice benchmark says: everyday remarks for latency, sentences for word error
rate, requests for long replies and the words that cut them short.

The lists are fixed so runs compare. The WER sentences are kept apart from the latency
remarks, and carry what transcription gets wrong most: names, numbers, dates, times.
Numbers are written as Whisper writes them (small counts in words, years, times and
amounts in digits), since the word error rate compares spelling, not sound.
"""

from __future__ import annotations

# Things a person says to a companion in passing: questions, remarks, a bit of news.
UTTERANCES = (
    "Good morning! How are you today?",
    "I slept really badly last night.",
    "What should I cook for dinner tonight?",
    "I think it's going to rain this afternoon.",
    "Can you help me plan my weekend?",
    "My sister is coming to visit next week.",
    "I'm feeling a bit tired today.",
    "What's a good book to read on holiday?",
    "I finally finished that big project at work.",
    "Do you have any tips for falling asleep faster?",
    "I went for a long walk in the park.",
    "What do you think about learning to play the guitar?",
    "My friend just got a new puppy.",
    "I'm nervous about my job interview tomorrow.",
    "Tell me something interesting.",
    "I had pasta for lunch and it was great.",
    "How can I stop checking my phone so much?",
    "The train was late again this morning.",
    "I want to start running in the mornings.",
    "What's a nice way to say thank you to a neighbour?",
    "I'm thinking of painting the kitchen yellow.",
    "Can you remind me why I wanted to learn French?",
    "I watched a really sad film yesterday.",
    "Should I call my mother this evening?",
    "It's so quiet in the house today.",
    "What would you do on a rainy Sunday?",
    "My back hurts from sitting all day.",
    "I bought some flowers for the balcony.",
    "Do you like music?",
    "I'm going to bed early tonight.",
)

# Sentences to transcribe: names, numbers, dates, times, places, everyday requests.
WER_SENTENCES = (
    "Please call my sister Anna tomorrow afternoon.",
    "Remind me to buy bread and milk on the way home.",
    "My appointment with Dr. Miller is on Tuesday at 10.",
    "The meeting was moved to Friday the 3rd of March.",
    "I was born in 1984 in a small town near Glasgow.",
    "Add eggs, butter and two lemons to the shopping list.",
    "Send a message to David saying I will be late.",
    "The train to Manchester leaves at 7:45 in the morning.",
    "We need about 3 kilos of potatoes for the party.",
    "What is the weather going to be like in Paris this weekend?",
    "Call the plumber about the leak under the sink.",
    "Set a timer for 20 minutes.",
    "Lisa and Tom are getting married in June.",
    "The rent is 950 pounds a month.",
    "Book a table for four people at eight o'clock.",
    "I read three chapters of the book last night.",
    "Our flight to Lisbon is on the 14th of August.",
    "Please water the tomatoes in the garden.",
    "The kids have a football match on Saturday morning.",
    "My grandmother turns 90 next year.",
    "Find the letter I wrote to the bank in January.",
    "Play some quiet piano music while I work.",
    "Turn the heating down to 19 degrees.",
    "How long does it take to drive from Berlin to Hamburg?",
    "I need to renew my passport before the summer.",
    "Remind me to take my medicine at 9 every evening.",
    "The package from Amazon should arrive on Thursday.",
    "Can you read me the last email from Sarah?",
    "We spent 2 weeks in Italy in 2019.",
    "The library closes at 6 on weekdays.",
    "Move the dentist appointment to next Wednesday.",
    "My brother Michael lives in Toronto now.",
    "Write a short thank you note to Mrs Patel.",
    "The concert starts at half past seven.",
    "I walked 12 kilometres along the river today.",
    "Please make a list of birthdays in October.",
    "The bus number 42 stops right outside the office.",
    "Our wedding anniversary is on the 22nd of May.",
    "Tell James the report will be ready on Monday.",
    "I would like to learn how to bake sourdough bread.",
    "There are 365 days in a year and 7 days in a week.",
    "Christmas falls on a Wednesday this year.",
    "Ask Peter whether he can pick up the children at 4.",
    "The hotel in Vienna costs 120 euros a night.",
    "Save this recipe for chocolate cake.",
    "My daughter Emma starts school in September.",
    "Open the document about the garden project.",
    "We should leave for the airport by 5 in the morning.",
)

# Requests that draw a long, many-sentence reply, to be cut short.
LONG_REQUESTS = (
    "Tell me a long story about a lighthouse keeper and a lost cat.",
    "Can you explain in detail how bread is made, step by step?",
    "Describe your perfect day from morning to night, in detail.",
    "Tell me a long story about a dragon who was afraid of flying.",
    "Explain how the seasons work, with lots of detail please.",
    "Tell me a long fairy tale about a clever fox and a farmer.",
    "Describe a walk through a big city at night, in many sentences.",
    "Tell me a long story about two friends sailing around the world.",
    "Explain step by step how to plant a vegetable garden.",
    "Tell me a long story about a robot learning to paint.",
    "Describe the history of the bicycle in detail.",
    "Tell me a long story about a girl who finds a secret door.",
)

# What a person says to stop the companion mid-reply.
INTERRUPTIONS = (
    "Wait, stop.",
    "Hold on a second.",
    "Sorry, one moment please.",
    "Okay, that's enough.",
    "Stop, I have a question.",
    "Hang on.",
)
