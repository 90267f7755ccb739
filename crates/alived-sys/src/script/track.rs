//! The `vrrp_script` result counter and its log lines (spec 2.5), pure: the driver feeds it
//! each [`Outcome`] from [`super::ScriptRunner::start_track`] and applies the weight when the
//! state changes.
//!
//! The counter runs from 0 to `rise + fall - 1`; the script is up when it is `>= rise`. It
//! starts at `rise - 1` (one success is enough, one failure fails) or at 0 with `init_fail`.
//! A success below `rise - 1` counts up, otherwise jumps to the top; a failure above `rise`
//! counts down, otherwise drops to 0. So `rise` consecutive successes bring a failed script
//! up and `fall` consecutive failures bring an up script down.
//!
//! Measured on keepalived 2.2.7: the state is unknown until the first result (no weight is
//! applied before it) and the first result is always logged; `Script \`%s\` now returning
//! %d` on each change of exit status (the status starts at 0; signals and timeouts do not
//! count); then `VRRP_Script(%s) succeeded`, `VRRP_Script(%s) failed (exited with status %d)`,
//! `VRRP_Script(%s) failed (due to signal %d)` or `VRRP_Script(%s) timed_out` on a change
//! of state.

use super::Outcome;

/// One `vrrp_script`'s running state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackScriptState {
    name: String,
    rise: u32,
    fall: u32,
    result: u32,
    state: Option<bool>,
    last_status: i32,
}

/// What one result changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrackUpdate {
    /// Log lines, in keepalived's order.
    pub messages: Vec<String>,
    /// The new state, when it changed (true = up).
    pub changed: Option<bool>,
}

impl TrackScriptState {
    /// `rise` and `fall` of 0 are taken as 1 (keepalived's minimum).
    pub fn new(name: &str, rise: u32, fall: u32, init_fail: bool) -> Self {
        let (rise, fall) = (rise.max(1), fall.max(1));
        TrackScriptState {
            name: name.to_owned(),
            rise,
            fall,
            result: if init_fail { 0 } else { rise - 1 },
            state: if init_fail { Some(false) } else { None },
            last_status: 0,
        }
    }

    /// Up (`Some(true)`), down, or not known yet (`None`: no result so far).
    pub fn state(&self) -> Option<bool> {
        self.state
    }

    /// Records one run.
    pub fn record(&mut self, outcome: &Outcome) -> TrackUpdate {
        let mut up = TrackUpdate::default();
        if let Outcome::Exited(code) = outcome
            && *code != self.last_status
        {
            self.last_status = *code;
            up.messages
                .push(format!("Script `{}` now returning {code}", self.name));
        }
        let top = self.rise + self.fall - 1;
        if outcome.success() {
            if self.result < self.rise - 1 {
                self.result += 1;
            } else {
                self.result = top;
            }
        } else if self.result > self.rise {
            self.result -= 1;
        } else {
            self.result = 0;
        }
        let ok = self.result >= self.rise;
        if self.state != Some(ok) {
            self.state = Some(ok);
            up.changed = Some(ok);
            let name = &self.name;
            up.messages.push(match outcome {
                _ if ok => format!("VRRP_Script({name}) succeeded"),
                Outcome::Exited(code) => {
                    format!("VRRP_Script({name}) failed (exited with status {code})")
                }
                Outcome::Signalled(sig) => {
                    format!("VRRP_Script({name}) failed (due to signal {sig})")
                }
                Outcome::TimedOut => format!("VRRP_Script({name}) timed_out"),
                Outcome::SpawnFailed(reason) => {
                    format!("VRRP_Script({name}) failed (could not be started: {reason})")
                }
            });
        }
        up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut TrackScriptState, outcomes: &[Outcome]) -> Vec<Option<bool>> {
        outcomes.iter().map(|o| s.record(o).changed).collect()
    }

    #[test]
    fn rise_and_fall() {
        let ok = Outcome::Exited(0);
        let bad = Outcome::Exited(1);
        let mut s = TrackScriptState::new("chk", 2, 3, false);
        assert_eq!(s.state(), None);
        // One success is enough at start.
        assert_eq!(run(&mut s, std::slice::from_ref(&ok)), vec![Some(true)]);
        // fall = 3: the third consecutive failure brings it down; a success resets.
        assert_eq!(
            run(
                &mut s,
                &[
                    bad.clone(),
                    ok.clone(),
                    bad.clone(),
                    bad.clone(),
                    bad.clone()
                ]
            ),
            vec![None, None, None, None, Some(false)]
        );
        // rise = 2 consecutive successes bring it up.
        assert_eq!(
            run(&mut s, &[ok.clone(), bad.clone(), ok.clone(), ok.clone()]),
            vec![None, None, None, Some(true)]
        );
    }

    #[test]
    fn init_fail_and_first_failure() {
        let mut s = TrackScriptState::new("chk0", 2, 3, true);
        assert_eq!(s.state(), Some(false));
        assert_eq!(
            run(&mut s, &[Outcome::Exited(0), Outcome::Exited(0)]),
            vec![None, Some(true)]
        );
        // Without init_fail the first failure is a (logged) change from "unknown".
        let mut s = TrackScriptState::new("sig", 1, 1, false);
        let u = s.record(&Outcome::Signalled(10));
        assert_eq!(u.changed, Some(false));
        assert_eq!(
            u.messages,
            vec!["VRRP_Script(sig) failed (due to signal 10)"]
        );
    }

    #[test]
    fn messages_as_keepalived_2_2_7_logs_them() {
        let mut s = TrackScriptState::new("chk", 1, 1, false);
        assert_eq!(
            s.record(&Outcome::Exited(0)).messages,
            vec!["VRRP_Script(chk) succeeded"]
        );
        assert_eq!(
            s.record(&Outcome::Exited(1)).messages,
            vec![
                "Script `chk` now returning 1".to_owned(),
                "VRRP_Script(chk) failed (exited with status 1)".to_owned()
            ]
        );
        assert_eq!(s.record(&Outcome::Exited(1)).messages, Vec::<String>::new());
        assert_eq!(
            s.record(&Outcome::Exited(2)).messages,
            vec!["Script `chk` now returning 2"]
        );
        assert_eq!(
            s.record(&Outcome::Exited(0)).messages,
            vec![
                "Script `chk` now returning 0".to_owned(),
                "VRRP_Script(chk) succeeded".to_owned()
            ]
        );
        assert_eq!(
            s.record(&Outcome::TimedOut).messages,
            vec!["VRRP_Script(chk) timed_out"]
        );
        assert_eq!(s.record(&Outcome::TimedOut).messages, Vec::<String>::new());
    }
}
