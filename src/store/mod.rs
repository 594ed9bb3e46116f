//! SQL, written once for both engines through sqlx's `Any` driver (`$n` placeholders work on
//! SQLite and PostgreSQL alike). Functions take any executor so callers choose pool or transaction.

pub mod account_deletions;
mod decode;
pub mod dpop_proofs;
pub mod events;
pub mod ids;
pub mod keys;
pub mod refresh_tokens;
pub mod reset_links;
pub mod revocation_notices;
pub mod session_addresses;
pub mod sessions;
pub mod users;

pub use ids::{EventId, SessionId, TokenId, UserId};

/// `$first, $first+1, …` for `count` bound values: an `IN (…)` list of ids. Retention batches
/// bind at most a few hundred, far below either database's parameter limit.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs one retention batch: a `DELETE … LIMIT $2` statement whose `$1` is the cutoff.
async fn delete_batch<'c>(
    ex: impl sqlx::Executor<'c, Database = sqlx::Any>,
    sql: &'static str,
    cutoff: i64,
    limit: i64,
) -> sqlx::Result<u64> {
    sqlx::query(sql)
        .bind(cutoff)
        .bind(limit)
        .execute(ex)
        .await
        .map(|done| done.rows_affected())
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_from_the_first() {
        assert_eq!(super::placeholders(2, 3), "$2, $3, $4");
        assert_eq!(super::placeholders(1, 1), "$1");
    }
}
