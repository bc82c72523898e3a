//! Reads one table's CDC log with ScyllaDB's own consumer library (`scylla-cdc` on the `scylla`
//! driver) and prints every change it is handed as one JSON line on stdout, then a final
//! `{"done":true,...}` line. It is the emulator's proof that a consumer nobody here wrote finds
//! the generations, the streams and every log row: the test compares these lines with what its
//! workload wrote.
//!
//! usage: cdc-consumer <host:port> <keyspace> <table> <start_ms> <end_ms> [safety_ms] [window_ms]
//!   start_ms / end_ms: the time window to read (ms since the epoch); the reader stops once it
//!   has read past end_ms. safety_ms (default 1000): the library's safety interval, how long a
//!   row must be old before it is read.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use async_trait::async_trait;
use scylla::client::session_builder::SessionBuilder;
use scylla::value::CqlValue;
use scylla_cdc::consumer::{CDCRow, Consumer, ConsumerFactory};
use scylla_cdc::log_reader::CDCLogReaderBuilder;
use tokio::sync::Mutex;

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A value as JSON: numbers as numbers, text as strings, anything else as its debug form.
fn json_value(v: &Option<CqlValue>) -> String {
    match v {
        None => "null".to_string(),
        Some(CqlValue::Int(i)) => i.to_string(),
        Some(CqlValue::BigInt(i)) => i.to_string(),
        Some(CqlValue::SmallInt(i)) => i.to_string(),
        Some(CqlValue::TinyInt(i)) => i.to_string(),
        Some(CqlValue::Boolean(b)) => b.to_string(),
        Some(CqlValue::Text(s)) | Some(CqlValue::Ascii(s)) => json_string(s),
        Some(CqlValue::Blob(b)) => json_string(&hex(b)),
        Some(other) => json_string(&format!("{other:?}")),
    }
}

struct PrintingConsumer {
    out: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl Consumer for PrintingConsumer {
    async fn consume_cdc(&mut self, data: CDCRow<'_>) -> anyhow::Result<()> {
        let mut names: Vec<&str> = data.get_non_cdc_column_names().collect();
        names.sort_unstable();
        let mut cols = Vec::new();
        for n in names {
            let deleted = data.column_deletable(n) && data.is_value_deleted(n);
            cols.push(format!("{}:{}", json_string(n), json_value(data.get_value(n))));
            if deleted {
                cols.push(format!("{}:true", json_string(&format!("deleted_{n}"))));
            }
        }
        // the write's timestamp in µs, from the time UUID (100 ns ticks since 1582-10-15)
        let (ticks_s, ticks_ns) = data.time.get_timestamp().map(|t| t.to_unix()).unwrap_or((0, 0));
        let time_us = ticks_s as i64 * 1_000_000 + (ticks_ns / 1000) as i64;
        let line = format!(
            "{{\"stream\":\"{}\",\"time\":\"{}\",\"time_us\":{},\"seq\":{},\"op\":{},\"end_of_batch\":{},\"ttl\":{},\"cols\":{{{}}}}}",
            data.stream_id.to_string().trim_start_matches("0x"),
            data.time,
            time_us,
            data.batch_seq_no,
            data.operation.clone() as i8,
            data.end_of_batch,
            data.ttl.map(|t| t.to_string()).unwrap_or_else(|| "null".into()),
            cols.join(",")
        );
        self.out.lock().await.push(line);
        Ok(())
    }
}

struct Factory {
    out: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl ConsumerFactory for Factory {
    async fn new_consumer(&self) -> Box<dyn Consumer> {
        Box::new(PrintingConsumer { out: self.out.clone() })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        return Err(anyhow!("usage: cdc-consumer <host:port> <keyspace> <table> <start_ms> <end_ms> [safety_ms] [window_ms]"));
    }
    let num = |i: usize, what: &str, dflt: u64| -> anyhow::Result<u64> {
        match args.get(i) {
            Some(s) => s.parse::<u64>().with_context(|| format!("{what}: not a number: {s}")),
            None => Ok(dflt),
        }
    };
    let (node, keyspace, table) = (&args[1], &args[2], &args[3]);
    let start_ms = num(4, "start_ms", 0)?;
    let end_ms = num(5, "end_ms", 0)?;
    let safety_ms = num(6, "safety_ms", 1000)?;
    let window_ms = num(7, "window_ms", 1000)?;

    let session = Arc::new(SessionBuilder::new().known_node(node).build().await.with_context(|| format!("connecting to {node}"))?);
    let out = Arc::new(Mutex::new(Vec::new()));
    let (_reader, handle) = CDCLogReaderBuilder::new()
        .session(session)
        .keyspace(keyspace)
        .table_name(table)
        .start_timestamp(Duration::from_millis(start_ms))
        .end_timestamp(Duration::from_millis(end_ms))
        .window_size(Duration::from_millis(window_ms))
        .safety_interval(Duration::from_millis(safety_ms))
        .sleep_interval(Duration::from_millis(100))
        .consumer_factory(Arc::new(Factory { out: out.clone() }))
        .build()
        .await
        .context("creating the CDC log reader")?;
    handle.await.context("reading the CDC log")?;
    let lines = out.lock().await;
    for l in lines.iter() {
        println!("{l}");
    }
    println!("{{\"done\":true,\"rows\":{}}}", lines.len());
    Ok(())
}
