//! The one trait every explainer backend implements.

use crate::admission::Load;
use crate::error::Result;
use crate::generation::Generation;
use crate::prompt::ChatMessage;
use crate::settings::GenerationSettings;

/// Something that writes a chat completion: a local GGUF model ([`LlamaExplainer`]) or an
/// OpenAI-compatible server ([`OpenAiExplainer`]).
///
/// [`LlamaExplainer`]: crate::LlamaExplainer
/// [`OpenAiExplainer`]: crate::OpenAiExplainer
pub trait Explainer: Send + Sync {
    /// Starts generating an answer to `messages`. Returns at once: [`Error::Busy`] when no
    /// capacity is left, otherwise a [`Generation`] to read (dropping it cancels the work).
    ///
    /// [`Error::Busy`]: crate::Error::Busy
    fn generate(
        &self,
        messages: Vec<ChatMessage>,
        settings: &GenerationSettings,
    ) -> Result<Generation>;

    /// Identifier of the model answering (file name or served model name).
    fn model_name(&self) -> &str;

    /// Requests admitted now and the limits (for queue-depth metrics and readiness).
    fn load(&self) -> Load;
}
