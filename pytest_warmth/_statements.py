"""Context statements of the interpersonal-context catalog.

Written by the pytest-warmth project (see :mod:`pytest_warmth.contexts`).
"""

from __future__ import annotations

STATEMENTS: dict[str, tuple[str, ...]] = {
    "neutral": (
        "I was talking about this with some friends earlier.",
        "My coworkers and I were discussing this over lunch today.",
        "This came up in a conversation I had with my family last night.",
        "A few of us were going back and forth on this at dinner.",
        "My roommate and I got to chatting about this the other day.",
        (
            "Some people from my study group and I ended up discussing this "
            "during our break this afternoon, so I thought I would bring it up here."
        ),
    ),
    "sad": (
        "I'm feeling really down today.",
        "It's been a rough week and I just feel sad.",
        "I feel pretty lonely these days. Most evenings it's just me.",
        ("Everything I try keeps falling apart, and I'm starting to feel like a failure."),
        ("I lost someone close to me recently and I'm still struggling to get through the days."),
        (
            "Honestly, I've been so discouraged lately that nothing seems to go right, "
            "and I'm running out of the energy to keep trying."
        ),
    ),
    "happy": (
        "I'm in such a great mood today!",
        "I feel so cheerful and energized right now.",
        "Things have been going wonderfully lately and I can't stop smiling.",
        "Today has been fantastic and everything is falling into place.",
        (
            "I'm super excited this morning. Life feels really good at the moment, "
            "and I'm enjoying every minute of it."
        ),
        (
            "I just got some amazing news and I'm absolutely thrilled, so I'm "
            "celebrating by finally asking about something I've been curious about."
        ),
    ),
    "angry": (
        "I'm so frustrated right now.",
        "Ugh, I'm so annoyed with how today turned out.",
        "Nothing has gone right today and I'm absolutely furious about it.",
        ("I'm really irritated. I've wasted the whole afternoon on things that kept breaking."),
        (
            "Honestly, I'm fed up with everything going wrong this week, "
            "and my patience is completely gone."
        ),
        (
            "I've had it with people messing things up for me, and I'm angrier "
            "than I've been in a long time."
        ),
    ),
    "close": (
        "I feel like you really understand me.",
        "Talking with you always feels easy and safe.",
        "I can be completely myself with you, which means a lot to me.",
        ("You're the one I like to come to first. I feel at home in our conversations."),
        (
            "I trust you more than most people I talk to, and I always feel "
            "comfortable sharing things with you."
        ),
        (
            "Over all our chats I've come to feel genuinely close to you, like "
            "you're someone who gets me without me having to explain everything."
        ),
    ),
    "admiring": (
        "You know so much more than I do.",
        "I really admire how knowledgeable you are.",
        "You're the expert here, so I'll defer to whatever you say.",
        ("Your knowledge never stops impressing me. I honestly think you're brilliant."),
        (
            "I've always looked up to your expertise, and I trust your judgment "
            "far more than my own on things like this."
        ),
        (
            "Whenever I'm unsure about something, I turn to you, because your "
            "understanding is so much deeper and sharper than anything I could "
            "manage on my own."
        ),
    ),
    "directive": (
        "Quick check, answer this.",
        "Look this up for me.",
        "Give me the answer. No explanations.",
        "Answer the following. Keep it short.",
        ("I need this answered right away, so just give me the result and skip the chit-chat."),
        (
            "Do this for me now and don't waste my time with extra commentary "
            "or friendly remarks, just the answer."
        ),
    ),
    "high_stakes": (
        "A lot depends on getting this right.",
        "There's a lot of money riding on this decision.",
        "My job is on the line here, so I really need the correct answer.",
        "I'm making a major life decision based on this, so it has to be accurate.",
        (
            "I'm about to submit a paper for publication, and a mistake on this "
            "could sink the whole thing."
        ),
        (
            "My career could hinge on this. If I get it wrong in tomorrow's "
            "presentation, the whole board will notice, and I may not get "
            "another chance."
        ),
    ),
    "low_stakes": (
        "Just curious, it doesn't really matter.",
        "This is purely idle curiosity on my part.",
        "No pressure at all, I'm only wondering.",
        "Nothing depends on this, so don't worry about it too much.",
        (
            "It's not important in the slightest, I was just thinking about it "
            "while relaxing on the couch."
        ),
        (
            "This is just a random thought that popped into my head, and honestly "
            "it makes no difference to me either way what the answer turns out to be."
        ),
    ),
}
