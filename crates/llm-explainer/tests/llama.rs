//! The real llama.cpp on the real default model (installed by `scripts/setup-models.sh`).
//!
//! Without the model file these tests print why and pass, unless `REQUIRE_LLM=1` (set by CI).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use llm_explainer::{
    ChatMessage, Error, Evidence, Explainer, FinishReason, GenerationSettings, Language,
    LlamaExplainer, LlamaSettings, Verdict, explanation_messages,
};

fn model_path() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/llm/SmolLM2-135M-Instruct.Q4_1.gguf");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("REQUIRE_LLM").is_err(),
        "REQUIRE_LLM is set but {} is missing",
        path.display()
    );
    // Past the harness's capture: every run shows the skip, and .ci/run counts it.
    writeln!(
        std::io::stderr(),
        "skipped: {} is missing; run scripts/setup-models.sh",
        path.display()
    )
    .ok();
    None
}

/// One explainer shared by the tests (pool 1, queue 3, as the defaults).
fn shared() -> Option<&'static LlamaExplainer> {
    static EXPLAINER: OnceLock<LlamaExplainer> = OnceLock::new();
    let path = model_path()?;
    Some(
        EXPLAINER.get_or_init(|| {
            LlamaExplainer::load(LlamaSettings::new(path).with_threads(1)).unwrap()
        }),
    )
}

fn attack_messages(language: Language) -> Vec<ChatMessage> {
    verdict_messages(Verdict::from_probability(0.97, 0.5), language)
}

/// The explanation prompt of the sample window under `verdict`.
fn verdict_messages(verdict: Verdict, language: Language) -> Vec<ChatMessage> {
    let body: serde_json::Value = serde_json::from_str(include_str!(
        "../../flow-features/tests/fixtures/sample_request.json"
    ))
    .unwrap();
    let flows = flow_features::parse_window(&body["sequence"], 10).unwrap();
    explanation_messages(&Evidence::new(&flows, verdict, None), language)
}

#[test]
fn explains_the_verdict_deterministically() {
    let Some(explainer) = shared() else { return };
    let settings = GenerationSettings::default().with_max_tokens(96);
    let first = explainer
        .generate(attack_messages(Language::English), &settings)
        .unwrap()
        .wait()
        .unwrap();
    assert!(!first.text.is_empty());
    let lower = first.text.to_lowercase();
    assert!(
        ["attack", "malicious", "anomal", "suspicious", "threat"]
            .iter()
            .any(|w| lower.contains(w)),
        "{}",
        first.text
    );
    assert!(first.prompt_tokens > 50 && first.generated_tokens > 0);
    assert!(first.timings.time_to_first_token_ms > 0.0);
    assert_eq!(first.model, "SmolLM2-135M-Instruct.Q4_1");

    let second = explainer
        .generate(attack_messages(Language::English), &settings)
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(first.text, second.text, "greedy decoding is deterministic");
}

#[test]
fn reusing_the_system_prompt_state_changes_no_answer() {
    let Some(path) = model_path() else { return };
    let load = || LlamaExplainer::load(LlamaSettings::new(&path).with_threads(1)).unwrap();
    let settings = GenerationSettings::default().with_max_tokens(48);
    let ask = |explainer: &LlamaExplainer, messages: Vec<ChatMessage>| {
        explainer
            .generate(messages, &settings)
            .unwrap()
            .wait()
            .unwrap()
    };
    let normal = verdict_messages(Verdict::from_probability(0.12, 0.5), Language::English);

    // One context answers an attack, then a normal verdict: the second reuses the system prefix.
    let warm = load();
    let first = ask(&warm, attack_messages(Language::English));
    assert_eq!(
        first.cached_prompt_tokens, 0,
        "a fresh context has nothing to reuse"
    );
    let reused = ask(&warm, normal.clone());
    assert!(
        reused.cached_prompt_tokens > 20 && reused.cached_prompt_tokens < reused.prompt_tokens,
        "{} of {} prompt tokens reused",
        reused.cached_prompt_tokens,
        reused.prompt_tokens
    );
    // Another system prompt (French) is evaluated in full.
    assert_eq!(
        ask(&warm, attack_messages(Language::French)).cached_prompt_tokens,
        0
    );

    // A fresh context evaluates the whole prompt and writes exactly the same answer.
    let fresh = ask(&load(), normal);
    assert_eq!(fresh.cached_prompt_tokens, 0);
    assert_eq!(fresh.prompt_tokens, reused.prompt_tokens);
    assert_eq!(fresh.text, reused.text);
}

#[test]
fn prompt_lookup_writes_the_answer_of_decoding_one_token_at_a_time() {
    let Some(explainer) = shared() else { return };
    let settings = GenerationSettings::default().with_max_tokens(128);
    for language in [Language::English, Language::French] {
        let answer = |settings: &GenerationSettings| {
            explainer
                .generate(attack_messages(language), settings)
                .unwrap()
                .wait()
                .unwrap()
        };
        let looked_up = answer(&settings);
        let plain = answer(&settings.clone().with_prompt_lookup(false));
        // Checking guesses in a batch rounds differently from one token at a time, which could
        // flip a near tie on another CPU; on these prompts the two agree exactly.
        assert_eq!(looked_up.text, plain.text, "{language:?}");
        assert_eq!(looked_up.generated_tokens, plain.generated_tokens);
        assert_eq!(looked_up.finish_reason, plain.finish_reason);
    }
}

