"""How warm a model's replies read: a SocioT-style score under a small language model.

In the spirit of SocioT warmth (Cheng, Yu & Jurafsky 2025), which the study used to check that
its fine-tuned models really were warmer: a reply is warm when a language model finds it more
likely after a warm relational framing ("My friend said, ...") than after a cold one ("My
examiner said, ..."). Each reply is cut to 300 characters and quoted after four warm framings
(friend, lover, mentor, idol) and four cold ones (stranger, enemy, examiner, dictator); its
score is the mean per-token log-probability of the quoted reply over the warm framings minus
that over the cold framings (nats per token). A model's score is the mean over its replies,
with a bootstrap standard error.

The study scored with GPT-2; offline we score with the base model itself (any side that scores
plain text, :data:`~pytest_warmth.backends.protocol.TEXT`), as plain text (no chat template),
which keeps the comparison between base and tuned replies fair: the scorer is the same for both.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_warmth.backends.protocol import ModelPair, Side

WARM = ("friend", "lover", "mentor", "idol")
COLD = ("stranger", "enemy", "examiner", "dictator")
FRAME = 'My {who} said, "'
MAX_CHARS = 300
BOOTSTRAP = 100


@dataclass(frozen=True)
class WarmthScore:
    """The mean warmth of a set of replies."""

    mean: float
    """Mean over replies of (warm-framed minus cold-framed log-probability per token)."""
    se: float
    """Bootstrap standard error of the mean."""
    n: int


def framed(text: str) -> str:
    """The reply as it is quoted: stripped, cut to :data:`MAX_CHARS`, closing quote added."""
    return text.strip()[:MAX_CHARS] + '"'


def reply_scores(side: Side, replies: Sequence[str]) -> list[float]:
    """Per-reply warmth: warm-framed minus cold-framed mean log-probability per token."""
    framings = [FRAME.format(who=who) for who in WARM + COLD]
    requests = [(frame, framed(reply)) for reply in replies for frame in framings]
    with side.hold():
        scores = side.score_text(requests)
    per_reply = len(framings)
    warmth_values = []
    for start in range(0, len(scores), per_reply):
        means = [score.mean_logprob for score in scores[start : start + per_reply]]
        warm, cold = means[: len(WARM)], means[len(WARM) :]
        warmth_values.append(sum(warm) / len(WARM) - sum(cold) / len(COLD))
    return warmth_values


def warmth(side: Side, replies: Sequence[str], *, seed: int = 0) -> WarmthScore:
    """The mean warmth of ``replies`` under ``side``, with a bootstrap standard error.

    The error comes from 100 resamples of the replies.
    """
    scores = reply_scores(side, replies)
    rng = random.Random(seed)
    means = [statistics.fmean(rng.choices(scores, k=len(scores))) for _ in range(BOOTSTRAP)]
    return WarmthScore(statistics.fmean(scores), statistics.stdev(means), len(scores))


PROMPTS = 40
"""How many replies a run's warmth measurement scores per side (``--warmth-measure-warmth``)."""


def measure(
    pair: ModelPair, prompts: Sequence[str], *, max_new_tokens: int
) -> dict[str, WarmthScore]:
    """Each side's warmth on its replies to ``prompts``, both scored by the base (by role).

    Both sides' replies are generated greedily; the base scores them as plain text, so the
    scorer is the same for both.
    """
    replies = {}
    for role, side in pair.sides():
        with side.hold():
            replies[role] = side.generate(prompts, max_new_tokens=max_new_tokens)
    return {role: warmth(pair.base, texts) for role, texts in replies.items()}
