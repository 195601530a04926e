//! The answer without an LLM: a deterministic narrative built from the same evidence the
//! prompt carries. Sections follow the chip's focus topics; every number is formatted by
//! the same functions as the facts and cites them; next steps come from rules over the
//! evidence's signals. Shown offline, without a configured key, and when an LLM call fails.

use crate::base::format::{date_ranges, minutes, pct, thousands, usd};
use crate::base::vocab::{EntityType, Topic};
use crate::copilot::chips::{ChipTemplate, Cover, CoverSignal, WhatIf};
use crate::copilot::evidence::{Evidence, Signals};
use crate::copilot::markdown::escape_text as md;
use crate::report::display::report_value;
use crate::report::spec::Unit;
use crate::report::Value;

/// Heading of every offline answer, so no one mistakes it for model output.
pub const OFFLINE_LABEL: &str = "Offline answer (built from the evidence, no LLM)";

/// The narrative for a chip, in the Markdown subset the UI renders.
pub fn narrate(chip: &ChipTemplate, e: &Evidence) -> String {
    let mut out = format!("**{OFFLINE_LABEL}**\n\n**{} — {}**\n\n", chip.label, md(&e.label));
    if let Some(block) = what_if_block(e) {
        out.push_str(&block);
    }
    out.push_str(&opening(e));
    out.push_str("\n\n");
    let mut topics: Vec<Topic> = chip.focus.clone();
    for f in &e.facts {
        if !topics.contains(&f.topic) && f.topic != Topic::Selection && topics.len() < chip.focus.len() + 1 {
            topics.push(f.topic);
        }
    }
    let bullets: Vec<String> = topics.iter().filter_map(|t| section(*t, e)).collect();
    for b in &bullets {
        out.push_str(&format!("- {b}\n"));
    }
    let steps = next_steps(e);
    if !steps.is_empty() {
        out.push_str("\n**Next steps**\n\n");
        for (i, s) in steps.iter().enumerate() {
            out.push_str(&format!("{}. {s}\n", i + 1));
        }
    }
    if let Some(docs) = docs_section(e) {
        out.push_str(&docs);
    }
    let missing = missing_covers(chip, e, &out);
    if !missing.is_empty() {
        out.push_str("\n**What this chip always covers**\n\n");
        for line in missing {
            out.push_str(&format!("- {line}\n"));
        }
    }
    crate::copilot::citations::with_sources(out.trim_end(), &e.docs)
}

/// Sentences for what the chip declares an answer must cover and `text` does not yet.
fn missing_covers(chip: &ChipTemplate, e: &Evidence, text: &str) -> Vec<String> {
    let claims = crate::copilot::grounding::scan(text);
    chip.covers
        .iter()
        .filter(|c| crate::copilot::checks::covers(c, e, text, &claims) == Some(false))
        .filter_map(|c| cover_sentence(c, e))
        .collect()
}

