//! The planted scenarios: what happens to each job on each day of the seeded period.
//!
//! Days are offsets from the dataset's first day (day 0 = 2025-11-01 in the seeded DB), so
//! the scaled generator keeps the same shapes. Cascades (a downstream job skipped because
//! its upstream failed) are not listed here: they follow from `job_dependencies`.

/// How a job's runs go on one day, before randomness is applied.
#[derive(Clone, Debug, PartialEq)]
pub struct DayPlan {
    /// Multiplier on the job's base runtime (regressions, data growth).
    pub runtime_factor: f64,
    /// Spot share of the workers for that day's runs.
    pub spot_ratio: f64,
    /// `Some` when the first attempt fails.
    pub failure: Option<Failure>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub error: &'static str,
    pub duration: FailedDuration,
    pub eviction: Option<Eviction>,
}

/// How long a failed attempt ran.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FailedDuration {
    /// A share of the runtime a successful attempt would have had.
    ShareOfRuntime(f64),
    /// A fixed number of minutes (a timeout).
    Minutes(f64),
}

/// The spot reclaim that killed an attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct Eviction {
    pub reason: &'static str,
    pub provider_message: &'static str,
}

pub const FIN_DAILY_STORM_DAYS: std::ops::RangeInclusive<i64> = 34..=36; // Dec 5–7
pub const SUPPLY_RAW_OUTAGE_DAY: i64 = 14; // Nov 15
pub const ROUTE_OPT_EVICTION_DAYS: std::ops::RangeInclusive<i64> = 27..=29; // Nov 28–30
pub const ML_REGRESSION_FIRST_DAY: i64 = 30; // Dec 1

/// True on the days the ML-training job fails for lack of GPU spot capacity: every third
/// day of the regression, starting with its third day (Dec 3, 6, 9, 12, 15).
pub fn ml_gpu_failure_day(day: i64) -> bool {
    day >= ML_REGRESSION_FIRST_DAY && (day - ML_REGRESSION_FIRST_DAY) % 3 == 2
}

/// True on the days the legacy ETL times out: every fifth day from the first (Nov 1, 6, 11 …).
pub fn legacy_timeout_day(day: i64) -> bool {
    day % 5 == 0
}

/// The plan for a job (by the id of its template in the cast) on a day offset.
pub fn plan_for(template_id: &str, base_spot_ratio: f64, day: i64) -> DayPlan {
    let mut plan = DayPlan { runtime_factor: 1.0, spot_ratio: base_spot_ratio, failure: None };
    match template_id {
        "J-FIN-DAILY" if FIN_DAILY_STORM_DAYS.contains(&day) => {
            plan.failure = Some(Failure {
                error: "SpotInstanceTerminated: spot workers reclaimed during peak usage (spot price exceeded bid)",
                duration: FailedDuration::ShareOfRuntime(0.3),
                eviction: Some(Eviction {
                    reason: "PRICE_CHANGE",
                    provider_message: "Spot price exceeded the maximum bid price; instance reclaimed by EC2",
                }),
            });
        }
        "J-FIN-MONTHLY" if day == 0 => {
            plan.failure = Some(Failure {
                error: "Unexpected job failure: driver exited with code 1 while writing the revenue rollup",
                duration: FailedDuration::ShareOfRuntime(0.3),
                eviction: None,
            });
        }
        "J-SUPPLY-RAW" if day == SUPPLY_RAW_OUTAGE_DAY => {
            plan.failure = Some(Failure {
                error: "IOException: connection timeout to source database supply-erp-db",
                duration: FailedDuration::ShareOfRuntime(0.3),
                eviction: None,
            });
        }
        "J-ROUTE-OPT" if ROUTE_OPT_EVICTION_DAYS.contains(&day) => {
            plan.spot_ratio = 0.85;
            plan.failure = Some(Failure {
                error: "SpotInstanceTerminated: AWS EC2 capacity insufficient for r5.2xlarge spot workers",
                duration: FailedDuration::ShareOfRuntime(0.3),
                eviction: Some(Eviction {
                    reason: "CAPACITY_CHANGE",
                    provider_message:
                        "InsufficientInstanceCapacity: EC2 reclaimed the spot instance for lack of capacity in the availability zone",
                }),
            });
        }
        "J-ML-TRAINING" if day >= ML_REGRESSION_FIRST_DAY => {
            plan.runtime_factor = 1.4;
            plan.spot_ratio = 0.65;
            if ml_gpu_failure_day(day) {
                plan.failure = Some(Failure {
                    error: "SpotInstanceTerminated: Insufficient GPU capacity for g4dn.xlarge spot workers",
                    duration: FailedDuration::ShareOfRuntime(0.3),
                    eviction: Some(Eviction {
                        reason: "CAPACITY_CHANGE",
                        provider_message: "InsufficientInstanceCapacity: no g4dn.xlarge spot capacity left; instance reclaimed",
                    }),
                });
            }
        }
        "J-LEGACY-ETL" => {
            plan.runtime_factor = 1.0 + 0.01 * day as f64;
            if legacy_timeout_day(day) {
                plan.failure = Some(Failure {
                    error: "Query timeout after 3 hours in stage customer_merge",
                    duration: FailedDuration::Minutes(180.0),
                    eviction: None,
                });
            }
        }
        _ => {}
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_days_match_the_calendar() {
        let ml: Vec<i64> = (0..45).filter(|&d| ml_gpu_failure_day(d)).collect();
        assert_eq!(ml, vec![32, 35, 38, 41, 44]); // Dec 3, 6, 9, 12, 15
        let legacy: Vec<i64> = (0..45).filter(|&d| legacy_timeout_day(d)).collect();
        assert_eq!(legacy, vec![0, 5, 10, 15, 20, 25, 30, 35, 40]); // Nov 1 … Dec 11
    }

    #[test]
    fn quiet_days_have_no_failure() {
        assert_eq!(plan_for("J-HR-WEEKLY", 0.15, 14).failure, None);
        assert_eq!(plan_for("J-FIN-DAILY", 0.10, 33).failure, None);
        assert!(plan_for("J-FIN-DAILY", 0.10, 34).failure.is_some());
    }
}
