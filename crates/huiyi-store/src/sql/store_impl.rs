//! The body of `impl Store` that SQLite and PostgreSQL share.
//!
//! It is a macro rather than generic code because code generic over a sqlx database needs a
//! higher-ranked bound per executor and bound type, and its futures then often fail to prove
//! `Send` for `async_trait`. Every statement it runs is in [`super::queries`] or built by
//! [`super::batch`], so the macro holds only the sequence of calls.

/// Writes `impl Store for $store` over a sqlx database `$db`.
///
/// `$store` provides, as inherent methods:
/// - `fn reader(&self) -> &sqlx::Pool<$db>`: the pool reads use;
/// - `fn writer(&self) -> &sqlx::Pool<$db>`: the pool single-statement writes use;
/// - `async fn begin_write(&self) -> Result<sqlx::Transaction<'static, $db>, sqlx::Error>`:
///   a transaction that already holds whatever write lock the backend needs;
/// - `fn combiner(&self) -> Option<&Combiner>`: for a single-writer backend, the group commit
///   that concurrent bookings share; `None` writes each booking in its own transaction;
/// - `fn fact_combiner(&self) -> Option<&FactCombiner>`: the same for batches of facts;
/// - `fn lock_rows(&self) -> &'static str`: appended to reads of rows a write transaction will
///   change: `" FOR UPDATE"` where writers run concurrently, `""` for a single writer.
#[macro_export]
macro_rules! impl_sql_store {
    ($store:ty, $db:ty, $backend:literal) => {
        const _: () = {
            use std::collections::HashMap;
            use $crate::sql::alloc::{self, BatchPlan};
            use $crate::sql::private::huiyi_domain::SessionState;
            use $crate::sql::private::huiyi_domain::secrets::KeyHash;
            use $crate::sql::private::huiyi_domain::{
                Booking, ConferenceId, Credential, Customer, CustomerKey, EventId, NewBooking,
                User, UserId,
            };
            use $crate::sql::private::huiyi_domain::{
                JoinToken, JoinTokenKind, LinkRole, NewJoinToken,
            };
            use $crate::sql::private::sqlx;
            use $crate::sql::rows::{
                self, BookingRow, CredentialRow, CustomerRow, PasscodeOwnerRow, UserRow,
            };
            use $crate::sql::{TxError, batch, db_error, queries as q, tokens as tk};
            use $crate::{
                ImportData, ImportSummary, ParticipantState, PasscodeOwner, Store, StoreError,
                StoreResult, StoredFact, Window,
            };

            type Conn = <$db as sqlx::Database>::Connection;

            $crate::sql_sessions!($store, $db);

            /// Plans a batch, checks its values against the database and inserts it.
            async fn insert_batch<'n>(
                conn: &mut Conn,
                news: &'n [NewBooking],
            ) -> Result<BatchPlan<'n>, TxError> {
                let hosts = alloc::fixed_hosts(news);
                let stored = if hosts.is_empty() {
                    HashMap::new()
                } else {
                    let mut qb = batch::host_pairs_query::<$db>(&hosts);
                    alloc::host_pairs(qb.build_query_as().fetch_all(&mut *conn).await?)?
                };
                let mut plan = BatchPlan::new(news, stored);
                let mut check = plan.candidates();
                for round in 0.. {
                    let queries = batch::taken_queries::<$db>(&check);
                    if queries.is_empty() {
                        break;
                    }
                    if round == alloc::CHECK_ROUNDS {
                        return Err(TxError::Store(StoreError::Exhausted));
                    }
                    let mut taken: Vec<(i64, String)> = Vec::new();
                    for mut qb in queries {
                        taken.extend(
                            qb.build_query_as::<(i64, String)>()
                                .fetch_all(&mut *conn)
                                .await?,
                        );
                    }
                    check = plan.replace_taken(taken);
                }
                let mut returned = Vec::with_capacity(news.len());
                for chunk in plan.bookings.chunks(batch::ROWS_PER_STATEMENT) {
                    let mut qb = batch::insert_bookings_query::<$db>(&plan, chunk)?;
                    returned.extend(
                        qb.build_query_as::<(i64, String)>()
                            .fetch_all(&mut *conn)
                            .await?,
                    );
                }
                plan.record_event_ids(returned)?;
                let passcodes = plan.passcode_rows()?;
                for chunk in passcodes.chunks(batch::ROWS_PER_STATEMENT) {
                    batch::insert_passcodes_query::<$db>(chunk)
                        .build()
                        .execute(&mut *conn)
                        .await?;
                }
                let links = plan.link_rows()?;
                for chunk in links.chunks(batch::ROWS_PER_STATEMENT * 3) {
                    batch::insert_links_query::<$db>(chunk)
                        .build()
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(plan)
            }

            /// One transaction per attempt; a collision throws the attempt away and draws anew.
            async fn write_batch<'n>(
                store: &$store,
                news: &'n [NewBooking],
            ) -> StoreResult<BatchPlan<'n>> {
                for attempt in 1..=$crate::sql::ATTEMPTS {
                    let mut tx = store.begin_write().await.map_err(db_error)?;
                    match insert_batch(&mut tx, news).await {
                        Ok(plan) => {
                            tx.commit().await.map_err(db_error)?;
                            return Ok(plan);
                        }
                        Err(TxError::Collision) => {
                            $crate::sql::private::tracing::debug!(
                                attempt,
                                "id collision while storing bookings; retrying"
                            );
                            tx.rollback().await.map_err(db_error)?;
                        }
                        Err(TxError::Store(e)) => return Err(e),
                    }
                }
                Err(StoreError::Exhausted)
            }

            async fn store_one(store: &$store, new: &NewBooking) -> StoreResult<Booking> {
                let plan = write_batch(store, std::slice::from_ref(new)).await?;
                plan.into_bookings()?
                    .pop()
                    .ok_or_else(|| StoreError::Database("stored booking went missing".into()))
            }

            /// One transaction for all; if it fails for a reason of one booking (a host that
            /// does not exist, say), each is stored alone so the others still succeed.
            async fn store_together(
                store: &$store,
                news: Vec<NewBooking>,
            ) -> Vec<StoreResult<Booking>> {
                let together = match write_batch(store, &news).await {
                    Ok(plan) => plan.into_bookings(),
                    Err(e) => Err(e),
                };
                match together {
                    Ok(bookings) if bookings.len() == news.len() => {
                        bookings.into_iter().map(Ok).collect()
                    }
                    Ok(_) | Err(_) if news.len() > 1 => {
                        let mut out = Vec::with_capacity(news.len());
                        for n in &news {
                            out.push(store_one(store, n).await);
                        }
                        out
                    }
                    Ok(_) => vec![Err(StoreError::Database(
                        "stored booking went missing".into(),
                    ))],
                    Err(e) => vec![Err(e)],
                }
            }

            /// A customer's key by code, remembering what it has looked up.
            async fn customer_key(
                conn: &mut Conn,
                known: &mut HashMap<String, i64>,
                code: &str,
            ) -> StoreResult<Option<i64>> {
                if let Some(key) = known.get(code) {
                    return Ok(Some(*key));
                }
                let key: Option<i64> = sqlx::query_scalar(q::CUSTOMER_KEY)
                    .bind(code)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_error)?;
                if let Some(key) = key {
                    known.insert(code.to_owned(), key);
                }
                Ok(key)
            }

            async fn import_into(
                conn: &mut Conn,
                data: &ImportData,
                now: i64,
            ) -> StoreResult<ImportSummary> {
                use $crate::sql::{flag, unknown_customer};
                let mut known = HashMap::new();
                for c in &data.customers {
                    let key: i64 = sqlx::query_scalar(q::UPSERT_CUSTOMER)
                        .bind(&c.customer_code)
                        .bind(&c.name)
                        .bind(&c.timezone)
                        .bind(c.advance_hours)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(db_error)?;
                    known.insert(c.customer_code.clone(), key);
                }
                for (i, u) in data.users.iter().enumerate() {
                    let entry = format!("users[{i}] ({})", u.user_id);
                    let Some(customer) = customer_key(conn, &mut known, &u.customer_code).await?
                    else {
                        return Err(unknown_customer(&entry, &u.customer_code));
                    };
                    let stored: Option<i64> = sqlx::query_scalar(q::UPSERT_USER)
                        .bind(u.user_id)
                        .bind(customer)
                        .bind(&u.email)
                        .bind(&u.name)
                        .bind(&u.mobile)
                        .bind(flag(u.admin))
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db_error)?;
                    if stored.is_none() {
                        return Err(StoreError::Invalid(format!(
                            "{entry}: userId already belongs to another customer"
                        )));
                    }
                }
                for (i, c) in data.credentials.iter().enumerate() {
                    let entry = format!("credentials[{i}]");
                    let Some(customer) = customer_key(conn, &mut known, &c.customer_code).await?
                    else {
                        return Err(unknown_customer(&entry, &c.customer_code));
                    };
                    let stored: Option<String> = sqlx::query_scalar(q::UPSERT_CREDENTIAL)
                        .bind(KeyHash::of(&c.key).as_str())
                        .bind(customer)
                        .bind(flag(c.admin))
                        .bind(now)
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db_error)?;
                    if stored.is_none() {
                        return Err(StoreError::Invalid(format!(
                            "{entry}: this key is already registered to another customer"
                        )));
                    }
                }
                Ok(ImportSummary {
                    customers: data.customers.len() as u64,
                    users: data.users.len() as u64,
                    credentials: data.credentials.len() as u64,
                })
            }

            /// After an update matched no row: tell a missing booking from a changed one.
            async fn why_unchanged(store: &$store, b: &Booking) -> StoreError {
                match store.booking_by_event(b.customer, b.event_id).await {
                    Ok(None) => StoreError::NotFound,
                    Ok(Some(_)) => StoreError::Conflict,
                    Err(e) => e,
                }
            }

            #[$crate::sql::private::async_trait]
            impl Store for $store {
                fn backend(&self) -> &'static str {
                    $backend
                }

                async fn ping(&self) -> StoreResult<()> {
                    sqlx::query(q::PING)
                        .execute(self.reader())
                        .await
                        .map_err(db_error)?;
                    Ok(())
                }

                async fn import(&self, data: &ImportData) -> StoreResult<ImportSummary> {
                    data.validate().map_err(StoreError::Invalid)?;
                    let now = $crate::sql::private::huiyi_domain::time::now_unix();
                    let mut tx = self.begin_write().await.map_err(db_error)?;
                    // An error drops `tx`, which rolls everything back.
                    let summary = import_into(&mut tx, data, now).await?;
                    tx.commit().await.map_err(db_error)?;
                    Ok(summary)
                }

                async fn customer_count(&self) -> StoreResult<i64> {
                    sqlx::query_scalar(q::CUSTOMER_COUNT)
                        .fetch_one(self.reader())
                        .await
                        .map_err(db_error)
                }

                async fn customer_by_code(&self, code: &str) -> StoreResult<Option<Customer>> {
                    let row: Option<CustomerRow> = sqlx::query_as(q::CUSTOMER_BY_CODE)
                        .bind(code)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    Ok(row.map(Customer::from))
                }

                async fn add_credential(
                    &self,
                    customer_code: &str,
                    key_hash: &str,
                    admin: bool,
                ) -> StoreResult<()> {
                    let done = sqlx::query(q::ADD_CREDENTIAL)
                        .bind(key_hash)
                        .bind(customer_code)
                        .bind($crate::sql::flag(admin))
                        .bind($crate::sql::private::huiyi_domain::time::now_unix())
                        .execute(self.writer())
                        .await;
                    match done {
                        Ok(r) if r.rows_affected() == 0 => {
                            Err($crate::sql::unknown_customer("credential", customer_code))
                        }
                        Ok(_) => Ok(()),
                        Err(e) if $crate::sql::is_unique_violation(&e) => {
                            Err(StoreError::Invalid("this key is already registered".into()))
                        }
                        Err(e) => Err(db_error(e)),
                    }
                }

                async fn credential(&self, key_hash: &str) -> StoreResult<Option<Credential>> {
                    let row: Option<CredentialRow> = sqlx::query_as(q::CREDENTIAL)
                        .bind(key_hash)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    let presented = KeyHash::from_stored(key_hash.to_owned());
                    Ok(row
                        .filter(|r| KeyHash::from_stored(r.key_hash.clone()).matches(&presented))
                        .map(Credential::from))
                }

                async fn user(
                    &self,
                    customer: CustomerKey,
                    user_id: UserId,
                ) -> StoreResult<Option<User>> {
                    let row: Option<UserRow> = sqlx::query_as(q::USER)
                        .bind(user_id.get())
                        .bind(customer)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    row.map(User::try_from).transpose()
                }

                async fn user_by_email(
                    &self,
                    customer: CustomerKey,
                    email: &str,
                ) -> StoreResult<Option<User>> {
                    let email = email.trim();
                    if email.is_empty() {
                        return Ok(None);
                    }
                    let row: Option<UserRow> = sqlx::query_as(q::USER_BY_EMAIL)
                        .bind(customer)
                        .bind(email)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    row.map(User::try_from).transpose()
                }

                async fn create_booking(&self, new: &NewBooking) -> StoreResult<Booking> {
                    $crate::sql::check_length(new.length_minutes)?;
                    match self.combiner() {
                        Some(c) => {
                            let store = self.clone();
                            c.submit(new.clone(), move |news| {
                                let store = store.clone();
                                async move { store_together(&store, news).await }
                            })
                            .await
                        }
                        None => store_one(self, new).await,
                    }
                }

                async fn create_bookings(&self, new: &[NewBooking]) -> StoreResult<u64> {
                    for n in new {
                        $crate::sql::check_length(n.length_minutes)?;
                    }
                    let mut stored = 0;
                    for chunk in new.chunks(batch::BOOKINGS_PER_TRANSACTION) {
                        write_batch(self, chunk).await?;
                        stored += chunk.len() as u64;
                    }
                    Ok(stored)
                }

                async fn booking(
                    &self,
                    customer: CustomerKey,
                    conference_id: &ConferenceId,
                ) -> StoreResult<Option<Booking>> {
                    let row: Option<BookingRow> = sqlx::query_as(q::BOOKING_BY_CONFERENCE)
                        .bind(conference_id.as_str())
                        .bind(customer)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    row.map(Booking::try_from).transpose()
                }

                async fn booking_by_event(
                    &self,
                    customer: CustomerKey,
                    event_id: EventId,
                ) -> StoreResult<Option<Booking>> {
                    let row: Option<BookingRow> = sqlx::query_as(q::BOOKING_BY_EVENT)
                        .bind(event_id)
                        .bind(customer)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    row.map(Booking::try_from).transpose()
                }

                async fn passcode_owner(
                    &self,
                    customer: CustomerKey,
                    pcode: &str,
                ) -> StoreResult<Option<PasscodeOwner>> {
                    let row: Option<PasscodeOwnerRow> = sqlx::query_as(q::PASSCODE_OWNER)
                        .bind(pcode)
                        .bind(customer)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    row.map(PasscodeOwner::try_from).transpose()
                }

                async fn update_booking(&self, b: &Booking, now: i64) -> StoreResult<Booking> {
                    $crate::sql::check_length(b.length_minutes)?;
                    if b.occurrence_of.is_some() {
                        // Its start, length and title are one occurrence's: writing them would
                        // move the whole series.
                        return Err(StoreError::Invalid(
                            "a view of one occurrence cannot be stored; edit the series".into(),
                        ));
                    }
                    let series = b.series.as_ref().map(batch::json).transpose()?;
                    let (span_start, span_end) = b.span();
                    let row: Option<BookingRow> = sqlx::query_as(q::UPDATE_BOOKING)
                        .bind(b.title.as_str())
                        .bind(b.start)
                        .bind(b.end())
                        .bind(b.length_minutes)
                        .bind(b.zone.name())
                        .bind(batch::json(&b.invitees)?)
                        .bind(batch::json(&b.details)?)
                        .bind(series)
                        .bind(span_end)
                        .bind(span_start)
                        .bind(now)
                        .bind(b.event_id)
                        .bind(b.customer)
                        .bind(b.version)
                        .fetch_optional(self.writer())
                        .await
                        .map_err(db_error)?;
                    match row {
                        Some(row) => Booking::try_from(row),
                        None => Err(why_unchanged(self, b).await),
                    }
                }

                async fn cancel_booking(&self, b: &Booking, now: i64) -> StoreResult<Booking> {
                    let row: Option<BookingRow> = sqlx::query_as(q::CANCEL_BOOKING)
                        .bind(now)
                        .bind(b.event_id)
                        .bind(b.customer)
                        .bind(b.version)
                        .fetch_optional(self.writer())
                        .await
                        .map_err(db_error)?;
                    match row {
                        Some(row) => Booking::try_from(row),
                        None => Err(why_unchanged(self, b).await),
                    }
                }

                async fn host_bookings(
                    &self,
                    customer: CustomerKey,
                    host: UserId,
                    window: Window,
                ) -> StoreResult<Vec<Booking>> {
                    let rows: Vec<BookingRow> = sqlx::query_as(q::HOST_BOOKINGS)
                        .bind(customer)
                        .bind(host.get())
                        .bind(window.from.saturating_sub($crate::sql::MAX_LENGTH_SECS))
                        .bind(window.to)
                        .bind(window.from)
                        .fetch_all(self.reader())
                        .await
                        .map_err(db_error)?;
                    rows::bookings(rows)
                }

                async fn customer_bookings(
                    &self,
                    customer: CustomerKey,
                    window: Window,
                    after_event: Option<EventId>,
                    limit: i64,
                ) -> StoreResult<Vec<Booking>> {
                    let rows: Vec<BookingRow> = sqlx::query_as(q::CUSTOMER_BOOKINGS)
                        .bind(customer)
                        .bind(window.from.saturating_sub($crate::sql::MAX_LENGTH_SECS))
                        .bind(window.to)
                        .bind(window.from)
                        // Event ids start at 1, so 0 means "from the first".
                        .bind(after_event.unwrap_or(0))
                        .bind(limit.max(0))
                        .fetch_all(self.reader())
                        .await
                        .map_err(db_error)?;
                    rows::bookings(rows)
                }
                async fn booking_anywhere(
                    &self,
                    conference_id: &ConferenceId,
                ) -> StoreResult<Option<Booking>> {
                    let row: Option<BookingRow> = sqlx::query_as(q::BOOKING_ANYWHERE)
                        .bind(conference_id.as_str())
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    row.map(Booking::try_from).transpose()
                }

                async fn passcode_anywhere(
                    &self,
                    pcode: &str,
                ) -> StoreResult<Option<(CustomerKey, PasscodeOwner)>> {
                    let found: Option<(i64, Option<i64>, Option<i64>)> =
                        sqlx::query_as(q::PASSCODE_ANYWHERE)
                            .bind(pcode)
                            .fetch_optional(self.reader())
                            .await
                            .map_err(db_error)?;
                    match found {
                        None => Ok(None),
                        Some((customer, owner_event, owner_user)) => {
                            let owner = PasscodeOwner::try_from(PasscodeOwnerRow {
                                owner_event,
                                owner_user,
                            })?;
                            Ok(Some((customer, owner)))
                        }
                    }
                }

                async fn customer_by_key(&self, key: CustomerKey) -> StoreResult<Option<Customer>> {
                    let row: Option<CustomerRow> = sqlx::query_as(q::CUSTOMER_BY_KEY)
                        .bind(key)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    Ok(row.map(Customer::from))
                }

                async fn record_facts(&self, batch: FactBatch) -> StoreResult<FactOutcome> {
                    match self.fact_combiner() {
                        Some(c) => {
                            let store = self.clone();
                            c.submit(batch, move |batches| {
                                let store = store.clone();
                                async move { record_together(&store, batches).await }
                            })
                            .await
                        }
                        None => record_alone(self, &batch).await,
                    }
                }

                async fn latest_sessions(
                    &self,
                    event_ids: &[EventId],
                ) -> StoreResult<Vec<SessionState>> {
                    let mut out = Vec::new();
                    for chunk in event_ids.chunks(500) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(ss::LATEST_SESSIONS_HEAD);
                        let mut list = qb.separated(", ");
                        for id in chunk {
                            list.push_bind(*id);
                        }
                        qb.push(")");
                        let rows: Vec<SessionRow> = qb
                            .build_query_as()
                            .fetch_all(self.reader())
                            .await
                            .map_err(db_error)?;
                        out.extend(ss::states(rows)?);
                    }
                    Ok(out)
                }

                async fn sessions_of(&self, event_id: EventId) -> StoreResult<Vec<SessionState>> {
                    let rows: Vec<SessionRow> = sqlx::query_as(ss::SESSIONS_OF)
                        .bind(event_id)
                        .fetch_all(self.reader())
                        .await
                        .map_err(db_error)?;
                    ss::states(rows)
                }

                async fn session_facts(&self, session_id: i64) -> StoreResult<Vec<StoredFact>> {
                    let rows: Vec<ss::FactRow> = sqlx::query_as(ss::FACTS)
                        .bind(session_id)
                        .fetch_all(self.reader())
                        .await
                        .map_err(db_error)?;
                    rows.into_iter().map(StoredFact::try_from).collect()
                }

                async fn session_participants(
                    &self,
                    session_id: i64,
                ) -> StoreResult<Vec<ParticipantState>> {
                    let rows: Vec<ParticipantRow> = sqlx::query_as(ss::PARTICIPANTS)
                        .bind(session_id)
                        .fetch_all(self.reader())
                        .await
                        .map_err(db_error)?;
                    ss::participant_states(rows)
                }

                async fn close_idle_sessions(
                    &self,
                    empty_before_ms: i64,
                    now_ms: i64,
                ) -> StoreResult<Vec<SessionState>> {
                    // Most rounds find nothing due: ask a reader before taking the write lock.
                    let due: Vec<SessionRow> = sqlx::query_as(ss::IDLE_SESSIONS)
                        .bind(empty_before_ms)
                        .fetch_all(self.reader())
                        .await
                        .map_err(db_error)?;
                    if due.is_empty() {
                        return Ok(Vec::new());
                    }
                    close_idle(self, empty_before_ms, now_ms).await
                }

                async fn link_target(
                    &self,
                    code: &str,
                ) -> StoreResult<Option<(Booking, LinkRole)>> {
                    let row: Option<tk::LinkTargetRow> = sqlx::query_as(q::LINK_TARGET)
                        .bind(code)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    row.map(<(Booking, LinkRole)>::try_from).transpose()
                }

                async fn create_join_token(&self, t: &NewJoinToken) -> StoreResult<()> {
                    if t.uses < 1 {
                        return Err(StoreError::Invalid(format!(
                            "a join token needs at least one use, not {}",
                            t.uses
                        )));
                    }
                    let done = sqlx::query(tk::INSERT_TOKEN)
                        .bind(t.token_hash.as_str())
                        .bind(t.kind.as_str())
                        .bind(t.customer)
                        .bind(t.event_id)
                        .bind(t.user_id.map(UserId::get))
                        .bind(t.role.as_str())
                        .bind(t.name.as_str())
                        .bind(t.expires_at)
                        .bind(t.uses)
                        .bind(t.created_at)
                        .execute(self.writer())
                        .await;
                    match done {
                        Ok(_) => Ok(()),
                        Err(sqlx::Error::Database(d)) if d.is_foreign_key_violation() => {
                            Err(StoreError::Invalid(
                                "the token names a booking or user that does not exist".into(),
                            ))
                        }
                        Err(sqlx::Error::Database(d)) if d.is_check_violation() => Err(
                            StoreError::Invalid("the token's uses or booking are not valid".into()),
                        ),
                        Err(e) => Err(db_error(e)),
                    }
                }

                async fn consume_join_token(
                    &self,
                    token_hash: &str,
                    kind: JoinTokenKind,
                    now: i64,
                ) -> StoreResult<Option<JoinToken>> {
                    let row: Option<tk::JoinTokenRow> = sqlx::query_as(tk::CONSUME_TOKEN)
                        .bind(token_hash)
                        .bind(kind.as_str())
                        .bind(now)
                        .fetch_optional(self.writer())
                        .await
                        .map_err(db_error)?;
                    row.map(JoinToken::try_from).transpose()
                }

                async fn peek_join_token(
                    &self,
                    token_hash: &str,
                    kind: JoinTokenKind,
                    now: i64,
                ) -> StoreResult<Option<JoinToken>> {
                    let row: Option<tk::JoinTokenRow> = sqlx::query_as(tk::PEEK_TOKEN)
                        .bind(token_hash)
                        .bind(kind.as_str())
                        .bind(now)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    row.map(JoinToken::try_from).transpose()
                }

                async fn join_token(&self, token_hash: &str) -> StoreResult<Option<JoinToken>> {
                    let row: Option<tk::JoinTokenRow> = sqlx::query_as(tk::TOKEN)
                        .bind(token_hash)
                        .fetch_optional(self.reader())
                        .await
                        .map_err(db_error)?;
                    row.map(JoinToken::try_from).transpose()
                }
            }
        };
    };
}
