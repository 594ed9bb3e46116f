//! Which database errors mean "the database cannot serve us right now" (unreachable, shutting
//! down, out of disk, read-only) rather than a bug. They become 503 `database_unavailable`: the
//! client retries later and keeps its session. Everything else stays a 500.

use sqlx::error::DatabaseError;
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    Unreachable,
    ShuttingDown,
    Busy,
    DiskFull,
    ReadOnly,
    StorageFailure,
}

impl Unavailable {
    pub fn of(err: &sqlx::Error) -> Option<Self> {
        match err {
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) => Some(Self::Unreachable),
            sqlx::Error::PoolTimedOut => Some(Self::Busy),
            sqlx::Error::PoolClosed => Some(Self::ShuttingDown),
            sqlx::Error::WorkerCrashed => Some(Self::StorageFailure),
            sqlx::Error::Database(db) => of_database_error(db.as_ref()),
            _ => None,
        }
    }

    /// For the operator's log line: what to look at.
    pub fn explanation(self) -> &'static str {
        match self {
            Self::Unreachable => "the database cannot be reached",
            Self::ShuttingDown => "the database is shutting down or starting up",
            Self::Busy => {
                "no database connection became free in time (the database is unreachable, \
                 overloaded or locked)"
            }
            Self::DiskFull => "the disk holding the database is full",
            Self::ReadOnly => {
                "the database cannot be written (read-only file, file system or replica)"
            }
            Self::StorageFailure => {
                "the database's storage failed with an I/O error (a file made read-only or \
                 immutable, a failing or removed disk)"
            }
        }
    }
}

fn of_database_error(err: &(dyn DatabaseError + 'static)) -> Option<Unavailable> {
    if let Some(sqlite) = err.try_downcast_ref::<SqliteError>() {
        let code: i32 = sqlite.code()?.parse().ok()?;
        return of_sqlite_code(code);
    }
    let postgres = err.try_downcast_ref::<PgDatabaseError>()?;
    of_sqlstate(postgres.code())
}

/// <https://www.sqlite.org/rescode.html>: the low byte of an extended code is the primary code.
fn of_sqlite_code(extended: i32) -> Option<Unavailable> {
    match extended & 0xff {
        5 | 6 => Some(Unavailable::Busy), // SQLITE_BUSY, SQLITE_LOCKED
        8 => Some(Unavailable::ReadOnly), // SQLITE_READONLY
        10 | 14 => Some(Unavailable::StorageFailure), // SQLITE_IOERR, SQLITE_CANTOPEN
        13 => Some(Unavailable::DiskFull), // SQLITE_FULL
        _ => None,
    }
}

/// <https://www.postgresql.org/docs/current/errcodes-appendix.html>
fn of_sqlstate(code: &str) -> Option<Unavailable> {
    match code {
        "53100" => Some(Unavailable::DiskFull),
        "25006" => Some(Unavailable::ReadOnly),
        "58030" => Some(Unavailable::StorageFailure),
        "57P01" | "57P02" | "57P03" => Some(Unavailable::ShuttingDown),
        _ if code.starts_with("08") => Some(Unavailable::Unreachable),
        _ if code.starts_with("53") => Some(Unavailable::Busy),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_extended_codes_are_read_by_their_primary_code() {
        assert_eq!(of_sqlite_code(13), Some(Unavailable::DiskFull));
        assert_eq!(of_sqlite_code(778), Some(Unavailable::StorageFailure)); // IOERR_WRITE
        assert_eq!(of_sqlite_code(1032), Some(Unavailable::ReadOnly)); // READONLY_DBMOVED
        assert_eq!(of_sqlite_code(5), Some(Unavailable::Busy));
        assert_eq!(of_sqlite_code(2067), None); // CONSTRAINT_UNIQUE: a bug or a race, not an outage
        assert_eq!(of_sqlite_code(1), None);
    }

    #[test]
    fn postgres_outages_are_told_apart_from_errors_in_our_queries() {
        assert_eq!(of_sqlstate("57P01"), Some(Unavailable::ShuttingDown));
        assert_eq!(of_sqlstate("08006"), Some(Unavailable::Unreachable));
        assert_eq!(of_sqlstate("53300"), Some(Unavailable::Busy));
        assert_eq!(of_sqlstate("53100"), Some(Unavailable::DiskFull));
        assert_eq!(of_sqlstate("25006"), Some(Unavailable::ReadOnly));
        assert_eq!(of_sqlstate("23505"), None); // unique violation
        assert_eq!(of_sqlstate("42601"), None); // syntax error
    }

    #[test]
    fn transport_failures_are_outages() {
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(Unavailable::of(&io), Some(Unavailable::Unreachable));
        assert_eq!(
            Unavailable::of(&sqlx::Error::PoolTimedOut),
            Some(Unavailable::Busy)
        );
        assert_eq!(Unavailable::of(&sqlx::Error::RowNotFound), None);
    }
}
