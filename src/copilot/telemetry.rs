//! The telemetry index: one short document per entity of the usage database (jobs, runs
//! with errors, spot evictions, configuration and autoscaling events, failed queries,
//! compute, pools, users), searched with the same hybrid retrieval as the docs. A
//! free-text follow-up uses it to find the entities it names, and the evidence step
//! anchors graph traversal on them. Built natively by `copilot index` and in the browser
//! for whatever database is loaded (a few milliseconds for the seeded one).

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::base::vocab::{EntitySource, Mention, NAMED_SCORE};
use crate::copilot::graph::NodeKind;
use crate::retrieval::dense::Structure;
use crate::retrieval::embed::StaticModel;
use crate::retrieval::hybrid::{Floor, HybridIndex, Mode};

/// At most this many documents per kind of row (runs, evictions, events, queries): the most
/// recent ones, so a large database stays quick to index.
pub const MAX_DOCS_PER_KIND: usize = 2000;

/// A mention must match this well; names and ids are exact words, so the lexical floor
/// carries most of the weight.
pub const TELEMETRY_FLOOR: Floor = Floor { lexical: 0.45, similarity: 0.85, joint: (0.3, 0.75) };

/// One entity as text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntityDoc {
    pub kind: NodeKind,
    pub id: String,
    /// The entity's own name (jobs, compute, pools, users), matched whole in questions.
    pub name: String,
    pub label: String,
    pub text: String,
}

const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// A `YYYY-MM-DD` day with the words people use for it ("December 6 2025, Dec 6").
fn spoken(day: &str) -> String {
    match crate::base::calendar::Date::parse(day) {
        Some(d) => {
            let (y, m, dd) = d.ymd();
            let month = MONTHS[m as usize - 1];
            format!("{day} ({month} {dd} {y}, {} {dd})", &month[..3])
        }
        None => day.to_string(),
    }
}

/// Whether `needle` occurs in `haystack` as a whole word (not inside a longer identifier).
fn has_word(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let part = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + needle.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

/// How strongly a question names an entity: by id or full name, or by part of its name.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
enum Naming {
    Partly,
    Fully,
}

impl EntityDoc {
    /// Whether `question` (lowercased) names this entity: fully by id, by id without its
    /// one-letter prefix (`FIN-DAILY` or `fin daily` for `J-FIN-DAILY`) or by its full name;
    /// partly when it uses at least two of the name's words (`route optimizer` for
    /// "Logistics Route Optimizer"), each of four letters or more, exactly as written.
    fn named_in(&self, question: &str) -> Option<Naming> {
        let id = self.id.to_lowercase();
        let name = self.name.to_lowercase();
        let short = id.split_once('-').filter(|(p, rest)| p.len() == 1 && rest.len() >= 4).map(|(_, rest)| rest);
        if has_word(question, &id)
            || short.is_some_and(|s| has_word(question, s) || has_word(question, &s.replace('-', " ")))
            || (name.len() >= 6 && has_word(question, &name))
        {
            return Some(Naming::Fully);
        }
        let words: Vec<&str> = name.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 4).collect();
        let used = words.iter().filter(|w| has_word(question, w)).count();
        (words.len() >= 2 && used >= 2).then_some(Naming::Partly)
    }
}

#[derive(Serialize, Deserialize)]
pub struct TelemetryIndex {
    pub docs: Vec<EntityDoc>,
    index: HybridIndex,
}

fn rows<T>(
    conn: &Connection,
    sql: &str,
    limit: usize,
    map: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare(sql)?;
    let out = stmt.query_map([limit as i64], |r| map(r))?.collect();
    out
}

fn text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
}

