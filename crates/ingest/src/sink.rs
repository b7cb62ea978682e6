//! Where readers put what they parse. Readers know nothing of Arrow or the
//! store: they hand typed rows (or rejections) to a [`Sink`].

use borderscope_schema::{Alert, Dns, Flow, Http, Rejection, Tls, WebRequest};

/// Receives the rows of one input file.
pub trait Sink {
    fn flow(&mut self, row: &Flow<'_>);
    fn dns(&mut self, row: &Dns<'_>);
    fn http(&mut self, row: &Http<'_>);
    fn tls(&mut self, row: &Tls<'_>);
    fn alert(&mut self, row: &Alert<'_>);
    fn web(&mut self, row: &WebRequest<'_>);
    /// A line or record that could not become a row.
    fn reject(&mut self, rejection: Rejection);
    /// Something about the file a person should know that is not a bad row,
    /// e.g. "Zeek log type `sip` has no table; 212 lines skipped".
    fn note(&mut self, note: String);
    /// Lines or records that were read but belong to no table by design
    /// (comments, headers, log types borderscope does not store).
    fn skip(&mut self, count: u64);
}

/// A sink that keeps owned copies of everything, for tests and small tools.
#[derive(Default, Debug)]
pub struct VecSink {
    pub flows: Vec<Flow<'static>>,
    pub dns: Vec<Dns<'static>>,
    pub http: Vec<Http<'static>>,
    pub tls: Vec<Tls<'static>>,
    pub alerts: Vec<Alert<'static>>,
    pub web: Vec<WebRequest<'static>>,
    pub rejections: Vec<Rejection>,
    pub notes: Vec<String>,
    pub skipped: u64,
}

impl VecSink {
    pub fn rows(&self) -> usize {
        self.flows.len()
            + self.dns.len()
            + self.http.len()
            + self.tls.len()
            + self.alerts.len()
            + self.web.len()
    }
}

impl Sink for VecSink {
    fn flow(&mut self, row: &Flow<'_>) {
        self.flows.push(row.clone().into_owned());
    }
    fn dns(&mut self, row: &Dns<'_>) {
        self.dns.push(row.clone().into_owned());
    }
    fn http(&mut self, row: &Http<'_>) {
        self.http.push(row.clone().into_owned());
    }
    fn tls(&mut self, row: &Tls<'_>) {
        self.tls.push(row.clone().into_owned());
    }
    fn alert(&mut self, row: &Alert<'_>) {
        self.alerts.push(row.clone().into_owned());
    }
    fn web(&mut self, row: &WebRequest<'_>) {
        self.web.push(row.clone().into_owned());
    }
    fn reject(&mut self, rejection: Rejection) {
        self.rejections.push(rejection);
    }
    fn note(&mut self, note: String) {
        self.notes.push(note);
    }
    fn skip(&mut self, count: u64) {
        self.skipped += count;
    }
}