/// One cited sentence that states what `cover` asks for.
fn cover_sentence(cover: &Cover, e: &Evidence) -> Option<String> {
    let s = &e.signals;
    let cite = match e.cite(cover.topic) {
        c if c.is_empty() => e.cite(Topic::Selection),
        c => c,
    };
    let pct_unit = |x: f64| report_value(&Value::Real(x), Unit::Pct);
    Some(match cover.signal? {
        CoverSignal::FailedRuns => match s.failed? {
            0 => format!("No run failed in the range {cite}."),
            n => format!("{} runs failed {cite}.", thousands(n.max(0) as u64)),
        },
        CoverSignal::FailureRate => format!("The failure rate was {} of finished runs {cite}.", pct(s.failure_rate_pct?)),
        CoverSignal::TopError => format!("The most frequent error was \"{}\" {cite}.", md(&s.top_errors.first()?.0)),
        CoverSignal::Evictions => match s.evictions? {
            0 => format!("No spot capacity was lost in the range {cite}."),
            n => format!("Spot capacity was lost {} times in the range {cite}.", thousands(n.max(0) as u64)),
        },
        CoverSignal::SpotShare => format!("Spot workers carried {} of its cost {}.", pct_unit(s.spot_pct?), e.cite(Topic::Selection)),
        CoverSignal::TotalCost => format!("It cost {} in the range {}.", usd(s.total_cost?), e.cite(Topic::Selection)),
        CoverSignal::SpendShare => format!("It carried {} of job spend {}.", pct_unit(s.share_pct?), e.cite(Topic::Selection)),
        CoverSignal::Runs => format!("It ran {} times {cite}.", thousands(s.runs?.max(0) as u64)),
        CoverSignal::PeakDay => format!("The most expensive day was {} {cite}.", s.peak_day.as_ref()?.0),
        CoverSignal::CostPerRun => format!("It costs {} per run {cite}.", usd(s.cost_per_run?)),
        CoverSignal::AnomalyCost | CoverSignal::ExpectedCost => {
            let (day, actual, expected, ..) = s.anomaly.as_ref()?;
            format!("On {day} it cost {} against an expected {} {}.", usd(*actual), usd(*expected), e.cite(Topic::Selection))
        }
        CoverSignal::TopEntity => format!("The largest contributor is {} {cite}.", md(&s.top_entities.first()?.0)),
        CoverSignal::MeanMinutes => format!("Successful runs averaged {} {cite}.", minutes(s.mean_minutes?)),
        CoverSignal::QueryError => format!("The most frequent query failure was \"{}\" {cite}.", md(&s.query_errors.first()?.0)),
    })
}

/// A What if chip's computed result, formula, inputs and assumptions, before anything else.
fn what_if_block(e: &Evidence) -> Option<String> {
    let cf = e.signals.what_if.as_ref()?;
    let mut facts = e.facts.iter().filter(|f| f.topic == Topic::WhatIf).map(|f| format!("[{}]", f.id));
    let (result, assumptions) = (facts.next()?, facts.next().unwrap_or_default());
    let listed: Vec<String> = cf.assumptions.iter().map(|a| format!("- {} {assumptions}", md(a))).collect();
    Some(format!(
        "**What if: {}** — {} {result}.\n\nFormula: {} {result}. Inputs: {} {result}.\n\nAssumptions:\n\n{}\n\n",
        md(&cf.title),
        md(&cf.result),
        md(&cf.formula),
        md(&cf.inputs),
        listed.join("\n")
    ))
}

/// How to act on a counterfactual that saves money: its setting, and how to check it.
fn what_if_step(e: &Evidence) -> Option<String> {
    let cf = e.signals.what_if.as_ref().filter(|cf| cf.saving > 0.0)?;
    let result = e.facts.iter().find(|f| f.topic == Topic::WhatIf).map(|f| format!("[{}]", f.id))?;
    let how = match cf.scenario {
        WhatIf::AutoTermination { .. } => {
            "set it (autotermination_minutes of a cluster, auto_stop_mins of a warehouse, or a compute policy that caps it)"
        }
        WhatIf::JobCompute { .. } => "move its scheduled statements into jobs on job compute, one notebook or SQL task at a time",
        WhatIf::RetryCap { .. } => "set max_retries on its tasks and retry only the errors that are transient",
    };
    Some(format!(
        "To realise the {} per 30 days of {}: {how}, then compare the next month's figures with this estimate {result}.",
        usd(cf.per_month),
        md(&cf.title)
    ))
}

/// What the documentation in the evidence says, quoted with its ids.
fn docs_section(e: &Evidence) -> Option<String> {
    if e.docs.is_empty() {
        return None;
    }
    let lines: Vec<String> = e.docs.iter().map(|d| format!("- {}: {} [{}]", d.title, d.text, d.id)).collect();
    Some(format!("\n**From the Databricks documentation**\n\n{}\n", lines.join("\n")))
}