/// The entity documents of a database, in a fixed order (kind, then the query's order).
pub fn entity_documents(conn: &Connection) -> rusqlite::Result<Vec<EntityDoc>> {
    let mut docs = Vec::new();
    docs.extend(rows(
        conn,
        "SELECT j.job_id, j.job_name, j.description, j.tags,
                (SELECT group_concat(u.job_name, ', ') FROM job_dependencies d JOIN jobs u ON u.job_id = d.depends_on_job_id WHERE d.job_id = j.job_id)
         FROM jobs j ORDER BY j.job_id LIMIT ?1",
        MAX_DOCS_PER_KIND,
        |r| {
            let (id, name) = (text(r, 0)?, text(r, 1)?);
            let tags = text(r, 3)?.replace(['[', ']', '"'], "").replace(',', ", ");
            let upstream = text(r, 4)?;
            let mut t = format!("Job {name} ({id}). {}", text(r, 2)?);
            if !tags.is_empty() {
                t.push_str(&format!(" Tags: {tags}."));
            }
            if !upstream.is_empty() {
                t.push_str(&format!(" Depends on {upstream}."));
            }
            Ok(EntityDoc { kind: NodeKind::Job, label: format!("job {name} ({id})"), id, name, text: t })
        },
    )?);
    docs.extend(rows(
        conn,
        "SELECT r.job_run_id, r.run_status, substr(r.start_time, 1, 10), r.error_summary, j.job_name, j.job_id
         FROM job_runs r JOIN jobs j ON j.job_id = r.job_id
         WHERE r.error_summary IS NOT NULL AND r.error_summary != ''
         ORDER BY r.start_time DESC, r.job_run_id LIMIT ?1",
        MAX_DOCS_PER_KIND,
        |r| {
            let (id, status, day, error, name, job) = (text(r, 0)?, text(r, 1)?, text(r, 2)?, text(r, 3)?, text(r, 4)?, text(r, 5)?);
            Ok(EntityDoc {
                kind: NodeKind::JobRun,
                label: format!("run {id} of {name} on {day} ({status})"),
                text: format!("Run {id} of job {name} ({job}) {status} on {}: {error}", spoken(&day)),
                id,
                name: String::new(),
            })
        },
    )?);
    docs.extend(rows(
        conn,
        "SELECT x.eviction_id, substr(x.eviction_time, 1, 10), x.eviction_reason, x.eviction_action, x.cloud_provider_message, x.cloud_instance_id,
                (SELECT j.job_name || ' (' || j.job_id || ')' FROM events e JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id
                   JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id JOIN jobs j ON j.job_id = r.job_id
                  WHERE e.eviction_id = x.eviction_id ORDER BY e.event_id LIMIT 1)
         FROM eviction_details x ORDER BY x.eviction_time DESC, x.eviction_id LIMIT ?1",
        MAX_DOCS_PER_KIND,
        |r| {
            let id = text(r, 0)?;
            let day = text(r, 1)?;
            let job = text(r, 6)?;
            let of = if job.is_empty() { String::new() } else { format!(" of job {job}") };
            Ok(EntityDoc {
                kind: NodeKind::Eviction,
                label: format!("spot eviction {id} on {day}"),
                text: format!("Spot eviction {id}{of} on {}: {} {}. {} Instance {}.", spoken(&day), text(r, 2)?, text(r, 3)?, text(r, 4)?, text(r, 5)?),
                id,
                name: String::new(),
            })
        },
    )?);
    docs.extend(rows(
        conn,
        "SELECT e.event_id, e.event_type, substr(e.event_time, 1, 10), e.details, COALESCE(us.name, ''),
                COALESCE(j.job_name, c.compute_name, '')
         FROM events e JOIN compute_usage u ON u.compute_usage_id = e.compute_usage_id
         LEFT JOIN job_runs r ON u.parent_type = 'JOB_RUN' AND r.job_run_id = u.parent_id
         LEFT JOIN jobs j ON j.job_id = r.job_id
         LEFT JOIN non_job_compute c ON u.parent_type != 'JOB_RUN' AND c.compute_id = u.parent_id
         LEFT JOIN users_lookup us ON us.user_id = e.user_id
         WHERE e.event_type IN ('CONFIG_CHANGE', 'AUTOSCALING')
         ORDER BY e.event_time DESC, e.event_id LIMIT ?1",
        MAX_DOCS_PER_KIND,
        |r| {
            let (id, kind, day, details, user, on) = (text(r, 0)?, text(r, 1)?, text(r, 2)?, text(r, 3)?, text(r, 4)?, text(r, 5)?);
            let kind_words = if kind == "CONFIG_CHANGE" { "Configuration change" } else { "Autoscaling event" };
            let by = if user.is_empty() { String::new() } else { format!(" by {user}") };
            Ok(EntityDoc {
                kind: NodeKind::Event,
                label: format!("{} {id} on {day} ({on})", kind_words.to_lowercase()),
                text: format!("{kind_words} {id} on {on} on {}{by}: {details}", spoken(&day)),
                id,
                name: String::new(),
            })
        },
    )?);
    docs.extend(rows(
        conn,
        "SELECT q.query_id, substr(q.start_time, 1, 10), q.error_message, substr(COALESCE(q.sql_text, ''), 1, 200), c.compute_name, COALESCE(us.name, q.user_id)
         FROM sql_query_history q LEFT JOIN non_job_compute c ON c.compute_id = q.parent_id LEFT JOIN users_lookup us ON us.user_id = q.user_id
         WHERE q.error_message IS NOT NULL AND q.error_message != ''
         ORDER BY q.start_time DESC, q.query_id LIMIT ?1",
        MAX_DOCS_PER_KIND,
        |r| {
            let (id, day, error, sql, warehouse, user) = (text(r, 0)?, text(r, 1)?, text(r, 2)?, text(r, 3)?, text(r, 4)?, text(r, 5)?);
            Ok(EntityDoc {
                kind: NodeKind::SqlQuery,
                label: format!("failed query {id} on {warehouse} ({day})"),
                text: format!("Failed SQL query {id} on warehouse {warehouse} by {user} on {}: {error}. {sql}", spoken(&day)),
                id,
                name: String::new(),
            })
        },
    )?);
    docs.extend(rows(
        conn,
        "SELECT compute_id, compute_name, compute_type FROM non_job_compute ORDER BY compute_id LIMIT ?1",
        MAX_DOCS_PER_KIND,
        |r| {
            let (id, name, kind) = (text(r, 0)?, text(r, 1)?, text(r, 2)?);
            let kind_words = if kind == "SQL_WAREHOUSE" { "SQL warehouse" } else { "All-purpose cluster" };
            Ok(EntityDoc {
                kind: NodeKind::Compute,
                label: format!("{} {name} ({id})", kind_words.to_lowercase()),
                text: format!("{kind_words} {name} ({id})."),
                id,
                name,
            })
        },
    )?);
    docs.extend(rows(
        conn,
        "SELECT instance_pool_id, pool_name, pool_instance_type, min_size, max_size FROM instance_pools ORDER BY instance_pool_id LIMIT ?1",
        MAX_DOCS_PER_KIND,
        |r| {
            let (id, name, instance) = (text(r, 0)?, text(r, 1)?, text(r, 2)?);
            let (min, max): (Option<i64>, Option<i64>) = (r.get(3)?, r.get(4)?);
            Ok(EntityDoc {
                kind: NodeKind::InstancePool,
                label: format!("instance pool {name} ({id})"),
                text: format!("Instance pool {name} ({id}) of {instance} instances, {} to {} idle.", min.unwrap_or(0), max.unwrap_or(0)),
                id,
                name,
            })
        },
    )?);
    docs.extend(rows(
        conn,
        "SELECT user_id, name, COALESCE(department, '') FROM users_lookup ORDER BY user_id LIMIT ?1",
        MAX_DOCS_PER_KIND,
        |r| {
            let (id, name, department) = (text(r, 0)?, text(r, 1)?, text(r, 2)?);
            Ok(EntityDoc {
                kind: NodeKind::User,
                label: format!("user {name}"),
                text: format!("User {name} ({id}), {department}."),
                id,
                name,
            })
        },
    )?);
    Ok(docs)
}

