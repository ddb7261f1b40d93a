//! What an analyst would check next, chosen from the kind of evidence a verdict rests on.
//!
//! Each rule reads the window or the attribution and, when it applies, says what to check and
//! why. The addresses and ports of the flows are not among the model's features, so the steps
//! point at the logs that hold them.

use flow_features::FeatureInfluence;

use crate::evidence::Evidence;
use crate::prompt::Language;
use crate::report::display_value;

/// A value counts as far above normal traffic beyond this multiple of the baseline's.
const FAR_ABOVE: f64 = 10.0;

/// A feature that pushed a normal verdict towards attack by this much is worth watching.
const WORTH_WATCHING: f32 = 0.05;

/// The steps for `evidence`, most specific first.
pub(crate) fn next_steps(evidence: &Evidence, language: Language) -> Vec<String> {
    let say = |en: String, fr: String| match language {
        Language::English => en,
        Language::French => fr,
    };
    if !evidence.verdict.is_attack() {
        let mut steps = vec![say(
            "No action is needed for this window.".into(),
            "Aucune action n'est nécessaire pour cette fenêtre.".into(),
        )];
        if let Some(f) = evidence
            .cited_features()
            .find(|f| f.delta >= WORTH_WATCHING)
        {
            steps.push(say(
                format!(
                    "If this host matters, watch {}: it pushed the probability towards attack \
                     by {:+.3}.",
                    f.feature, f.delta
                ),
                format!(
                    "Si cet hôte est sensible, surveillez {} : il a poussé la probabilité vers \
                     l'attaque de {:+.3}.",
                    f.feature, f.delta
                ),
            ));
        }
        return steps;
    }

    // The kind of attack the category head reads comes first: it decides where to look.
    let mut steps: Vec<String> = crate::category::next_step(&evidence.verdict, language)
        .into_iter()
        .collect();
    let flows = &evidence.flows;
    let one_way = flows.iter().filter(|f| f.dpkts == 0.0).count();
    if 2 * one_way >= flows.len() && !flows.is_empty() {
        steps.push(say(
            format!(
                "{one_way} of the {} flows got no packet back: check whether the source sends \
                 the same one-way flows to other hosts or ports (a scan or a flood) in your \
                 firewall or NetFlow logs.",
                flows.len()
            ),
            format!(
                "{one_way} des {} flux n'ont reçu aucun paquet en retour : vérifiez dans les \
                 journaux du pare-feu ou NetFlow si la source envoie les mêmes flux sans réponse \
                 à d'autres hôtes ou ports (un balayage ou une inondation).",
                flows.len()
            ),
        ));
    }
    let pushed: Vec<&FeatureInfluence> = evidence
        .cited_features()
        .filter(|f| f.delta > 0.0)
        .collect();
    let pushed_by = |names: &[&str]| pushed.iter().find(|f| names.contains(&f.feature)).copied();
    let uses = |services: &[&str]| flows.iter().any(|f| services.contains(&f.service.as_str()));
    if uses(&["ftp", "ftp-data"]) || pushed_by(&["is_ftp_login", "ct_ftp_cmd"]).is_some() {
        steps.push(say(
            "Review the FTP server's log for this session: the user, the commands, and failed \
             logins before it."
                .into(),
            "Examinez le journal du serveur FTP pour cette session : l'utilisateur, les \
             commandes, et les connexions échouées qui l'ont précédée."
                .into(),
        ));
    }
    if uses(&["http"])
        || pushed_by(&["trans_depth", "ct_flw_http_mthd", "response_body_len"]).is_some()
    {
        steps.push(say(
            "Review the web server or proxy log for this client's requests: methods, paths and \
             response sizes."
                .into(),
            "Examinez le journal du serveur web ou du proxy pour les requêtes de ce client : \
             méthodes, chemins et tailles des réponses."
                .into(),
        ));
    }
    if uses(&["dns"]) {
        steps.push(say(
            "Review the source's DNS queries: unusual names, their volume, and answers much \
             larger than the queries."
                .into(),
            "Examinez les requêtes DNS de la source : noms inhabituels, volume, et réponses bien \
             plus grosses que les requêtes."
                .into(),
        ));
    }
    if uses(&["smtp", "pop3"]) {
        steps.push(say(
            "Review the mail server's log for the messages of this session.".into(),
            "Examinez le journal du serveur de messagerie pour les messages de cette session."
                .into(),
        ));
    }
    if let Some(f) = pushed_by(&["ct_src_dport_ltm", "ct_dst_sport_ltm"]) {
        steps.push(say(
            format!(
                "{} is {} against {} in normal traffic: look for repeated attempts against one \
                 service (password guessing, probing) from this source.",
                f.feature,
                display_value(&f.last_value),
                display_value(&f.baseline_value)
            ),
            format!(
                "{} vaut {} contre {} dans le trafic normal : cherchez des tentatives répétées \
                 contre un même service (devinette de mots de passe, sondage) depuis cette source.",
                f.feature,
                display_value(&f.last_value),
                display_value(&f.baseline_value)
            ),
        ));
    }
    // A volume far above normal traffic, each way.
    let far_above =
        |f: &&&FeatureInfluence| match (f.last_value.as_f64(), f.baseline_value.as_f64()) {
            (Some(value), Some(baseline)) => value > FAR_ABOVE * baseline.max(1.0),
            _ => false,
        };
    let volumes: [(&[&str], &str, &str); 2] = [
        (
            &["sbytes", "sload", "smean", "spkts"],
            "Check what the source sent:",
            "Vérifiez ce que la source a envoyé :",
        ),
        (
            &["dbytes", "dload", "dmean", "dpkts", "response_body_len"],
            "Check what the destination returned:",
            "Vérifiez ce que la destination a renvoyé :",
        ),
    ];
    for (features, en, fr) in volumes {
        if let Some(f) = pushed
            .iter()
            .filter(far_above)
            .find(|f| features.contains(&f.feature))
        {
            let (value, baseline) = (
                display_value(&f.last_value),
                display_value(&f.baseline_value),
            );
            steps.push(say(
                format!(
                    "{en} {} is {value} against {baseline} in normal traffic.",
                    f.feature
                ),
                format!(
                    "{fr} {} vaut {value} contre {baseline} dans le trafic normal.",
                    f.feature
                ),
            ));
        }
    }
    steps.push(say(
        "Pull the packets or full flow records around this window (addresses and ports are not \
         among the model's features) and confirm with your IDS or firewall logs before acting."
            .into(),
        "Récupérez les paquets ou les enregistrements de flux complets autour de cette fenêtre \
         (adresses et ports ne font pas partie des attributs du modèle) et confirmez avec les \
         journaux de l'IDS ou du pare-feu avant d'agir."
            .into(),
    ));
    steps
}