/// The offline reply to a free-text follow-up. Documentation questions get the relevant
/// documentation sections quoted (they answer "what is / how does" on their own);
/// telemetry questions get the evidence a model would use, since only a language model
/// can reason over free text.
pub fn follow_up(question: &str, e: &Evidence) -> String {
    let question = question.trim();
    let mut out = format!("**{OFFLINE_LABEL}**\n\n");
    let route = e.routing.route;
    if route.wants_docs() {
        if e.docs.is_empty() {
            let why = if e.docs_source == crate::copilot::evidence::DOCS_NOT_LOADED {
                "The documentation corpus is not loaded, so".to_string()
            } else {
                "Nothing in the documentation corpus is relevant enough to this question, so".to_string()
            };
            out.push_str(&format!("{why} there is no documentation to quote for \"{}\".\n\n", md(question)));
        } else {
            out.push_str(&format!("From the Databricks documentation, for \"{}\":\n\n", md(question)));
            for d in &e.docs {
                out.push_str(&format!("**{}**\n\n{} [{}]\n\n", d.place(" — "), d.text, d.id));
            }
        }
    }
    if route.wants_telemetry() || !e.facts.is_empty() {
        let intro = if route.wants_docs() {
            format!("What the data says about {}:", md(&e.label))
        } else {
            format!(
                "Free-text questions need the LLM, which is not available, so this question is not answered here. The evidence about {} that a model would use for \"{}\":",
                md(&e.label),
                md(question)
            )
        };
        out.push_str(&intro);
        out.push_str("\n\n");
        for f in &e.facts {
            out.push_str(&format!("- {}: {} [{}]\n", md(&f.title), md(&f.text), f.id));
        }
        if route.wants_telemetry() {
            // The summaries describe the subgraph around its first node: cited as it.
            let cite = e.graph.nodes.first().map(|n| format!(" [{}]", n.ref_id)).unwrap_or_default();
            for line in e.graph.summaries.iter().take(5) {
                out.push_str(&format!("- {}{cite}\n", md(line)));
            }
        }
    }
    crate::copilot::citations::with_sources(out.trim_end(), &e.docs)
}

fn opening(e: &Evidence) -> String {
    let s = &e.signals;
    let t1 = e.cite(Topic::Selection);
    let range = format!("from {} to {}", e.filters.from, e.filters.to);
    if let Some((day, actual, expected, z, severity)) = &s.anomaly {
        return format!(
            "On {day}, {} cost {} against an expected {} (z {}, {severity}) {t1}.",
            md(s.subject.as_deref().unwrap_or(&e.label)),
            usd(*actual),
            usd(*expected),
            report_value(&Value::Real(*z), Unit::Zscore)
        );
    }
    if let Some(b) = &s.budget {
        let money = |x: f64| report_value(&Value::Real(x), Unit::Usd);
        let left = match b.days_left {
            0 => "on the month's last day".to_string(),
            1 => "with 1 day left".to_string(),
            n => format!("with {} days left", thousands(n.max(0) as u64)),
        };
        return format!(
            "Budget {} has {} spent of {} {left}; the forecast for the month is {} (up to {}): {} {t1}.",
            md(&e.label),
            money(b.spent),
            money(b.budget),
            money(b.forecast),
            money(b.forecast_high),
            b.status
        );
    }
    match (s.total_cost, s.share_pct) {
        (Some(cost), Some(share)) if e.entity_type == EntityType::TagValue => format!(
            "{} is charged {} {range}, {} of all spend {t1}.",
            md(&e.label),
            usd(cost),
            report_value(&Value::Real(share), Unit::Pct)
        ),
        (Some(cost), Some(share)) if e.entity_type == EntityType::ComputeType => {
            format!("{} cost {} {range}, {} of all spend {t1}.", md(&e.label), usd(cost), report_value(&Value::Real(share), Unit::Pct))
        }
        (Some(cost), Some(share)) => {
            format!("{} cost {} {range}, {} of job spend {t1}.", md(&e.label), usd(cost), report_value(&Value::Real(share), Unit::Pct))
        }
        (Some(cost), None) => format!("{} cost {} {range} {t1}.", md(&e.label), usd(cost)),
        _ => format!("The evidence covers {} {range} {t1}.", md(&e.label)),
    }
}

