//! What the report, the prompt and the checks say about the detector's category head: its
//! reading in one sentence, the next step for that kind of attack, and which kind of attack a
//! text may name (only the one the detector reports).

use flow_features::{AttackCategory, Verdict};

use crate::prompt::Language;

/// The category the prompt and the summary report: the head's most likely one, unless it only
/// repeats a normal verdict (normal traffic at `1 − probability`).
pub(crate) fn reported(verdict: &Verdict) -> Option<&AttackCategory> {
    verdict
        .category
        .as_ref()
        .filter(|c| verdict.is_attack() || !c.is_normal())
}

/// The summary's sentence on the [`reported`] category. It names no other category than the
/// most likely one, and says when the head and the verdict disagree.
pub(crate) fn sentence(verdict: &Verdict, language: Language) -> Option<String> {
    let category = reported(verdict)?;
    let (name, p) = (&category.name, category.probability);
    Some(
        match (language, verdict.is_attack(), category.is_normal()) {
            (Language::English, true, false) => {
                format!("Its category head reads the flow as {name} (probability {p:.3}).")
            }
            (Language::English, true, true) => format!(
                "Its category head, a separate output, reads the flow as normal traffic \
             (probability {p:.3}): the two disagree, so the kind of attack is unknown."
            ),
            (Language::English, false, false) => format!(
                "Its category head, a separate output, reads the flow as {name} (probability \
             {p:.3}), against the verdict."
            ),
            (Language::French, true, false) => {
                format!("Sa tête de catégorie classe le flux en {name} (probabilité {p:.3}).")
            }
            (Language::French, true, true) => format!(
                "Sa tête de catégorie, une sortie distincte, classe le flux en trafic normal \
             (probabilité {p:.3}) : les deux divergent, le type d'attaque est donc inconnu."
            ),
            // Not reported (see `reported`).
            (_, false, true) => return None,
            (Language::French, false, false) => format!(
                "Sa tête de catégorie, une sortie distincte, classe le flux en {name} (probabilité \
             {p:.3}), contre le verdict."
            ),
        },
    )
}

/// The first next step of an attack verdict whose category head names a kind of attack: what
/// to check for that kind (UNSW-NB15's definitions of its categories).
pub(crate) fn next_step(verdict: &Verdict, language: Language) -> Option<String> {
    let category = verdict.category.as_ref()?;
    if !verdict.is_attack() {
        return None;
    }
    let (name, p) = (&category.name, category.probability);
    if category.is_normal() {
        return Some(match language {
            Language::English => format!(
                "The category head reads this flow as normal ({p:.3}) although the verdict is \
                 attack: do not assume a kind of attack; weigh the verdict on the evidence."
            ),
            Language::French => format!(
                "La tête de catégorie lit ce flux comme normal ({p:.3}) bien que le verdict \
                 soit une attaque : ne présumez pas du type d'attaque ; pesez le verdict sur \
                 les éléments ci-dessous."
            ),
        });
    }
    let advice = ADVICE
        .iter()
        .find(|(kind, _, _)| kind.eq_ignore_ascii_case(name))
        .map(|(_, en, fr)| match language {
            Language::English => *en,
            Language::French => *fr,
        });
    let hedge = p < 0.5;
    Some(match (language, advice) {
        (Language::English, Some(advice)) => format!(
            "The category head reads this as {name} ({p:.3}{}): {advice}",
            if hedge { ", a weak reading" } else { "" }
        ),
        (Language::English, None) => {
            format!("The category head reads this as {name} ({p:.3}).")
        }
        (Language::French, Some(advice)) => format!(
            "La tête de catégorie classe ce flux en {name} ({p:.3}{}) : {advice}",
            if hedge { ", une lecture faible" } else { "" }
        ),
        (Language::French, None) => {
            format!("La tête de catégorie classe ce flux en {name} ({p:.3}).")
        }
    })
}

