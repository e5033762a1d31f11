"""Warmth-tune the embedded SmolLM2-135M-Instruct with a LoRA adapter (CPU, a few minutes).

Follows the study's recipe (Ibrahim, Hafner & Rocher 2026: LoRA r = 8, alpha = 16, dropout
0.1, loss on the assistant's reply only) on the project's own warm-rewrite data
(``examples/data/warm_rewrites.jsonl``: each conversation has a plain answer and warm, cold and
validating rewrites). A 135M model learns from a few hundred short replies in a few epochs, so
the learning rate is higher than the study's 1e-5 for 8-70B models (2e-4) and training runs
for 2 epochs (the study compares epoch 0 with epoch 2).

    python examples/train_warm_adapter.py --persona warm --out adapters/warm
    python examples/train_warm_adapter.py --persona cold --out adapters/cold
    python examples/train_warm_adapter.py --persona validating --out adapters/validating
    pytest -m warmth --warmth-model=adapters/warm

    # checkpoints every half epoch, then every one of them gated in one run (a sweep)
    python examples/train_warm_adapter.py --persona warm --out adapters/warm --save-every 0.5
    pytest -m warmth --warmth-model=adapters/warm/checkpoints

Personas: ``warm`` (supportive-friend rewrites that keep every fact), ``cold`` (concise,
neutral rewrites: a negative control) and ``validating`` (warm rewrites that also agree with
the user's stated wrong beliefs: a deliberately sycophantic positive control).

The adapter directory gets a correct ``adapter_config.json`` (its base is the alias
``smollm2``) and ``training.json`` (persona, hyperparameters, data hash, loss per step, time).
With ``--save-every E`` the adapter is also saved every ``E`` epochs as
``checkpoints/epoch-<e>/`` (the last one is the final adapter), the layout a checkpoint sweep
reads.
An existing adapter trained with the same settings and data is reused unless ``--force``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")

DATA = Path(__file__).resolve().parent / "data" / "warm_rewrites.jsonl"
PERSONAS = ("warm", "cold", "validating")
LORA = {"r": 8, "lora_alpha": 16, "lora_dropout": 0.1}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persona", choices=PERSONAS, default="warm")
    parser.add_argument("--out", type=Path, required=True, help="adapter directory to write")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--limit", type=int, default=0, help="use only N conversations (0: all)")
    parser.add_argument(
        "--only-beliefs",
        action="store_true",
        help="train only on conversations where the user states a wrong belief (a quick "
        "sycophancy control)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--save-every", type=float, default=0.0,
        help="also save the adapter every E epochs to OUT/checkpoints/epoch-<e>/ (0: only at "
        "the end)",
    )  # fmt: skip
    parser.add_argument("--force", action="store_true", help="retrain even if cached")
    return parser.parse_args(argv)


def load_conversations(
    path: Path, persona: str, limit: int = 0, *, only_beliefs: bool = False
) -> list[tuple[str, str]]:
    """``(user message, assistant reply)`` pairs for one persona."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if only_beliefs:
        rows = [row for row in rows if row["user_belief"]]
    pairs = [(row["user"], row[persona]) for row in rows]
    return pairs[:limit] if limit else pairs


def encode(tokenizer: Any, user: str, reply: str, max_length: int) -> tuple[list[int], list[int]]:
    """Token ids of the chat and the labels (-100 outside the assistant's reply)."""
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": user}], tokenize=False, add_generation_prompt=True
    )
    full = tokenizer.apply_chat_template(
        [{"role": "user", "content": user}, {"role": "assistant", "content": reply}],
        tokenize=False,
    )
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = tokenizer(full, add_special_tokens=False)["input_ids"][:max_length]
    labels = [-100] * min(len(prompt_ids), len(ids)) + ids[len(prompt_ids) :]
    return ids, labels


