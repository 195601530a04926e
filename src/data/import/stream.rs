//! The incremental import: files are added, fed in chunks of any size (the browser's
//! `File.stream()`, a native file read in blocks) and ended, then the import finishes.
//!
//! ```text
//! let mut importer = Importer::new(ImportOptions::default())?;
//! let id = importer.add_file("usage.csv.gz", Some(total_bytes));
//! for chunk in chunks { importer.feed(id, &chunk)?; }       // → Progress
//! importer.end_file(id)?;
//! let imported = importer.finish()?;                         // → Imported
//! ```
//!
//! Each file is recognised from its first bytes: gzip (`1f 8b`, any number of members, of
//! CSV or JSON Lines) is decompressed as it arrives; Parquet (`PAR1`) needs its footer
//! first, so a Parquet file fed in chunks is held (in memory, or beside the staging database
//! when that is on disk) and read at [`Importer::end_file`]. A Parquet file can instead be
//! read by ranges without ever being held: [`Importer::add_parquet`], then
//! [`Importer::parquet_need`] / [`Importer::parquet_give`] until nothing more is needed
//! (the browser answers each range with `file.slice(offset, offset + len)`; natively
//! [`Importer::add_path`] does it with the file). Rows go to the staging database as they
//! are read (see `load`); duplicates, prices, run merging and aggregation happen at
//! [`Importer::finish`], in key order, one key at a time.
//!
//! Progress (bytes, rows, phase) is returned by every call and given to the callback of
//! [`ImportOptions`]; a [`CancelFlag`] is checked between chunks and while finishing. A
//! cancelled import (or one dropped before it finished) leaves nothing behind: the staging
//! database is closed and its file, if any, removed.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rusqlite::Connection;

use super::error::{FileError, RowError};
use super::kind::Source;
use super::report::{AttributionGaps, FileReport, ImportReport, TableDates};
use super::source::{identify, Columns, Malformed, Row};
use super::stage::StagingStore;
use super::text::{RowSink, TextReader};
use super::{extract, load, map, ImportError, Imported};
use crate::base::vocab::SystemTable;
use crate::data::db::UsageDb;

/// Set from anywhere (another thread natively; the worker's own message handler in the
/// browser) to stop an import at the next chunk or during finishing.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What the import is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Files are being read (fed).
    Reading,
    /// Every table but billing: duplicates dropped, in key order.
    Deduplicating,
    /// Billing rows: duplicates dropped, priced, aggregated.
    Billing,
    /// Runs, spot shares, evictions, the attribution gaps.
    Mapping,
    /// The imported database.
    Writing,
    Done,
}

/// How far the import is. `bytes` never decreases and ends at `total_bytes` (the sum of the
/// sizes given to [`Importer::add_file`]); `rows` counts data rows read; while finishing,
/// `done` of `of` counts the keys of the current phase.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub bytes: u64,
    pub total_bytes: u64,
    pub rows: u64,
    pub files: usize,
    pub files_done: usize,
    pub done: u64,
    pub of: u64,
}

/// A progress callback.
pub type ProgressFn = Box<dyn FnMut(&Progress)>;

/// How an import runs.
#[derive(Default)]
pub struct ImportOptions {
    /// Where rows are staged: in memory (the default) or in a temporary file.
    pub staging: StagingStore,
    pub cancel: Option<CancelFlag>,
    /// Called with the progress after every chunk and every 65,536 keys while finishing.
    pub on_progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions").field("staging", &self.staging).field("cancel", &self.cancel).finish()
    }
}

/// A file of the import, as [`Importer::add_file`] numbered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub usize);

/// Compressed bytes handed to the gzip decoder at a time (bounds the decompressed bytes
/// held at once).
const GZIP_STEP: usize = 16 * 1024;

/// A Parquet file fed in chunks, held until it ends.
enum Held {
    Memory(Vec<u8>),
    File { path: std::path::PathBuf, file: std::fs::File, len: u64 },
}

