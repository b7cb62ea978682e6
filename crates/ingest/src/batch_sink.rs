//! A [`Sink`] that builds Arrow record batches per table and hands each full
//! batch to a channel, from which the store writer streams it to Delta.

use std::io;

use borderscope_schema::{
    Alert, AlertBatch, Dns, DnsBatch, EventTable, FileContext, Flow, FlowBatch, Http, HttpBatch,
    Micros, QuarantineBatch, Rejection, Tls, TlsBatch, WebRequest, WeblogBatch,
};
use datafusion::arrow::record_batch::RecordBatch;
use tokio::sync::mpsc::Sender;

use crate::sink::Sink;

/// Rows per record batch: large enough for efficient Parquet pages, small
/// enough to keep a few in flight without much memory.
pub const BATCH_ROWS: usize = 64 * 1024;

/// Counts for one file, for the ingest summary and the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCounts {
    pub stored: u64,
    pub rejected: u64,
    pub skipped: u64,
}

impl FileCounts {
    pub fn read(&self) -> u64 {
        self.stored + self.rejected + self.skipped
    }
}

pub struct BatchSink {
    ctx: FileContext,
    now: Micros,
    out: Sender<(EventTable, RecordBatch)>,
    flows: FlowBatch,
    dns: DnsBatch,
    http: HttpBatch,
    tls: TlsBatch,
    alerts: AlertBatch,
    web: WeblogBatch,
    quarantine: QuarantineBatch,
    pub counts: FileCounts,
    pub notes: Vec<String>,
    /// First failure to build or send a batch; the run stops on it.
    failure: Option<io::Error>,
}

macro_rules! push_row {
    ($self:ident, $builder:ident, $table:expr, $row:expr) => {{
        $self.$builder.append(&$self.ctx, $row);
        $self.counts.stored += 1;
        if $self.$builder.len() >= BATCH_ROWS {
            let batch = $self.$builder.finish();
            $self.send($table, batch);
        }
    }};
}

impl BatchSink {
    pub fn new(ctx: FileContext, now: Micros, out: Sender<(EventTable, RecordBatch)>) -> Self {
        BatchSink {
            ctx,
            now,
            out,
            flows: FlowBatch::default(),
            dns: DnsBatch::default(),
            http: HttpBatch::default(),
            tls: TlsBatch::default(),
            alerts: AlertBatch::default(),
            web: WeblogBatch::default(),
            quarantine: QuarantineBatch::default(),
            counts: FileCounts::default(),
            notes: Vec::new(),
            failure: None,
        }
    }

    /// Switches to the next file, flushing nothing: batches may mix files.
    pub fn next_file(&mut self, ctx: FileContext) {
        self.ctx = ctx;
        self.counts = FileCounts::default();
        self.notes.clear();
    }

    fn send(
        &mut self,
        table: EventTable,
        batch: Result<RecordBatch, datafusion::arrow::error::ArrowError>,
    ) {
        if self.failure.is_some() {
            return;
        }
        let result = batch
            .map_err(|e| io::Error::other(format!("cannot build a {} batch: {e}", table.name())))
            .and_then(|b| {
                self.out
                    .blocking_send((table, b))
                    .map_err(|_| io::Error::other("the store writer stopped"))
            });
        if let Err(e) = result {
            self.failure = Some(e);
        }
    }

    /// Sends every partly filled batch. Call at the end of the run.
    pub fn flush(&mut self) {
        if !self.flows.is_empty() {
            let b = self.flows.finish();
            self.send(EventTable::Flows, b);
        }
        if !self.dns.is_empty() {
            let b = self.dns.finish();
            self.send(EventTable::Dns, b);
        }
        if !self.http.is_empty() {
            let b = self.http.finish();
            self.send(EventTable::Http, b);
        }
        if !self.tls.is_empty() {
            let b = self.tls.finish();
            self.send(EventTable::Tls, b);
        }
        if !self.alerts.is_empty() {
            let b = self.alerts.finish();
            self.send(EventTable::Alerts, b);
        }
        if !self.web.is_empty() {
            let b = self.web.finish();
            self.send(EventTable::Weblog, b);
        }
        if !self.quarantine.is_empty() {
            let b = self.quarantine.finish();
            self.send(EventTable::Quarantine, b);
        }
    }

    pub fn take_failure(&mut self) -> Option<io::Error> {
        self.failure.take()
    }
}

impl Sink for BatchSink {
    fn flow(&mut self, row: &Flow<'_>) {
        push_row!(self, flows, EventTable::Flows, row)
    }
    fn dns(&mut self, row: &Dns<'_>) {
        push_row!(self, dns, EventTable::Dns, row)
    }
    fn http(&mut self, row: &Http<'_>) {
        push_row!(self, http, EventTable::Http, row)
    }
    fn tls(&mut self, row: &Tls<'_>) {
        push_row!(self, tls, EventTable::Tls, row)
    }
    fn alert(&mut self, row: &Alert<'_>) {
        push_row!(self, alerts, EventTable::Alerts, row)
    }
    fn web(&mut self, row: &WebRequest<'_>) {
        push_row!(self, web, EventTable::Weblog, row)
    }
    fn reject(&mut self, r: Rejection) {
        self.quarantine.append(&self.ctx, &r, self.now);
        self.counts.rejected += 1;
        if self.quarantine.len() >= BATCH_ROWS {
            let b = self.quarantine.finish();
            self.send(EventTable::Quarantine, b);
        }
    }
    fn note(&mut self, note: String) {
        self.notes.push(note);
    }
    fn skip(&mut self, count: u64) {
        self.counts.skipped += count;
    }
}