#[test]
fn prompts_use_the_model_chat_template() {
    let Some(explainer) = shared() else { return };
    let prompt = explainer
        .format_prompt(&attack_messages(Language::English))
        .unwrap();
    // SmolLM2's GGUF carries a ChatML template.
    assert!(
        prompt.starts_with("<|im_start|>system\nYou are a network security analyst."),
        "{prompt}"
    );
    assert!(
        prompt.contains("<|im_end|>\n<|im_start|>user\nVerdict: ATTACK"),
        "{prompt}"
    );
    // The answer's opening follows the assistant's turn, for the model to continue.
    assert!(
        prompt.ends_with(
            "<|im_start|>assistant\nThe detector flags this window as an attack (probability 0.970)"
        ),
        "{prompt}"
    );
}

#[test]
fn token_budget_and_deadline_cut_generation_and_say_so() {
    let Some(explainer) = shared() else { return };
    let tiny = GenerationSettings::default().with_max_tokens(5);
    let cut = explainer
        .generate(attack_messages(Language::French), &tiny)
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(
        (cut.finish_reason, cut.generated_tokens),
        (FinishReason::MaxTokens, 5)
    );
    assert!(cut.finish_reason.is_cut());

    let hurried = GenerationSettings::default()
        .with_max_tokens(400)
        .with_deadline(Duration::from_millis(300));
    let cut = explainer
        .generate(attack_messages(Language::English), &hurried)
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(cut.finish_reason, FinishReason::Deadline);
    assert!(cut.generated_tokens < 400);
}

#[test]
fn streams_pieces_that_add_up_to_the_text() {
    let Some(explainer) = shared() else { return };
    let settings = GenerationSettings::default().with_max_tokens(24);
    let mut generation = explainer
        .generate(attack_messages(Language::English), &settings)
        .unwrap();
    let mut streamed = String::new();
    let mut pieces = 0;
    let done = loop {
        match generation
            .blocking_next_event()
            .expect("ends with Finished")
        {
            llm_explainer::Event::Text(piece) => {
                streamed.push_str(&piece);
                pieces += 1;
            }
            llm_explainer::Event::Finished(done) => break done,
            llm_explainer::Event::Failed(e) => panic!("{e}"),
        }
    };
    assert!(pieces > 1);
    // A loop cut back to its last sentence leaves what was already streamed.
    if done.finish_reason == FinishReason::Repetition {
        assert!(streamed.trim().starts_with(&done.text));
    } else {
        assert_eq!(streamed.trim(), done.text);
    }
}

#[test]
fn a_pool_of_one_with_a_queue_of_three_serves_four_and_refuses_a_fifth() {
    let Some(path) = model_path() else { return };
    let explainer = LlamaExplainer::load(
        LlamaSettings::new(path)
            .with_pool_size(1)
            .with_queue_size(3)
            .with_threads(1),
    )
    .unwrap();
    let settings = GenerationSettings::default().with_max_tokens(16);
    let generations: Vec<_> = (0..4)
        .map(|_| {
            explainer
                .generate(attack_messages(Language::English), &settings)
                .unwrap()
        })
        .collect();
    // Refused while all four still hold their places (the unit test of `Admission` shows
    // the refusal never waits).
    let fifth = explainer.generate(attack_messages(Language::English), &settings);
    assert!(
        matches!(
            fifth,
            Err(Error::Busy {
                in_flight: 4,
                pool: 1,
                queue: 3
            })
        ),
        "{fifth:?}"
    );
    for generation in generations {
        assert!(generation.wait().unwrap().generated_tokens > 0);
    }
    assert_eq!(explainer.load().in_flight, 0);

    // Dropping a generation cancels it and frees its place.
    let long = GenerationSettings::default()
        .with_max_tokens(1000)
        .with_deadline(Duration::from_secs(120));
    drop(
        explainer
            .generate(attack_messages(Language::English), &long)
            .unwrap(),
    );
    let next = explainer
        .generate(attack_messages(Language::English), &settings)
        .unwrap()
        .wait()
        .unwrap();
    // Cancelled, the long request gives its context up at its first token at the latest
    // (after its prompt, as long as `next`'s own prompt); kept, it would hold it for up to
    // 1000 tokens. Measured against `next` itself, so a slow machine slows both sides.
    assert!(
        next.timings.queue_ms < 3.0 * next.timings.time_to_first_token_ms + 500.0,
        "the cancelled request kept its context: {:?}",
        next.timings
    );
}

#[test]
fn missing_and_corrupt_models_give_clear_errors() {
    let missing = LlamaExplainer::load(LlamaSettings::new("/nonexistent/model.gguf"));
    assert!(matches!(missing, Err(Error::ModelNotFound(_))));
    let dir = std::env::temp_dir().join(format!("llm-explainer-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let corrupt = dir.join("corrupt.gguf");
    std::fs::write(&corrupt, b"GGUF\x03\x00\x00\x00 this is not a model").unwrap();
    let err = LlamaExplainer::load(LlamaSettings::new(&corrupt)).unwrap_err();
    assert!(matches!(err, Error::ModelLoad { .. }), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