impl Held {
    fn push(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Held::Memory(v) => v.extend_from_slice(bytes),
            Held::File { file, len, .. } => {
                file.write_all(bytes)?;
                *len += bytes.len() as u64;
            }
        }
        Ok(())
    }

    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    fn len(&self) -> u64 {
        match self {
            Held::Memory(v) => v.len() as u64,
            Held::File { len, .. } => *len,
        }
    }

    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    fn read(&mut self, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
        match self {
            Held::Memory(v) => Ok(v[offset as usize..(offset + len) as usize].to_vec()),
            Held::File { file, .. } => {
                use std::io::{Read, Seek, SeekFrom};
                let mut out = vec![0; len as usize];
                file.seek(SeekFrom::Start(offset))?;
                file.read_exact(&mut out)?;
                Ok(out)
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Held::File { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// How a file's bytes are read.
enum Decoder {
    /// Its first bytes, until they say what it is.
    Sniff(Vec<u8>),
    Text,
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
    /// Parquet fed in chunks.
    HeldParquet(Held),
    /// Parquet read by ranges.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Parquet(Box<ParquetState>),
    /// Nothing more to decode (a gzip error; the file ended).
    Done,
}

#[cfg(feature = "parquet")]
type ParquetState = super::parquet::ParquetReader;
#[cfg(not(feature = "parquet"))]
type ParquetState = ();

/// A 64-bit hash of a file's bytes (whatever the chunks), which orders files of one name.
#[derive(Clone, Copy, Debug)]
struct Fingerprint {
    hash: u64,
    word: u64,
    filled: u32,
}

impl Default for Fingerprint {
    fn default() -> Fingerprint {
        Fingerprint { hash: 0xcbf2_9ce4_8422_2325, word: 0, filled: 0 }
    }
}

impl Fingerprint {
    fn push(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while self.filled != 0 && !rest.is_empty() {
            self.byte(rest[0]);
            rest = &rest[1..];
        }
        let mut words = rest.chunks_exact(8);
        for w in &mut words {
            self.mix(u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        for &b in words.remainder() {
            self.byte(b);
        }
    }

    fn byte(&mut self, b: u8) {
        self.word |= (b as u64) << (8 * self.filled);
        self.filled += 1;
        if self.filled == 8 {
            let w = self.word;
            self.word = 0;
            self.filled = 0;
            self.mix(w);
        }
    }

    fn mix(&mut self, w: u64) {
        self.hash = (self.hash ^ w).wrapping_mul(0x0000_0100_0000_01b3).rotate_left(29);
    }

    fn value(&self) -> u64 {
        let mut f = *self;
        f.mix(f.word ^ ((f.filled as u64) << 56));
        f.hash
    }
}

struct FileState {
    name: String,
    /// The format its report names when its bytes are another format's conversion (JSON
    /// Lines from Parquet in the browser).
    format: Option<&'static str>,
    total: Option<u64>,
    fed: u64,
    fingerprint: Fingerprint,
    decoder: Decoder,
    text: TextReader,
    report: FileReport,
    source: Option<Source>,
    ended: bool,
}

/// Where a file's rows go: its report and the staging of raw exports or extracts.
struct Sink<'a> {
    id: usize,
    name: &'a str,
    format: Option<&'static str>,
    report: &'a mut FileReport,
    source: &'a mut Option<Source>,
    raw: &'a mut load::Staging,
    extracts: &'a mut extract::Staging,
    failure: &'a mut Option<rusqlite::Error>,
    rows: &'a mut u64,
}

impl RowSink for Sink<'_> {
    fn columns(&mut self, columns: &Columns) -> bool {
        self.report.format = self.format.unwrap_or(columns.format).to_string();
        match identify(columns) {
            Ok(source) => {
                match source {
                    Source::Table(t) => self.report.table = Some(t),
                    Source::Extract(k) => {
                        self.report.extract = Some(k);
                        self.extracts.recognised(k);
                    }
                }
                *self.source = Some(source);
                true
            }
            Err((closest, missing)) => {
                match closest {
                    Source::Table(t) => self.report.closest = Some(t),
                    Source::Extract(k) => self.report.closest_extract = Some(k),
                }
                self.report.missing_columns = missing;
                false
            }
        }
    }

    fn row(&mut self, columns: &Columns, line: usize, row: &Row) {
        self.report.rows += 1;
        *self.rows += 1;
        let outcome = match *self.source {
            Some(Source::Table(table)) => match self.raw.add(self.id, table, columns, line, row) {
                Ok(outcome) => outcome,
                Err(e) => {
                    self.failure.get_or_insert(e);
                    return;
                }
            },
            Some(Source::Extract(kind)) => self.extracts.add(self.id, kind, columns, line, row),
            None => return,
        };
        match outcome {
            Ok(()) => self.report.imported += 1,
            Err(e) => self.report.malformed.push(Malformed::new(line, &e)),
        }
    }

    fn malformed(&mut self, line: usize, error: RowError) {
        self.report.rows += 1;
        *self.rows += 1;
        self.report.malformed.push(Malformed::new(line, &error));
    }

    fn file_error(&mut self, error: FileError) {
        match self.source.take() {
            Some(Source::Table(_)) => {
                if let Err(e) = self.raw.forget_file(self.id) {
                    self.failure.get_or_insert(e);
                }
            }
            Some(Source::Extract(kind)) => self.extracts.forget_file(self.id, kind),
            None => {}
        }
        *self.report = FileReport::new(self.name);
        self.report.error = Some(error.to_string());
    }
}

/// An import in progress.
pub struct Importer {
    options: ImportOptions,
    /// `None` once cancelled (the staging database is gone) or while finishing.
    raw: Option<load::Staging>,
    cancelled: bool,
    extracts: extract::Staging,
    files: Vec<FileState>,
    rows: u64,
    phase: Phase,
    done: u64,
    of: u64,
}

impl std::fmt::Debug for Importer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Importer").field("options", &self.options).field("files", &self.files.len()).field("rows", &self.rows).finish()
    }
}

impl Importer {
    pub fn new(options: ImportOptions) -> Result<Importer, ImportError> {
        let raw = load::Staging::new(&options.staging)?;
        Ok(Importer {
            options,
            raw: Some(raw),
            cancelled: false,
            extracts: extract::Staging::default(),
            files: Vec::new(),
            rows: 0,
            phase: Phase::Reading,
            done: 0,
            of: 0,
        })
    }

    /// A new file named `name` (its name only orders the files and names it in the
    /// report: files are recognised by their content), of `total_bytes` when known.
    pub fn add_file(&mut self, name: &str, total_bytes: Option<u64>) -> FileId {
        self.files.push(FileState {
            name: name.to_string(),
            format: None,
            total: total_bytes,
            fed: 0,
            fingerprint: Fingerprint::default(),
            decoder: Decoder::Sniff(Vec::new()),
            text: TextReader::default(),
            report: FileReport::new(name),
            source: None,
            ended: false,
        });
        FileId(self.files.len() - 1)
    }

    /// Adds a file whose bytes are fed converted to JSON Lines (row N as line N), its report
    /// naming its own `format`: a Parquet file in the browser, which the engine's worker turns
    /// into JSON Lines with the lazily loaded `parquet-rows` module.
    pub fn add_converted(&mut self, name: &str, format: &'static str) -> FileId {
        let id = self.add_file(name, None);
        self.files[id.0].format = Some(format);
        id
    }

    /// The conversion of file `id` (added by [`add_converted`](Self::add_converted)) found
    /// the file unreadable: `detail` says why, and the file's rows are dropped.
    pub fn converted_failed(&mut self, id: FileId, detail: String) -> Result<Progress, ImportError> {
        self.check()?;
        self.file(id)?;
        self.through_sink(id, |decoder, _, sink| {
            *decoder = Decoder::Done;
            sink.file_error(FileError::Parquet { detail });
            Ok(())
        })?;
        Ok(self.report_progress())
    }

    /// The progress so far.
    pub fn progress(&self) -> Progress {
        let bytes = self.files.iter().map(|f| f.fed).sum();
        let total = self.files.iter().map(|f| f.total.unwrap_or(f.fed).max(f.fed)).sum();
        Progress {
            phase: self.phase,
            bytes,
            total_bytes: total,
            rows: self.rows,
            files: self.files.len(),
            files_done: self.files.iter().filter(|f| f.ended).count(),
            done: self.done,
            of: self.of,
        }
    }

    fn report_progress(&mut self) -> Progress {
        let p = self.progress();
        if let Some(f) = self.options.on_progress.as_mut() {
            f(&p);
        }
        p
    }

    /// Stops here if the import was cancelled, dropping the staging database.
    fn check(&mut self) -> Result<(), ImportError> {
        if self.cancelled {
            return Err(ImportError::Cancelled);
        }
        if self.options.cancel.as_ref().is_some_and(CancelFlag::is_cancelled) {
            self.cancel();
            return Err(ImportError::Cancelled);
        }
        Ok(())
    }

    /// Cancels the import: the staging database (and its file) is gone; every later call
    /// fails with [`ImportError::Cancelled`].
    pub fn cancel(&mut self) {
        self.cancelled = true;
        self.raw = None;
        self.extracts = extract::Staging::default();
        for f in &mut self.files {
            f.decoder = Decoder::Done;
        }
    }

    fn file(&mut self, id: FileId) -> Result<&mut FileState, ImportError> {
        match self.files.get_mut(id.0) {
            Some(f) if !f.ended => Ok(f),
            Some(_) => Err(ImportError::Call(format!("file {} has ended", id.0))),
            None => Err(ImportError::Call(format!("there is no file {}", id.0))),
        }
    }

    /// Reads one more chunk of file `id`.
    pub fn feed(&mut self, id: FileId, chunk: &[u8]) -> Result<Progress, ImportError> {
        self.check()?;
        self.file(id)?;
        let held_dir = match &self.options.staging {
            StagingStore::Directory(d) => Some(d.clone()),
            StagingStore::Memory => None,
        };
        let f = &mut self.files[id.0];
        f.fed += chunk.len() as u64;
        f.fingerprint.push(chunk);
        self.through_sink(id, |decoder, text, sink| decode(decoder, text, chunk, held_dir.as_deref(), sink))?;
        Ok(self.report_progress())
    }

    /// Runs `step` on file `id`'s decoder and text reader with a sink into the staging
    /// tables; a row the sink could not stage fails the call once `step` has returned.
    fn through_sink(
        &mut self,
        id: FileId,
        step: impl FnOnce(&mut Decoder, &mut TextReader, &mut Sink<'_>) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let mut failure = None;
        {
            let raw = self.raw.as_mut().expect("checked");
            let f = &mut self.files[id.0];
            let mut sink = Sink {
                id: id.0,
                name: &f.name,
                format: f.format,
                report: &mut f.report,
                source: &mut f.source,
                raw,
                extracts: &mut self.extracts,
                failure: &mut failure,
                rows: &mut self.rows,
            };
            step(&mut f.decoder, &mut f.text, &mut sink)?;
        }
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    /// The end of file `id`.
    pub fn end_file(&mut self, id: FileId) -> Result<Progress, ImportError> {
        self.check()?;
        self.file(id)?;
        self.through_sink(id, end)?;
        let f = &mut self.files[id.0];
        f.ended = true;
        if let Some(total) = f.total {
            f.fed = f.fed.max(total);
        }
        Ok(self.report_progress())
    }

    /// A Parquet file of `len` bytes read by ranges ([`parquet_need`](Self::parquet_need)
    /// and [`parquet_give`](Self::parquet_give)), then ended with
    /// [`end_file`](Self::end_file).
    pub fn add_parquet(&mut self, name: &str, len: u64) -> FileId {
        let id = self.add_file(name, Some(len));
        #[cfg(feature = "parquet")]
        {
            self.files[id.0].decoder = Decoder::Parquet(Box::new(super::parquet::ParquetReader::new(len)));
        }
        #[cfg(not(feature = "parquet"))]
        {
            let f = &mut self.files[id.0];
            f.report.error = Some(FileError::ParquetNotBuilt.to_string());
            f.decoder = Decoder::Done;
        }
        id
    }

    /// The range (offset, length) of Parquet file `id` to give next, or `None` when it is
    /// read (or cannot be).
    pub fn parquet_need(&self, id: FileId) -> Option<(u64, u64)> {
        match &self.files.get(id.0)?.decoder {
            #[cfg(feature = "parquet")]
            Decoder::Parquet(reader) => reader.need().map(|r| (r.offset, r.len)),
            _ => None,
        }
    }

    /// The bytes of the range [`parquet_need`](Self::parquet_need) named.
    pub fn parquet_give(&mut self, id: FileId, bytes: Vec<u8>) -> Result<Progress, ImportError> {
        self.check()?;
        self.file(id)?;
        self.give_parquet(id, bytes)?;
        Ok(self.report_progress())
    }

    #[cfg(feature = "parquet")]
    fn give_parquet(&mut self, id: FileId, bytes: Vec<u8>) -> Result<(), ImportError> {
        let f = &mut self.files[id.0];
        if !matches!(f.decoder, Decoder::Parquet(_)) {
            return Err(ImportError::Call(format!("file {} is not read by ranges", id.0)));
        }
        f.fed = (f.fed + bytes.len() as u64).min(f.total.unwrap_or(u64::MAX));
        f.fingerprint.push(&bytes);
        self.through_sink(id, |decoder, _, sink| {
            if let Decoder::Parquet(reader) = decoder {
                reader.give(bytes, sink);
            }
            Ok(())
        })
    }

    #[cfg(not(feature = "parquet"))]
    fn give_parquet(&mut self, id: FileId, _bytes: Vec<u8>) -> Result<(), ImportError> {
        Err(ImportError::Call(format!("file {} is not read by ranges (this build does not read Parquet)", id.0)))
    }

    /// Adds, reads and ends the file at `path`: Parquet by ranges, anything else in blocks.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn add_path(&mut self, path: &std::path::Path) -> Result<FileId, ImportError> {
        use std::io::{Read, Seek, SeekFrom};
        let io = |e: std::io::Error| ImportError::Io(format!("{}: {e}", path.display()));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
        let mut file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let mut head = [0u8; 4];
        let n = file.read(&mut head).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        if cfg!(feature = "parquet") && n == 4 && &head == b"PAR1" {
            let id = self.add_parquet(&name, len);
            while let Some((offset, want)) = self.parquet_need(id) {
                let mut bytes = vec![0; want as usize];
                file.seek(SeekFrom::Start(offset)).map_err(io)?;
                file.read_exact(&mut bytes).map_err(io)?;
                self.parquet_give(id, bytes)?;
            }
            self.end_file(id)?;
            return Ok(id);
        }
        let id = self.add_file(&name, Some(len));
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            self.feed(id, &buf[..n])?;
        }
        self.end_file(id)?;
        Ok(id)
    }

    fn tick(&mut self) -> Result<(), ImportError> {
        self.done += 1;
        if self.done.is_multiple_of(65_536) {
            self.check()?;
            self.report_progress();
        }
        Ok(())
    }

    fn phase(&mut self, phase: Phase, of: u64) -> Result<(), ImportError> {
        self.check()?;
        self.phase = phase;
        self.done = 0;
        self.of = of;
        self.report_progress();
        Ok(())
    }

    /// Ends every file not yet ended, then builds the imported database: raw exports or
    /// pre-aggregated extracts (not both). Unrecognised files, malformed rows and duplicate
    /// rows are reported, not fatal; the import fails only when no file is a known source,
    /// when raw exports and extracts are mixed, or when it is cancelled. The same files in
    /// any order (and fed in any chunks), or with their rows in any order, give the same
    /// database; a row given twice (the same file under two names, overlapping exports) is
    /// imported once.
    pub fn finish(mut self) -> Result<Imported, ImportError> {
        for i in 0..self.files.len() {
            if !self.files[i].ended {
                self.end_file(FileId(i))?;
            }
        }
        self.check()?;
        // Files in name order (then content): a file's rank is its index in the report.
        let mut order: Vec<usize> = (0..self.files.len()).collect();
        order.sort_by_key(|&i| (self.files[i].name.clone(), self.files[i].fingerprint.value(), self.files[i].fed, i));
        let mut rank = vec![0; self.files.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r;
        }
        let mut reports: Vec<FileReport> = order.iter().map(|&i| self.files[i].report.clone()).collect();

        let has_raw = reports.iter().any(|r| r.table.is_some());
        let has_extracts = reports.iter().any(|r| r.extract.is_some());
        if !has_raw && !has_extracts {
            let partial = ImportReport {
                files: reports,
                gaps: AttributionGaps::default(),
                tables: Vec::new(),
                spot_sources: Vec::new(),
                missing_extracts: Vec::new(),
            };
            return Err(ImportError::NothingRecognised(partial.to_text()));
        }
        if has_raw && has_extracts {
            let names =
                |f: &dyn Fn(&FileReport) -> bool| reports.iter().filter(|r| f(r)).map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ");
            return Err(ImportError::Mixed { raw: names(&|r| r.table.is_some()), extracts: names(&|r| r.extract.is_some()) });
        }

        let (tables, gaps, dates, duplicates, late_malformed, missing_extracts) = if has_raw {
            let mut raw = self.raw.take().expect("checked");
            let usage_rows = raw.usage_rows()?;
            self.phase(Phase::Deduplicating, 0)?;
            let (loaded, mut finished) = {
                let mut tick = || self.tick();
                raw.finish(&rank, &mut tick)?
            };
            self.phase(Phase::Billing, usage_rows)?;
            let prices = load::PriceIndex::new(&loaded.prices);
            let mut mapper = map::Mapper::new(&loaded);
            {
                let mut tick = || self.tick();
                raw.usage(&rank, &prices, &mut finished, &mut tick, |u| mapper.usage(u))?;
            }
            self.phase(Phase::Mapping, 0)?;
            let usage_span = mapper.usage_span;
            let (tables, gaps) = mapper.tables(raw.dict());
            drop(raw);
            let mut imported: Vec<(SystemTable, usize)> = Vec::new();
            for (index, r) in reports.iter_mut().enumerate() {
                let dropped = finished.duplicates.get(&index).copied().unwrap_or(0);
                let late = finished.malformed.get(&index).map(Vec::len).unwrap_or(0);
                r.imported -= dropped + late;
                if let Some(t) = r.table {
                    imported.push((t, r.imported));
                }
            }
            let dates = table_dates(&loaded, usage_span, &imported);
            (tables, gaps, dates, finished.duplicates, finished.malformed, Vec::new())
        } else {
            self.phase(Phase::Deduplicating, 0)?;
            let finished = std::mem::take(&mut self.extracts).finish(&rank);
            for (index, r) in reports.iter_mut().enumerate() {
                r.imported -= finished.duplicates.get(&index).copied().unwrap_or(0);
            }
            (finished.tables, finished.gaps, finished.dates, finished.duplicates, Default::default(), finished.missing)
        };
        for (index, r) in reports.iter_mut().enumerate() {
            r.duplicates = duplicates.get(&index).copied().unwrap_or(0);
            if let Some(late) = late_malformed.get(&index) {
                r.malformed.extend(late.iter().cloned());
            }
            r.malformed.sort_by_key(|m| m.line);
        }

        self.phase(Phase::Writing, 0)?;
        let mut conn = Connection::open_in_memory()?;
        conn.execute_batch(crate::data::schema::SCHEMA_SQL)?;
        conn.execute_batch("BEGIN")?;
        tables.write(&conn)?;
        // The reports' pre-aggregated tables, so the file ships them.
        crate::data::aggregates::build(&conn)?;
        conn.execute_batch("COMMIT")?;
        let spot_sources = {
            let mut stmt = conn.prepare("SELECT source, COUNT(*) FROM job_run_spot GROUP BY source ORDER BY source")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize)))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let report = ImportReport { files: reports, gaps, tables: dates, spot_sources, missing_extracts };
        conn.execute_batch("CREATE TABLE import_report (json TEXT NOT NULL);")?;
        conn.execute("INSERT INTO import_report(json) VALUES (?1)", [serde_json::to_string(&report).expect("serialises")])?;
        let bytes = conn.serialize(rusqlite::MAIN_DB)?.to_vec();
        let db = UsageDb::from_connection(conn, bytes.len()).map_err(|e| ImportError::Open(e.to_string()))?;
        self.phase = Phase::Done;
        self.report_progress();
        Ok(Imported { db, report, bytes })
    }
}