impl TelemetryIndex {
    /// Indexes `docs`; the dense side only when a model is given (attach one later with
    /// [`TelemetryIndex::attach_model`]).
    pub fn build(docs: Vec<EntityDoc>, model: Option<&StaticModel>) -> TelemetryIndex {
        let texts: Vec<String> = docs.iter().map(|d| d.text.clone()).collect();
        TelemetryIndex { index: HybridIndex::build(&texts, &texts, model, Structure::Exact), docs }
    }

    pub fn from_db(conn: &Connection, model: Option<&StaticModel>) -> rusqlite::Result<TelemetryIndex> {
        Ok(TelemetryIndex::build(entity_documents(conn)?, model))
    }

    pub fn attach_model(&mut self, model: &StaticModel) {
        if !self.index.dense_ready_for(model) {
            let texts: Vec<String> = self.docs.iter().map(|d| d.text.clone()).collect();
            self.index.attach_model(&texts, model);
        }
    }

    pub fn dense_ready_for(&self, model: &StaticModel) -> bool {
        self.index.dense_ready_for(model)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("an index always serialises")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<TelemetryIndex, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("the telemetry index file is damaged ({e})"))
    }

    /// The entities `question` is about, best first: those it names by id or full name
    /// (score 1), those it names partly (0.9), then retrieval hits above the floor (their
    /// fused score). Ties keep index order.
    pub fn search(&self, question: &str, k: usize, model: Option<&StaticModel>) -> Vec<(&EntityDoc, f64)> {
        let lower = question.to_lowercase();
        let mut out: Vec<(usize, f64)> = Vec::new();
        for wanted in [Naming::Fully, Naming::Partly] {
            let score = if wanted == Naming::Fully { 1.0 } else { NAMED_SCORE };
            out.extend(self.docs.iter().enumerate().filter(|(_, d)| d.named_in(&lower) == Some(wanted)).map(|(i, _)| (i, score)));
        }
        out.truncate(k);
        for h in self.index.search(question, model, Mode::Hybrid) {
            if out.len() >= k {
                break;
            }
            if h.passes(&TELEMETRY_FLOOR) && !out.iter().any(|(i, _)| *i == h.doc as usize) {
                out.push((h.doc as usize, h.score));
            }
        }
        out.into_iter().map(|(i, score)| (&self.docs[i], score)).collect()
    }
}

