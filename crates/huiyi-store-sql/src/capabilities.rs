//! What a backend's database can do about concurrent writers, as values the shared code matches
//! on. Each backend declares its own in `backend::CAPABILITIES`.

/// How the shared code must write to a backend for its results to stay exact under concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub writers: Writers,
    pub row_lock: RowLock,
    pub claim: Claim,
}

/// How many transactions may write at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writers {
    /// One at a time, commits in series (SQLite). Concurrent writes then gain nothing from
    /// separate transactions, so they are combined into one commit (see [`crate::combine`]).
    Single,
    /// Many at once (PostgreSQL), each committing on its own.
    Concurrent,
}

/// What a write transaction does to rows it reads and will change, so that two writers about
/// the same meeting take turns instead of both acting on what they read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLock {
    /// Nothing: no other writer can run meanwhile.
    None,
    /// `SELECT … FOR UPDATE`: held until the transaction ends.
    ForUpdate,
}

/// How a worker that several replicas may run at once takes the rows it will process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Every due row: the single writer sees no other claimant.
    Whole,
    /// `FOR UPDATE SKIP LOCKED`: rows another replica (or a transaction recording facts) holds
    /// are left for a later round, so replicas split the work instead of waiting on each other.
    SkipLocked,
}
