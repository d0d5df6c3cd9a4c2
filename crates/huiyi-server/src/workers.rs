//! Background work every replica runs.

use crate::app::AppState;
use huiyi_domain::Fact;
use huiyi_domain::session::EndReason;
use huiyi_domain::time::now_millis;
use huiyi_store::RecordedFact;
use std::time::Duration;
use tokio::sync::watch;

/// Closes sessions that everyone left more than the grace period ago. Every replica runs it;
/// the store makes each close happen once (on PostgreSQL, rows are claimed with
/// `FOR UPDATE SKIP LOCKED`). Checks four times per grace period, at most every 5 s.
pub async fn close_idle_sessions(app: AppState, mut stop: watch::Receiver<bool>) {
    let grace_ms =
        i64::try_from(app.config.session_grace_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
    let tick =
        Duration::from_millis(u64::try_from((grace_ms / 4).clamp(100, 5000)).unwrap_or(5000));
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(tick) => {}
        }
        let now = now_millis();
        match app
            .store
            .close_idle_sessions(now.saturating_sub(grace_ms), now)
            .await
        {
            Ok(closed) => {
                // Pages still connected (someone waiting to be admitted) hear of the close.
                let ended: Vec<RecordedFact> = closed
                    .iter()
                    .map(|s| RecordedFact {
                        session_id: s.id,
                        event_id: s.event_id,
                        occurrence: s.occurrence,
                        at_ms: s.closed_ms.unwrap_or(now),
                        fact: Fact::SessionEnded {
                            reason: EndReason::Grace,
                        },
                    })
                    .collect();
                app.sessions.hub().publish(&ended).await;
                for s in closed {
                    metrics::counter!("huiyi_sessions_closed_by_grace_total").increment(1);
                    tracing::info!(
                        event_id = s.event_id,
                        temp_conference_id = %s.temp_conference_id,
                        "session closed: everyone left and the grace period passed"
                    );
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "closing idle sessions failed; retrying next round")
            }
        }
    }
}