/// The telemetry index (and the model when loaded) as the evidence step's entity finder.
pub struct TelemetryRetriever<'a> {
    pub index: &'a TelemetryIndex,
    pub model: Option<&'a StaticModel>,
}

impl EntitySource for TelemetryRetriever<'_> {
    fn find(&self, question: &str, k: usize) -> Vec<Mention> {
        self.index
            .search(question, k, self.model)
            .into_iter()
            .map(|(d, score)| Mention { kind: d.kind, id: d.id.clone(), label: d.label.clone(), score })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dates_become_searchable_words() {
        assert_eq!(spoken("2025-12-06"), "2025-12-06 (December 6 2025, Dec 6)");
        assert!(has_word("why did fin-daily fail?", "fin-daily"));
        assert!(!has_word("why did fin-daily-2 fail?", "fin-daily"));
        let job = EntityDoc {
            kind: NodeKind::Job,
            id: "J-FIN-DAILY".into(),
            name: "Daily Financial Aggregation".into(),
            label: String::new(),
            text: String::new(),
        };
        assert_eq!(job.named_in("why did fin-daily fail"), Some(Naming::Fully));
        assert_eq!(job.named_in("why did fin daily fail"), Some(Naming::Fully));
        assert_eq!(job.named_in("is daily financial aggregation late?"), Some(Naming::Fully));
        assert_eq!(job.named_in("is the financial aggregation late?"), Some(Naming::Partly));
        assert_eq!(job.named_in("how are daily finances"), None);
    }
}