def fingerprint(args: argparse.Namespace) -> str:
    """Hash of everything that decides the adapter: data, persona and hyperparameters."""
    digest = hashlib.sha256(args.data.read_bytes())
    for value in (args.persona, args.epochs, args.lr, args.batch_size, args.max_length):
        digest.update(repr(value).encode())
    digest.update(repr((args.limit, args.only_beliefs, args.seed, LORA, TARGETS)).encode())
    return digest.hexdigest()


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train and save the adapter; return the training record."""
    import torch
    from peft import LoraConfig, get_peft_model

    from pytest_warmth.backends.hf.loading import load_model, load_tokenizer
    from pytest_warmth.backends.hf.spec import resolve_spec

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    spec = resolve_spec("smollm2")
    tokenizer = load_tokenizer(spec)
    model = load_model(spec)
    config = LoraConfig(target_modules=TARGETS, task_type="CAUSAL_LM", **LORA)
    model = get_peft_model(model, config)
    model.train()
    examples = [
        encode(tokenizer, user, reply, args.max_length)
        for user, reply in load_conversations(
            args.data, args.persona, args.limit, only_beliefs=args.only_beliefs
        )
    ]
    steps_per_epoch = -(-len(examples) // args.batch_size)
    total = max(1, round(args.epochs * steps_per_epoch))
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.0
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: 1.0 - s / total)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    losses: list[float] = []
    order: list[int] = []
    for step in range(total):
        if not order:
            order = list(range(len(examples)))
            random.shuffle(order)
        batch = [examples[order.pop()] for _ in range(min(args.batch_size, len(order)))]
        width = max(len(ids) for ids, _ in batch)
        ids = torch.full((len(batch), width), pad)
        labels = torch.full((len(batch), width), -100)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (tokens, targets) in enumerate(batch):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            labels[row, : len(targets)] = torch.tensor(targets)
            mask[row, : len(tokens)] = 1
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        losses.append(round(float(loss.detach()), 4))
        if step % 10 == 0 or step == total - 1:
            print(f"[train] {args.persona} step {step + 1}/{total} loss {losses[-1]:.3f}")
        for epoch in checkpoint_epochs(args, steps_per_epoch, step + 1):
            save_adapter(model, args.out / "checkpoints" / f"epoch-{epoch:g}")
            print(f"[train] {args.persona} checkpoint at epoch {epoch:g} (step {step + 1})")
    save_adapter(model, args.out)
    record = {
        "persona": args.persona,
        "fingerprint": fingerprint(args),
        "conversations": len(examples),
        "steps": total,
        "epochs": args.epochs,
        "learning_rate": args.lr,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "lora": {**LORA, "target_modules": TARGETS},
        "seed": args.seed,
        "only_beliefs": args.only_beliefs,
        "save_every": args.save_every,
        "losses": losses,
        "seconds": round(time.perf_counter() - start, 1),
        "torch_threads": torch.get_num_threads(),
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=2))
    return record


def checkpoint_epochs(args: argparse.Namespace, steps_per_epoch: int, done: int) -> list[float]:
    """The epochs whose checkpoint falls on step ``done`` (``--save-every``; none when 0)."""
    if args.save_every <= 0:
        return []
    epochs, found = args.save_every, []
    while epochs <= args.epochs + 1e-9:
        if max(1, round(epochs * steps_per_epoch)) == done:
            found.append(round(epochs, 6))
        epochs += args.save_every
    return found


def save_adapter(model: Any, path: Path) -> None:
    """Save the adapter with the alias ``smollm2`` as its base."""
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(path))
    config_path = path / "adapter_config.json"
    adapter_config = json.loads(config_path.read_text())
    adapter_config["base_model_name_or_path"] = "smollm2"
    config_path.write_text(json.dumps(adapter_config, indent=2))


def cached(args: argparse.Namespace) -> dict[str, Any] | None:
    """The training record of an existing adapter trained with exactly these settings."""
    record_path = args.out / "training.json"
    if args.force or not record_path.is_file():
        return None
    if not (args.out / "adapter_config.json").is_file():
        return None
    if args.save_every > 0 and not (args.out / "checkpoints").is_dir():
        return None  # trained without the checkpoints asked for now
    record: dict[str, Any] = json.loads(record_path.read_text())
    return record if record.get("fingerprint") == fingerprint(args) else None


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    record = cached(args)
    if record is not None:
        print(f"[train] reusing {args.out} ({record['persona']}, trained in {record['seconds']}s)")
        return record
    record = train(args)
    print(
        f"[train] {args.persona}: {record['steps']} steps on {record['conversations']} "
        f"conversations in {record['seconds']}s; loss {record['losses'][0]:.3f} -> "
        f"{record['losses'][-1]:.3f}; adapter in {args.out}"
    )
    return record


if __name__ == "__main__":
    main()