fn section(topic: Topic, e: &Evidence) -> Option<String> {
    let s: &Signals = &e.signals;
    let cite = e.cite(topic);
    if cite.is_empty() {
        return None;
    }
    let text = match topic {
        Topic::Selection | Topic::Mentions => return None,
        Topic::Runs => {
            let runs = s.runs?;
            let skipped = s.skipped.unwrap_or(0);
            let mut t = format!(
                "It ran {} times: {} failed and {} {} skipped {cite}.",
                thousands(runs as u64),
                thousands(s.failed.unwrap_or(0) as u64),
                thousands(skipped as u64),
                if skipped == 1 { "was" } else { "were" }
            );
            if let Some((days, day, n)) = &s.retry_days {
                t.push_str(&format!(
                    " On {} days it ran more than once (retries), up to {} runs on {day} {cite}.",
                    thousands(*days as u64),
                    thousands(*n as u64)
                ));
            }
            t
        }
        Topic::Failures => match (s.failed, s.top_errors.first()) {
            (Some(f), Some((err, n, first, last))) if f > 0 => {
                let rate = s.failure_rate_pct.map(|r| format!(" ({} of finished runs)", pct(r))).unwrap_or_default();
                let when = if first == last { format!("on {first}") } else { format!("from {first} to {last}") };
                format!(
                    "{} runs failed{rate}; the most frequent error, \"{}\", occurred {} times {when} {cite}.",
                    thousands(f as u64),
                    md(err),
                    thousands(*n as u64)
                )
            }
            (Some(0), _) => format!("No run failed in the range {cite}."),
            _ => format!("Failures: {} {cite}.", first_fact_text(e, topic)?),
        },
        Topic::Evictions => match s.evictions {
            Some(0) => format!("No spot capacity was lost in the range {cite}."),
            Some(n) if !s.eviction_days.is_empty() => {
                format!("Spot capacity was lost {} times, on {} {cite}.", thousands(n as u64), date_ranges(&s.eviction_days))
            }
            _ => format!("Spot evictions: {} {cite}.", first_fact_text(e, topic)?),
        },
        Topic::Runtime => match (&s.runtime_step, &s.runtime_slope) {
            (Some((day, before, after, change)), _) => format!(
                "Successful runs took {} on average before {day} and {} from {day} on ({change:+.1}%) {cite}.",
                minutes(*before),
                minutes(*after)
            ),
            (None, Some((slope, per_day))) => {
                format!("Run time grew steadily, {slope:+.2} min per day ({per_day:+.2}% of the mean per day) {cite}.")
            }
            _ => format!("Successful runs averaged {} with no step change or steady trend {cite}.", minutes(s.mean_minutes?)),
        },
        Topic::Cost => {
            let (day, cost) = s.peak_day.as_ref()?;
            let mut t = format!(
                "The most expensive day was {day} at {}, against {} on an average day {cite}.",
                usd(*cost),
                usd(s.mean_daily_cost?)
            );
            if let (Some(spot), EntityType::Job) = (s.spot_pct, e.entity_type) {
                t.push_str(&format!(
                    " Spot workers carried {} of its cost {}.",
                    report_value(&Value::Real(spot), Unit::Pct),
                    e.cite(Topic::Selection)
                ));
            }
            t
        }
        Topic::Changes => match &s.spot_change {
            Some((day, from, to)) => format!("On {day} the spot share of workers changed from {} to {} {cite}.", pct(*from), pct(*to)),
            None => format!("Changes: {} {cite}.", first_fact_text(e, topic)?),
        },
        Topic::Dependencies => {
            let mut parts: Vec<String> = s
                .upstream_failures
                .iter()
                .map(|(job, day, err, how)| {
                    let how = if how == "skipped" { "was skipped" } else { "failed" };
                    format!("its upstream job {} {how} on {day} (\"{}\")", md(job), md(err))
                })
                .collect();
            parts.extend(s.downstream_skips.iter().map(|(job, day)| format!("its downstream job {} was skipped on {day}", md(job))));
            if parts.is_empty() {
                format!("Dependencies: {} {cite}.", first_fact_text(e, topic)?)
            } else {
                format!("{} {cite}.", capitalize(&parts.join("; ")))
            }
        }
        Topic::Peers => match (s.cost_per_run, s.peer_cost_per_run) {
            (Some(mine), Some(peers)) => {
                format!("It costs {} per run against a median of {} for the other jobs {cite}.", usd(mine), usd(peers))
            }
            _ => return None,
        },
        Topic::TopEntities => {
            let listed: Vec<String> =
                s.top_entities.iter().take(3).map(|(n, c, share)| format!("{} at {} ({})", md(n), usd(*c), pct(*share))).collect();
            if listed.is_empty() {
                return None;
            }
            format!("The largest contributors are {} {cite}.", listed.join(", "))
        }
        Topic::Queries => match s.query_errors.first() {
            Some((err, n)) => format!("The most frequent query failure was \"{}\" ({} times) {cite}.", md(err), thousands(*n as u64)),
            None => format!("Queries: {} {cite}.", first_fact_text(e, topic)?),
        },
        Topic::Day => match (s.day_runs, s.typical_runs_per_day) {
            (Some((runs, failed)), Some(typical)) => format!(
                "That day it ran {} times ({} failed) against about {typical:.1} runs on a usual day {cite}.",
                thousands(runs as u64),
                thousands(failed as u64)
            ),
            _ => format!("That day: {} {cite}.", first_fact_text(e, topic)?),
        },
        Topic::History => {
            if s.other_anomaly_days.is_empty() {
                format!("It is the only anomaly of this entity in the range {cite}.")
            } else {
                format!("It was also flagged on {} {cite}.", date_ranges(&s.other_anomaly_days))
            }
        }
        // A computed counterfactual leads the answer (`what_if_block`).
        Topic::WhatIf if s.what_if.is_some() => return None,
        Topic::Baseline | Topic::Configuration | Topic::Utilization | Topic::WhatIf => {
            format!("{}: {} {cite}.", title_of(e, topic)?, first_fact_text(e, topic)?)
        }
    };
    Some(text)
}