/// Decodes one chunk of a file.
fn decode(
    decoder: &mut Decoder,
    text: &mut TextReader,
    chunk: &[u8],
    held_dir: Option<&std::path::Path>,
    sink: &mut Sink<'_>,
) -> Result<(), ImportError> {
    if let Decoder::Sniff(head) = decoder {
        head.extend_from_slice(chunk);
        let maybe_gzip = GZIP_MAGIC.starts_with(&head[..head.len().min(2)]);
        let maybe_parquet = PARQUET_MAGIC.starts_with(&head[..head.len().min(4)]);
        if (maybe_gzip && head.len() < 2) || (maybe_parquet && head.len() < 4) {
            return Ok(());
        }
        let head = std::mem::take(head);
        if !cfg!(feature = "parquet") && head.starts_with(PARQUET_MAGIC) {
            // Not held only to be refused at its end.
            sink.file_error(FileError::ParquetNotBuilt);
            *decoder = Decoder::Done;
            return Ok(());
        }
        *decoder = choose(&head, held_dir)?;
        return decode(decoder, text, &head, held_dir, sink);
    }
    match decoder {
        Decoder::Text => text.push(chunk, sink),
        Decoder::Gzip(gz) => {
            for step in chunk.chunks(GZIP_STEP) {
                let result = gz.write_all(step).and_then(|_| gz.flush());
                let out = std::mem::take(gz.get_mut());
                text.push(&out, sink);
                if let Err(e) = result {
                    sink.file_error(FileError::Gzip { detail: e.to_string() });
                    *decoder = Decoder::Done;
                    break;
                }
            }
        }
        Decoder::HeldParquet(held) => held.push(chunk).map_err(|e| ImportError::Io(e.to_string()))?,
        Decoder::Parquet(_) | Decoder::Done | Decoder::Sniff(_) => {}
    }
    Ok(())
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const PARQUET_MAGIC: &[u8] = b"PAR1";

/// The decoder a file's first bytes call for.
fn choose(head: &[u8], held_dir: Option<&std::path::Path>) -> Result<Decoder, ImportError> {
    if head.starts_with(GZIP_MAGIC) {
        return Ok(Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Vec::new()))));
    }
    if head.starts_with(PARQUET_MAGIC) {
        let held = match held_dir {
            Some(dir) => {
                use std::sync::atomic::AtomicU64;
                static NEXT: AtomicU64 = AtomicU64::new(0);
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                #[cfg(not(target_arch = "wasm32"))]
                let pid = std::process::id();
                #[cfg(target_arch = "wasm32")]
                let pid = 0;
                let path = dir.join(format!("usage-copilot-parquet-{pid}-{n}.parquet"));
                let file = std::fs::OpenOptions::new()
                    .create_new(true)
                    .read(true)
                    .write(true)
                    .open(&path)
                    .map_err(|e| ImportError::Io(format!("{}: {e}", path.display())))?;
                Held::File { path, file, len: 0 }
            }
            None => Held::Memory(Vec::new()),
        };
        return Ok(Decoder::HeldParquet(held));
    }
    Ok(Decoder::Text)
}