/// What to check for each UNSW-NB15 category, in English and French.
const ADVICE: &[(&str, &str, &str)] = &[
    (
        "Exploits",
        "check the destination service's version against known vulnerabilities, and its logs \
         for crashes or unexpected processes around this flow.",
        "comparez la version du service de destination aux vulnérabilités connues, et cherchez \
         dans ses journaux des plantages ou processus inattendus autour de ce flux.",
    ),
    (
        "DoS",
        "check the destination's load and availability at this time, and how many flows and \
         sources target it.",
        "vérifiez la charge et la disponibilité de la destination à ce moment, et combien de \
         flux et de sources la visent.",
    ),
    (
        "Fuzzers",
        "check the destination service's logs for malformed requests, parser errors or \
         crashes.",
        "cherchez dans les journaux du service de destination des requêtes malformées, des \
         erreurs d'analyse ou des plantages.",
    ),
    (
        "Reconnaissance",
        "check whether the source probed other hosts or ports (firewall or NetFlow logs).",
        "vérifiez si la source a sondé d'autres hôtes ou ports (journaux du pare-feu ou \
         NetFlow).",
    ),
    (
        "Analysis",
        "check the source for port scans, spam or HTML file penetration attempts.",
        "cherchez depuis la source des balayages de ports, du spam ou des tentatives de \
         pénétration par fichiers HTML.",
    ),
    (
        "Backdoor",
        "check the destination for unknown listening services or accounts, and later \
         connections from the source.",
        "cherchez sur la destination des services à l'écoute ou des comptes inconnus, et des \
         connexions ultérieures depuis la source.",
    ),
    (
        "Shellcode",
        "check the payload (a full packet capture) for executable code, and the destination \
         for the process that received it.",
        "examinez la charge utile (capture complète des paquets) à la recherche de code \
         exécutable, et sur la destination le processus qui l'a reçue.",
    ),
    (
        "Worms",
        "check whether the destination starts the same traffic towards other hosts (spreading).",
        "vérifiez si la destination émet ensuite le même trafic vers d'autres hôtes \
         (propagation).",
    ),
    (
        "Generic",
        "UNSW-NB15 files attacks that work against any block cipher here: check the \
         cryptographic services involved and the volume of similar flows from the source.",
        "UNSW-NB15 range ici les attaques valables contre tout chiffrement par blocs : \
         vérifiez les services cryptographiques concernés et le volume de flux semblables \
         depuis la source.",
    ),
];

/// The words a text may use for the detector's most likely category (lower case): its name,
/// singular and plural, and the usual names of that kind. Empty when the head reads normal
/// traffic or the model has none.
pub(crate) fn permitted_kinds(verdict: &Verdict) -> Vec<String> {
    let Some(category) = verdict.category.as_ref().filter(|c| !c.is_normal()) else {
        return Vec::new();
    };
    let name = category.name.to_lowercase();
    let stem = name.strip_suffix('s').unwrap_or(&name).to_owned();
    let mut words = vec![name.clone(), stem.clone(), format!("{stem}s")];
    let aliases: &[&str] = match name.as_str() {
        "dos" => &["denial of service"],
        "fuzzers" => &["fuzzing"],
        "reconnaissance" => &["scan", "scanning", "port scan"],
        "exploits" => &["exploitation"],
        _ => &[],
    };
    words.extend(aliases.iter().map(|a| (*a).to_owned()));
    words
}

#[cfg(test)]
mod tests {
    use flow_features::AttackCategory;

    use super::*;

    fn verdict(probability: f32, names: &[&str], probabilities: &[f32]) -> Verdict {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        Verdict::from_probability(probability, 0.5).with_category(Some(
            AttackCategory::from_probabilities(&names, probabilities),
        ))
    }

    #[test]
    fn the_sentence_names_only_the_top_category_and_says_when_the_outputs_disagree() {
        let names = ["Normal", "Exploits", "DoS"];
        let agree = verdict(0.9, &names, &[0.1, 0.7, 0.2]);
        let text = sentence(&agree, Language::English).unwrap();
        assert_eq!(
            text,
            "Its category head reads the flow as Exploits (probability 0.700)."
        );
        assert!(!text.contains("DoS"));
        let disagree = verdict(0.9, &names, &[0.6, 0.3, 0.1]);
        let text = sentence(&disagree, Language::English).unwrap();
        assert!(
            text.contains("disagree") && !text.contains("Exploits"),
            "{text}"
        );
        assert!(
            next_step(&disagree, Language::English)
                .unwrap()
                .contains("do not assume")
        );
        assert!(sentence(&Verdict::from_probability(0.9, 0.5), Language::English).is_none());
        // A normal verdict's normal category says nothing the verdict does not.
        let normal = verdict(0.1, &names, &[0.8, 0.1, 0.1]);
        assert!(sentence(&normal, Language::English).is_none());
        let step = next_step(&agree, Language::French).unwrap();
        assert!(step.starts_with("La tête de catégorie classe ce flux en Exploits (0.700)"));
    }

    #[test]
    fn only_the_reported_kind_of_attack_is_permitted() {
        let dos = verdict(0.9, &["Normal", "DoS"], &[0.2, 0.8]);
        let words = permitted_kinds(&dos);
        assert!(words.contains(&"dos".to_owned()));
        assert!(words.contains(&"denial of service".to_owned()));
        assert!(!words.contains(&"exploit".to_owned()));
        let normal = verdict(0.9, &["Normal", "DoS"], &[0.8, 0.2]);
        assert!(permitted_kinds(&normal).is_empty());
        let exploits = verdict(0.9, &["Normal", "Exploits"], &[0.1, 0.9]);
        assert!(permitted_kinds(&exploits).contains(&"exploit".to_owned()));
    }
}