fn first_fact_text(e: &Evidence, topic: Topic) -> Option<String> {
    e.facts.iter().find(|f| f.topic == topic).map(|f| f.text.trim_end_matches('.').to_string())
}

fn title_of(e: &Evidence, topic: Topic) -> Option<String> {
    e.facts.iter().find(|f| f.topic == topic).map(|f| f.title.clone())
}

fn capitalize(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Next steps chosen by rules over the signals, most urgent first, at most four.
fn next_steps(e: &Evidence) -> Vec<String> {
    let s = &e.signals;
    let mut steps: Vec<String> = Vec::new();
    let cite = |t: Topic| e.cite(t);
    if let Some(step) = what_if_step(e) {
        steps.push(step);
    }
    if let Some((err, ..)) = s.top_errors.first() {
        let lower = err.to_lowercase();
        // A spot loss is handled by the eviction step below.
        let spot_loss = (lower.contains("spot") || lower.contains("capacity")) && s.evictions.is_some_and(|n| n > 0);
        if (s.failure_rate_pct.is_some_and(|r| r > 10.0) || s.anomaly.is_some()) && !spot_loss {
            let action = if lower.contains("timeout") {
                "profile the slowest stage and the data volume it reads before raising any timeout"
            } else if lower.contains("connection") || lower.contains("ioexception") {
                "check the source system's availability and add a retry with backoff for this error"
            } else {
                "read the driver logs of the failed runs and fix the first error"
            };
            let source = if e.cite(Topic::Failures).is_empty() { cite(Topic::Day) } else { cite(Topic::Failures) };
            steps.push(format!("Fix the cause of \"{}\": {action} {source}.", md(err)));
        }
    }
    if let Some(b) = s.budget.as_ref().filter(|b| b.status != "on track") {
        let money = |x: f64| report_value(&Value::Real(x), Unit::Usd);
        let step = match b.allowed_daily {
            Some(allowed) if allowed > 0.0 => format!(
                "Keep the scope's daily spend at or below {} for the rest of the month to stay under the budget, starting with its largest spenders {}{}.",
                money(allowed),
                cite(Topic::Selection),
                cite(Topic::TopEntities)
            ),
            _ => format!(
                "The budget is spent: agree on a higher budget or stop non-essential work in its scope, starting with its largest spenders {}{}.",
                cite(Topic::Selection),
                cite(Topic::TopEntities)
            ),
        };
        steps.push(step);
    }
    if s.evictions.is_some_and(|n| n > 0) {
        steps.push(format!(
            "Protect the run from spot loss: keep the driver and the first workers on-demand (first_on_demand), or use spot with on-demand fallback, and alert on the eviction rate {}.",
            cite(Topic::Evictions)
        ));
    }
    if let Some((day, ..)) = &s.runtime_step {
        steps
            .push(format!("Review what changed around {day}: code, input data volume and cluster configuration {}.", cite(Topic::Runtime)));
    }
    if s.runtime_slope.is_some_and(|(slope, _)| slope > 0.0) {
        steps.push(format!(
            "Run time keeps growing: plan incremental processing or partition pruning before it outgrows its schedule {}.",
            cite(Topic::Runtime)
        ));
    }
    if let Some((job, ..)) = s.upstream_failures.first() {
        steps.push(format!(
            "Alert on failed or skipped runs of {} and make this job wait and retry instead of being skipped {}.",
            md(job),
            cite(Topic::Dependencies)
        ));
    }
    if let Some((days, ..)) = &s.retry_days {
        steps.push(format!(
            "Retries multiplied cost on {} days: cap the retries and retry only errors that are transient {}.",
            thousands(*days as u64),
            cite(Topic::Runs)
        ));
    }
    if let Some((err, _)) = s.query_errors.first() {
        steps.push(format!(
            "Set warehouse limits (timeouts, result size) and help the users behind \"{}\" rewrite their queries {}.",
            md(err),
            cite(Topic::Queries)
        ));
    }
    if s.anomaly.is_some() {
        steps.push(format!(
            "Alert when daily cost leaves its expected band, and check whether the cause above is still going on {}.",
            cite(Topic::Baseline)
        ));
    }
    if let (Some(busy), Some(tail)) = (s.busy_pct, s.idle_tail_minutes) {
        if busy < 50.0 {
            let setting = match s.auto_termination_mins {
                Some(m) if m > 0 => format!(" (now {})", minutes(m as f64)),
                _ => String::new(),
            };
            let monthly =
                s.idle_cost_per_month.map(|m| format!(" Idling costs {} a month {}.", usd(m), cite(Topic::Selection))).unwrap_or_default();
            steps.push(format!(
                "It was busy only {} of its up time and stayed up {} after its last statement: shorten its auto-termination{setting} to the pauses its users take between statements {}{}.{monthly}",
                pct(busy),
                minutes(tail),
                cite(Topic::Utilization),
                cite(Topic::Configuration)
            ));
        }
    }
    if s.share_pct.is_some_and(|x| x > 15.0) && e.entity_type == EntityType::Job {
        steps.push(format!("It is a cost hotspot: right-size its cluster and check its autoscaling first {}.", e.cite(Topic::Selection)));
    }
    if e.entity_type == EntityType::TagValue {
        if s.tag_spellings.len() > 1 {
            let spellings: Vec<String> = s.tag_spellings.iter().map(|t| format!("\"{}\"", md(t))).collect();
            steps.push(format!(
                "Agree one spelling for this value ({}) and fix it on the jobs, so the chargeback does not rest on normalisation {}.",
                spellings.join(", "),
                cite(Topic::Configuration)
            ));
        }
        if let Some(share) = s.untagged_share_pct.filter(|x| *x > 10.0) {
            steps.push(format!(
                "{} of all spend carries no value of the key: tag the jobs without it and move recurring work off shared clusters and warehouses onto tagged job compute {}.",
                pct(share),
                cite(Topic::Baseline)
            ));
        }
        if !cite(Topic::Changes).is_empty() {
            steps.push(format!("Review the value's weekly spend against the figures above every week {}.", cite(Topic::Changes)));
        }
    }
    if steps.is_empty() {
        steps.push(format!("Keep watching its daily cost and failure rate against the figures above {}.", e.cite(Topic::Selection)));
    }
    steps.truncate(4);
    steps
}