/// The end of a file's bytes.
fn end(decoder: &mut Decoder, text: &mut TextReader, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    if let Decoder::Sniff(head) = decoder {
        let head = std::mem::take(head);
        *decoder = Decoder::Text;
        text.push(&head, sink);
    }
    match std::mem::replace(decoder, Decoder::Done) {
        Decoder::Text => text.finish(sink),
        Decoder::Gzip(mut gz) => {
            let result = gz.try_finish();
            let out = std::mem::take(gz.get_mut());
            text.push(&out, sink);
            match result {
                Ok(()) => text.finish(sink),
                Err(e) => sink.file_error(FileError::Gzip { detail: e.to_string() }),
            }
        }
        Decoder::HeldParquet(held) => read_held_parquet(held, sink)?,
        Decoder::Parquet(_) | Decoder::Done | Decoder::Sniff(_) => {}
    }
    Ok(())
}

#[cfg(feature = "parquet")]
fn read_held_parquet(mut held: Held, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let mut reader = super::parquet::ParquetReader::new(held.len());
    while let Some(range) = reader.need() {
        let bytes = held.read(range.offset, range.len).map_err(|e| ImportError::Io(e.to_string()))?;
        reader.give(bytes, sink);
    }
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn read_held_parquet(held: Held, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    drop(held);
    sink.file_error(FileError::ParquetNotBuilt);
    Ok(())
}

fn day(seconds: i64) -> String {
    crate::base::calendar::Timestamp::from_unix_seconds(seconds).date().to_string()
}

fn table_dates(data: &load::Loaded, usage_span: Option<(i64, i64)>, rows: &[(SystemTable, usize)]) -> Vec<TableDates> {
    let span = |times: Vec<i64>| (times.iter().min().map(|t| day(*t)), times.iter().max().map(|t| day(*t)));
    let mut out: Vec<TableDates> = Vec::new();
    for table in SystemTable::ALL {
        let count: usize = rows.iter().filter(|(t, _)| *t == table).map(|(_, n)| n).sum();
        if count == 0 {
            continue;
        }
        let (first, last) = match table {
            SystemTable::BillingUsage => (usage_span.map(|s| day(s.0)), usage_span.map(|s| day(s.1))),
            SystemTable::ListPrices => span(data.prices.iter().map(|p| p.start).collect()),
            SystemTable::Jobs => span(data.jobs.iter().map(|j| j.change_time).collect()),
            SystemTable::JobRunTimeline => span(data.runs.iter().map(|r| r.start).collect()),
            SystemTable::JobTaskRunTimeline => span(data.tasks.iter().map(|t| t.start).collect()),
            SystemTable::Clusters => span(data.clusters.iter().map(|c| c.change_time).collect()),
            SystemTable::NodeTimeline => span(data.nodes.iter().map(|n| n.start).collect()),
            SystemTable::InstanceEvents => span(data.instance_events.iter().map(|e| e.time).collect()),
            SystemTable::Warehouses => span(data.warehouses.iter().map(|w| w.change_time).collect()),
            SystemTable::QueryHistory => span(data.queries.iter().map(|q| q.start).collect()),
        };
        out.push(TableDates { table, rows: count, first, last });
    }
    out
}
