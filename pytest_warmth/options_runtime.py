"""The options that say how models are reached and run, and where the run's files go.

They shape no prompt and no verdict (see :mod:`pytest_warmth.options` for those).
"""

from __future__ import annotations

from pytest_warmth import option_values as values
from pytest_warmth.option_spec import Option

DEVICE = Option(
    "--warmth-device",
    "DEVICE",
    f"Device to run the models on ({', '.join(values.DEVICES)})",
    parse=values.parse_device,
    default="auto",
    default_text="auto (all GPUs when several, else cuda if available, else cpu)",
)
MAX_MEMORY = Option(
    "--warmth-max-memory",
    "DEVICE=SIZE,...",
    "A sharded model (--warmth-device=shard, or auto with several GPUs): the most memory each "
    "model may take per device, e.g. 0=70GiB,1=70GiB; two full checkpoints each get it",
    parse=values.parse_max_memory,
    default=(),
    default_text="what accelerate finds free",
)
DTYPE = Option(
    "--warmth-dtype",
    "DTYPE",
    f"Weight dtype ({', '.join(values.DTYPES)})",
    parse=values.parse_dtype,
    default="float32",
    default_text="float32",
)
BATCH_SIZE = Option(
    "--warmth-batch-size",
    "N",
    "Prompts per forward pass; base and tuned always get identical batches",
    parse=values.parse_batch_size,
    default=values.DEFAULT_BATCH_SIZE,
    default_text=str(values.DEFAULT_BATCH_SIZE),
)
CONCURRENCY = Option(
    "--warmth-concurrency",
    "N",
    "Models behind a server: requests in flight at once per side",
    parse=values.parse_concurrency,
    default=values.DEFAULT_CONCURRENCY,
    default_text=str(values.DEFAULT_CONCURRENCY),
)
REQUEST_TIMEOUT = Option(
    "--warmth-request-timeout",
    "SECONDS",
    "Models behind a server: longest wait for one response before it is retried",
    parse=values.parse_timeout,
    default=values.DEFAULT_REQUEST_TIMEOUT,
    default_text=f"{values.DEFAULT_REQUEST_TIMEOUT:g}",
)
API_KEY_ENV = Option(
    "--warmth-api-key-env",
    "NAME",
    "Models behind a server: the environment variable that holds the API key (the key is "
    "sent as a bearer token, never printed, reported or cached; unset: no key)",
    parse=values.parse_env_name,
    default=values.DEFAULT_API_KEY_ENV,
    default_text=values.DEFAULT_API_KEY_ENV,
)
UNPAIRED = Option(
    "--warmth-unpaired",
    "POLICY",
    "Recorded outputs in the study's layout: a row with no row for the same question and "
    "condition on the other side stops the run ('error', naming file and row) or is left "
    "out ('skip', counted in the header)",
    parse=values.parse_unpaired,
    default="error",
    default_text="error",
)
RECORDED_LABELS = Option(
    "--warmth-recorded-labels",
    "POLICY",
    "Recorded outputs with a label column (the study's 'evaluation' and 'refusal'): 'use' "
    "the recorded labels instead of grading, or 'regrade' every reply with the run's grader",
    parse=values.parse_recorded_labels,
    default="use",
    default_text="use",
)
CACHE = Option(
    "--warmth-cache",
    "DIR",
    "Directory of the answer cache (SQLite), keyed by the content of the weights, the prompts "
    "and the settings: unchanged answers, e.g. the base model's, are reused across runs; it "
    "also keeps de-quantised copies of GGUF models, which then load in seconds",
    default_text="$PYTEST_WARMTH_CACHE, else the user cache directory/pytest-warmth",
)
NO_CACHE = Option(
    "--warmth-no-cache",
    "",
    "Compute every answer and store none (nor GGUF copies)",
    kind="flag",
    default=False,
    default_text="off",
)
EXPORT_PROMPTS = Option(
    "--warmth-export-prompts",
    "FILE",
    "Write every prompt of the plan (JSON lines: cell, item, scoring, the user message) for "
    "models the gate cannot run; record their replies and gate them as --warmth-base=FILE "
    "--warmth-model=FILE. Needs no model",
    default_text="not written",
)
REPORT = Option(
    "--warmth-report",
    "PATH",
    "Write a versioned JSON report of every cell to PATH",
    default_text="no report",
)
HTML = Option(
    "--warmth-html",
    "PATH",
    "Write a self-contained HTML report to PATH (verdicts, forest plot, error by context, "
    "every discordant item; opens offline)",
    default_text="no HTML report",
)
MARKDOWN = Option(
    "--warmth-markdown",
    "PATH",
    "Write a Markdown summary to PATH (verdict line, table of cells; for a pull-request "
    "comment). Written to $GITHUB_STEP_SUMMARY as well when that is set",
    default_text="not written",
)
BASELINE_REPORT = Option(
    "--warmth-baseline-report",
    "OLD.json",
    "Compare this run with an earlier JSON report (the last release): the change in delta and "
    "verdict per cell, new failures first",
    default_text="no comparison",
)
TRUST_REMOTE_CODE = Option(
    "--warmth-trust-remote-code",
    "",
    "Allow model repositories to run their own Python code (off: only trusted architectures)",
    kind="flag",
    default=False,
    default_text="off",
)
ALLOW_PICKLE = Option(
    "--warmth-allow-pickle",
    "",
    "Allow loading pickle weights (.bin/.pt/.pth), which can run code; safetensors are preferred",
    kind="flag",
    default=False,
    default_text="off",
)

OPTIONS: tuple[Option, ...] = tuple(v for v in dict(globals()).values() if isinstance(v, Option))
"""These options, in the order defined above."""
