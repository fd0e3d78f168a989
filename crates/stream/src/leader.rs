//! One consumer per database: a session-level advisory lock held on a
//! dedicated connection.
//!
//! ```text
//!   ┌──────────── waiting ◄───────────────────────────────┐
//!   │  pg_try_advisory_lock fails: retry after a delay    │
//!   ▼                                                     │
//! acquire ── lock granted ──► leading ── lock connection ─┘
//!                               │        fails its check
//!                               └── shutdown: unlock, close
//! ```
//!
//! PostgreSQL releases a session-level lock when its connection ends, so a
//! replica that dies hands over to a waiting one without any timeout of ours.
//! The leader checks its lock connection periodically and stops consuming as
//! soon as a check fails. Between a lost connection and the next check,
//! another replica may already lead. So every batch transaction first checks
//! in `pg_locks` that the lock is still granted to the leader's backend, and
//! rolls back otherwise.

use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};

/// First key of the two-key advisory lock: "PHET" in ASCII, so that the lock
/// is recognizable in `pg_locks` and does not collide with single-key locks.
const LOCK_CLASS: i32 = 0x5048_4554;

/// Second key of the advisory lock: a 31-bit FNV-1a hash of the consumer name,
/// non-negative so that it reads the same in `pg_locks.objid` (an oid).
fn lock_key(consumer: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in consumer.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash & 0x7fff_ffff) as i32
}

/// The advisory lock of one consumer name, held by this process.
pub struct LeaderLock {
    conn: PgConnection,
    fence: LeaderFence,
}

/// Enough to check, from another connection, that the lock is still held.
#[derive(Debug, Clone, Copy)]
pub struct LeaderFence {
    backend_pid: i32,
    key: i32,
}

impl LeaderLock {
    /// Opens a dedicated connection with the pool's settings and tries the lock.
    /// Returns `None` when another session has it.
    pub async fn try_acquire(pool: &PgPool, consumer: &str) -> Result<Option<LeaderLock>, sqlx::Error> {
        let options = pool.connect_options();
        let mut conn = PgConnection::connect_with(&options).await?;
        let key = lock_key(consumer);
        let (acquired, backend_pid): (bool, i32) =
            sqlx::query_as("SELECT pg_try_advisory_lock($1, $2), pg_backend_pid()")
                .bind(LOCK_CLASS)
                .bind(key)
                .fetch_one(&mut conn)
                .await?;
        if !acquired {
            conn.close().await.ok();
            return Ok(None);
        }
        Ok(Some(LeaderLock {
            conn,
            fence: LeaderFence { backend_pid, key },
        }))
    }

    pub fn fence(&self) -> LeaderFence {
        self.fence
    }

    /// Checks that the lock connection still works, within `timeout`.
    pub async fn check(&mut self, timeout: Duration) -> Result<(), String> {
        match tokio::time::timeout(timeout, sqlx::query("SELECT 1").execute(&mut self.conn)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no answer within {timeout:?}")),
        }
    }

    /// Releases the lock and closes its connection.
    pub async fn release(mut self) {
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(LOCK_CLASS)
            .bind(self.fence.key)
            .execute(&mut self.conn)
            .await;
        if let Err(error) = unlocked {
            tracing::warn!(%error, "cannot release the leader lock; closing its connection releases it");
        }
        self.conn.close().await.ok();
    }
}

impl LeaderFence {
    /// Checks on `conn` (typically inside the batch transaction) whether the
    /// leader's backend still holds the lock.
    pub(crate) async fn is_held(&self, conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT EXISTS (
                 SELECT 1 FROM pg_locks
                 WHERE locktype = 'advisory' AND granted AND objsubid = 2
                   AND pid = $1 AND classid::bigint = $2 AND objid::bigint = $3)",
        )
        .bind(self.backend_pid)
        .bind(i64::from(LOCK_CLASS))
        .bind(i64::from(self.key))
        .fetch_one(conn)
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_key_is_stable_and_non_negative() {
        assert_eq!(lock_key("eventstreams"), lock_key("eventstreams"));
        assert_ne!(lock_key("eventstreams"), lock_key("eventstreams-test"));
        for name in ["", "a", "eventstreams", "ünïcode"] {
            assert!(lock_key(name) >= 0);
        }
    }
}
