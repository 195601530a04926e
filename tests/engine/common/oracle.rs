//! An independent oracle for report figures: loads raw rows with plain `SELECT`s (no SQL
//! aggregation) and recomputes every figure in Rust.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;

pub struct Run {
    pub id: String,
    pub job_id: String,
    pub start_date: String,
    pub status: String,
    pub duration_ms: i64,
    pub spot_ratio: f64,
}

pub struct Usage {
    pub id: String,
    pub parent_id: String,
    pub parent_type: String,
    pub date: String,
    pub cost: f64,
}

pub struct Raw {
    pub jobs: BTreeMap<String, (String, String)>,    // id -> (name, workspace)
    pub compute: BTreeMap<String, (String, String)>, // id -> (name, workspace)
    pub runs: Vec<Run>,
    pub usage: Vec<Usage>,
    /// (compute_usage_id, event date) of SPOT_EVICTION events.
    pub evictions: Vec<(String, String)>,
}

impl Raw {
    pub fn load(conn: &Connection) -> Raw {
        let mut jobs = BTreeMap::new();
        let mut stmt = conn.prepare("SELECT job_id, job_name, workspace_id FROM jobs").unwrap();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))).unwrap() {
            let (id, name, ws) = row.unwrap();
            jobs.insert(id, (name, ws));
        }
        let mut compute = BTreeMap::new();
        let mut stmt = conn.prepare("SELECT compute_id, compute_name, workspace_id FROM non_job_compute").unwrap();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))).unwrap() {
            let (id, name, ws) = row.unwrap();
            compute.insert(id, (name, ws));
        }
        let mut stmt = conn.prepare("SELECT job_run_id, job_id, start_time, run_status, duration_ms, spot_ratio FROM job_runs").unwrap();
        let runs = stmt
            .query_map([], |r| {
                let start: String = r.get(2)?;
                Ok(Run {
                    id: r.get(0)?,
                    job_id: r.get(1)?,
                    start_date: start[..10].to_string(),
                    status: r.get(3)?,
                    duration_ms: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    spot_ratio: r.get::<_, Option<f64>>(5)?.unwrap_or(0.0),
                })
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut stmt = conn.prepare("SELECT compute_usage_id, parent_id, parent_type, usage_date, total_cost FROM compute_usage").unwrap();
        let usage = stmt
            .query_map([], |r| {
                Ok(Usage {
                    id: r.get(0)?,
                    parent_id: r.get(1)?,
                    parent_type: r.get(2)?,
                    date: r.get(3)?,
                    cost: r.get::<_, Option<f64>>(4)?.unwrap_or(0.0),
                })
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut stmt = conn.prepare("SELECT compute_usage_id, event_time FROM events WHERE event_type = 'SPOT_EVICTION'").unwrap();
        let evictions = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?[..10].to_string())))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        Raw { jobs, compute, runs, usage, evictions }
    }

    pub fn run(&self, id: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }

    fn in_scope(&self, job_id: &str, workspace: Option<&str>) -> bool {
        workspace.is_none_or(|w| self.jobs.get(job_id).is_some_and(|(_, ws)| ws == w))
    }

    /// Job cost figures, as the job_cost report defines them.
    pub fn job_costs(&self, from: &str, to: &str, workspace: Option<&str>) -> BTreeMap<String, JobFigures> {
        let mut out: BTreeMap<String, JobFigures> = BTreeMap::new();
        for u in self.usage.iter().filter(|u| u.parent_type == "JOB_RUN" && u.date.as_str() >= from && u.date.as_str() <= to) {
            let run = self.run(&u.parent_id).expect("usage of a known run");
            if !self.in_scope(&run.job_id, workspace) {
                continue;
            }
            let f = out.entry(run.job_id.clone()).or_default();
            f.cost += u.cost;
            f.spot_cost += u.cost * run.spot_ratio;
        }
        for r in self.runs.iter().filter(|r| r.start_date.as_str() >= from && r.start_date.as_str() <= to) {
            if !self.in_scope(&r.job_id, workspace) {
                continue;
            }
            let f = out.entry(r.job_id.clone()).or_default();
            f.runs += 1;
            match r.status.as_str() {
                "SUCCESS" => f.succeeded += 1,
                "FAILED" => f.failed += 1,
                "SKIPPED" => f.skipped += 1,
                _ => {}
            }
            if r.status == "SUCCESS" || r.status == "FAILED" {
                f.finished_minutes.push(r.duration_ms as f64 / 60_000.0);
            }
        }
        out
    }

    /// Spend per compute type per day (zero-filled over the days given).
    pub fn daily_by_type(&self, days: &[String], workspace: Option<&str>) -> BTreeMap<String, Vec<f64>> {
        let mut out: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for u in &self.usage {
            let Some(day) = days.iter().position(|d| *d == u.date) else { continue };
            let ws = if u.parent_type == "JOB_RUN" {
                self.run(&u.parent_id).and_then(|r| self.jobs.get(&r.job_id)).map(|j| j.1.clone())
            } else {
                self.compute.get(&u.parent_id).map(|c| c.1.clone())
            };
            if workspace.is_some_and(|w| ws.as_deref() != Some(w)) {
                continue;
            }
            out.entry(u.parent_type.clone()).or_insert_with(|| vec![0.0; days.len()])[day] += u.cost;
        }
        out
    }

    /// Evictions per job (events on the job's run usage dated in the range).
    pub fn evictions_by_job(&self, from: &str, to: &str) -> BTreeMap<String, Vec<(String, String)>> {
        let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (usage_id, date) in self.evictions.iter().filter(|(_, d)| d.as_str() >= from && d.as_str() <= to) {
            let usage = self.usage.iter().find(|u| &u.id == usage_id).expect("eviction on known usage");
            let run = self.run(&usage.parent_id).expect("usage of a run");
            out.entry(run.job_id.clone()).or_default().push((run.id.clone(), date.clone()));
        }
        out
    }

    /// Daily cost series per (kind, entity) over `days`, for entities with spend.
    pub fn daily_series(&self, days: &[String]) -> BTreeMap<(String, String), Vec<f64>> {
        let mut out: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
        for u in &self.usage {
            let Some(day) = days.iter().position(|d| *d == u.date) else { continue };
            let key = if u.parent_type == "JOB_RUN" {
                ("job".to_string(), self.run(&u.parent_id).unwrap().job_id.clone())
            } else {
                ("compute".to_string(), u.parent_id.clone())
            };
            out.entry(key).or_insert_with(|| vec![0.0; days.len()])[day] += u.cost;
        }
        out
    }
}

#[derive(Default, Debug)]
pub struct JobFigures {
    pub cost: f64,
    pub spot_cost: f64,
    pub runs: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub skipped: i64,
    pub finished_minutes: Vec<f64>,
}

impl JobFigures {
    pub fn finished(&self) -> i64 {
        self.succeeded + self.failed
    }
}

/// Days from `from` to `to` inclusive, as text.
pub fn days(from: &str, to: &str) -> Vec<String> {
    let (a, b) = (usage_copilot::base::calendar::Date::parse(from).unwrap(), usage_copilot::base::calendar::Date::parse(to).unwrap());
    a.through(b).map(|d| d.to_string()).collect()
}

/// Rounded to cents / two decimals, half away from zero.
pub fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub fn set<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    items.into_iter().collect()
}
