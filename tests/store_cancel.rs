//! A write cancelled at any point (axum drops a handler when its client hangs up) leaves no
//! orphaned transaction on a pooled connection, on both stores: later writes all succeed, and
//! every write that reported a commit is stored.

use sigap::store::audit::{self, AuditEntry};
use sigap::store::{testing, Store};
use std::time::Duration;

async fn write(store: &Store, i: usize) -> Result<(), sigap::store::StoreError> {
    let mut tx = store.begin().await?;
    let id = i.to_string();
    audit::record(&mut tx, AuditEntry { actor: "test", action: "cancel.probe", entity: "probe", entity_id: &id, before: None, after: None }).await?;
    tx.commit().await
}

async fn probes(store: &Store) -> i64 {
    sigap::on_pool!(store, p => sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_log WHERE action = 'cancel.probe'").fetch_one(p).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_writes_leave_no_orphan_transaction_on_both_stores() {
    testing::for_each_store(|store| async move {
        let mut committed = 0;
        // 1,500 writes cut off after 0..300 µs: some before BEGIN, some inside it, some mid-commit.
        for i in 0..1500 {
            if let Ok(r) = tokio::time::timeout(Duration::from_micros((i * 7 % 300) as u64), write(&store, i)).await {
                r.unwrap_or_else(|e| panic!("{} write {i}: {e}", store.kind()));
                committed += 1;
            }
        }
        // Every pooled connection must still start a writer: 20 writes in a row, none refused.
        for i in 0..20 {
            write(&store, 10_000 + i).await.unwrap_or_else(|e| panic!("{} after cancellations: {e}", store.kind()));
        }
        let n = probes(&store).await;
        assert!(n >= committed + 20 && n <= 1520, "{}: {n} stored, {committed} reported committed", store.kind());
    })
    .await;
}
