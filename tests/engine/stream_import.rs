//! The streaming import (`Importer`): the fixtures fed in chunks of any size give the same
//! database byte for byte; gzip'd fixtures (made here with flate2, one of them in several
//! gzip members, some without a `.gz` name) and the Parquet export of the fixtures
//! (tests/fixtures/system-tables-parquet/, written by tests/spark/write_parquet.py with the
//! real system-table schemas) give the same database as the CSV and JSON Lines fixtures;
//! staging on disk gives the same database as in memory; a cancelled import leaves nothing
//! behind; progress is monotone and ends at the total bytes.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use usage_copilot::data::import::{
    import_files, CancelFlag, FileId, ImportError, ImportOptions, Imported, Importer, Phase, Progress, StagingStore,
};

use crate::hardening_import::assert_same_database;
use crate::import::{fixture_dir, good_files, import, read_files, Files};

/// Feeds `files` to a new importer in chunks of `size` bytes.
fn feed(files: &Files, size: usize, options: ImportOptions) -> Result<Imported, ImportError> {
    let mut importer = Importer::new(options)?;
    for (name, bytes) in files {
        let id = importer.add_file(name, Some(bytes.len() as u64));
        for chunk in bytes.chunks(size) {
            importer.feed(id, chunk)?;
        }
        importer.end_file(id)?;
    }
    importer.finish()
}

fn chunked(files: &Files, size: usize) -> Imported {
    feed(files, size, ImportOptions::default()).unwrap_or_else(|e| panic!("chunks of {size}: {e}"))
}

/// The good fixtures, a bad one and an edited copy with an unterminated quote, a non-UTF-8
/// byte and a BOM: every way a row or file can be reported.
fn varied_files() -> Files {
    let mut files = good_files();
    files.extend(read_files("system-tables-bad"));
    let (_, runs) = good_files().into_iter().find(|(n, _)| n == "export_04.csv").unwrap();
    let mut quote = runs.clone();
    quote.extend_from_slice(
        b"acct,1,1004,8100,2025-11-26T10:00:00Z,2025-11-26T10:30:00Z,ONETIME,JOB_RUN,\"backfill\npart\",\"[\"\"c1\"\"]\n",
    );
    files.push(("runs_quote.csv".to_string(), quote));
    let mut not_utf8 = runs.clone();
    not_utf8.insert(300, 0xff);
    files.push(("runs_not_utf8.csv".to_string(), not_utf8));
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(&runs);
    files.push(("runs_bom.csv".to_string(), bom));
    files
}

#[test]
fn chunks_of_1_7_and_4096_bytes_give_byte_identical_databases() {
    for files in [good_files(), read_files("system-tables-extracted"), varied_files()] {
        let whole = import(&files);
        for size in [1, 7, 4096] {
            let streamed = chunked(&files, size);
            assert_eq!(streamed.report, whole.report, "chunks of {size}");
            assert!(streamed.bytes == whole.bytes, "chunks of {size}: the databases differ");
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// `files` gzip'd: `.csv.gz` / `.jsonl.gz` names except every third file, which keeps its
/// name (recognised by the gzip magic bytes); the billing export in three gzip members.
fn gzipped(files: &Files) -> Files {
    files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| {
            let compressed = if name == "export_01.csv" {
                let third = bytes.len() / 3;
                [gzip(&bytes[..third]), gzip(&bytes[third..2 * third]), gzip(&bytes[2 * third..])].concat()
            } else {
                gzip(bytes)
            };
            let name = if i % 3 == 2 { name.clone() } else { format!("{name}.gz") };
            (name, compressed)
        })
        .collect()
}

#[test]
fn gzipped_fixtures_import_to_the_same_database() {
    let plain = import(&good_files());
    let files = gzipped(&good_files());
    for size in [1, 7, 4096, usize::MAX] {
        let imported = chunked(&files, size);
        assert_same_database(&plain, &imported);
        let formats: Vec<&str> = imported.report.files.iter().map(|f| f.format.as_str()).collect();
        assert_eq!(formats, ["csv", "jsonl", "csv", "csv", "jsonl", "csv", "csv", "csv", "jsonl", "csv"], "chunks of {size}");
        assert_eq!(imported.report.files[0].name, "export_01.csv.gz");
        assert_eq!(imported.report.files[0].rows, 28);
    }
    let extracts = read_files("system-tables-extracted");
    assert_same_database(&import(&extracts), &import(&gzipped(&extracts)));
}

#[test]
fn a_truncated_or_corrupt_gzip_file_is_refused_and_the_rest_imports() {
    let mut files = gzipped(&good_files());
    let (_, usage) = files.iter_mut().find(|(n, _)| n == "export_01.csv.gz").unwrap();
    usage.truncate(usage.len() - 20);
    let (_, jobs) = files.iter_mut().find(|(n, _)| n == "export_04.csv.gz").unwrap();
    let middle = jobs.len() / 2;
    jobs[middle] ^= 0x55;
    let imported = chunked(&files, 4096);
    for name in ["export_01.csv.gz", "export_04.csv.gz"] {
        let f = imported.report.files.iter().find(|f| f.name == name).unwrap();
        let error = f.error.as_deref().unwrap_or_else(|| panic!("{name} is not refused: {f:?}"));
        assert!(error.starts_with("the file starts as gzip but does not decompress"), "{name}: {error}");
        assert_eq!((f.table, f.rows, f.imported), (None, 0, 0), "{name}");
    }
    let conn = imported.db.conn();
    assert_eq!(crate::common::int(conn, "SELECT COUNT(*) FROM compute_usage"), 0, "no billing rows of the truncated file");
    assert_eq!(crate::common::int(conn, "SELECT COUNT(*) FROM jobs"), 5);
}

fn parquet_files() -> Files {
    let dir = fixture_dir("system-tables-parquet");
    let mut files: Files = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10, "the Parquet export of the ten fixture tables");
    files
}

#[cfg(feature = "parquet")]
#[test]
fn the_parquet_export_of_the_fixtures_gives_the_same_figures() {
    let csv = import(&good_files());
    // Fed in chunks (held, then read at the end of each file)…
    let fed = chunked(&parquet_files(), 4096);
    assert_same_database(&csv, &fed);
    for (f, expected) in fed.report.files.iter().zip(&csv.report.files) {
        assert_eq!(
            (f.format.as_str(), f.table, f.rows, f.imported),
            ("parquet", expected.table, expected.rows, expected.imported),
            "{}",
            f.name
        );
        assert!(f.malformed.is_empty() && f.error.is_none(), "{f:?}");
    }
    let g = &fed.report.gaps;
    assert_eq!((g.total_cost, g.unattributed_cost, g.attributable_by_tasks_cost, g.evictions), (25.7, 16.7, 3.0, 1));
    // …or read by ranges, as the browser does with File.slice: the same database.
    let mut importer = Importer::new(ImportOptions::default()).unwrap();
    let mut asked = 0;
    for (name, bytes) in parquet_files() {
        let id = importer.add_parquet(&name, bytes.len() as u64);
        while let Some((offset, len)) = importer.parquet_need(id) {
            asked += 1;
            importer.parquet_give(id, bytes[offset as usize..(offset + len) as usize].to_vec()).unwrap();
        }
        importer.end_file(id).unwrap();
    }
    assert_eq!(asked, 30, "per file: its tail, its footer and its one row group");
    let ranged = importer.finish().unwrap();
    assert!(ranged.bytes == fed.bytes, "by ranges and fed in chunks give the same database");
    // Natively, copilot import reads Parquet by ranges from the file.
    let mut importer = Importer::new(ImportOptions::default()).unwrap();
    for (name, _) in parquet_files() {
        importer.add_path(&fixture_dir("system-tables-parquet").join(name)).unwrap();
    }
    assert!(importer.finish().unwrap().bytes == fed.bytes);
}

#[cfg(feature = "parquet")]
#[test]
fn a_zstd_parquet_file_is_refused_naming_its_codec() {
    let mut files = good_files();
    files.retain(|(n, _)| n != "export_09.jsonl");
    let zstd = std::fs::read(fixture_dir("system-tables-bad").join("warehouses_zstd.parquet")).unwrap();
    files.push(("warehouses_zstd.parquet".to_string(), zstd));
    let imported = import(&files);
    let f = imported.report.files.iter().find(|f| f.name == "warehouses_zstd.parquet").unwrap();
    assert_eq!(
        f.error.as_deref(),
        Some("the file is Parquet but cannot be read (it is compressed with ZSTD, which the importer does not read: write it with Snappy or gzip)")
    );
}

#[cfg(not(feature = "parquet"))]
#[test]
fn without_the_parquet_feature_a_parquet_file_is_refused_with_a_reason() {
    let mut files = good_files();
    files.push(parquet_files().remove(0));
    let imported = import(&files);
    let f = imported.report.files.iter().find(|f| f.name == "export_01.parquet").unwrap();
    assert!(f.error.as_deref().unwrap().contains("does not read"), "{f:?}");
}

/// A fresh empty directory for one test's staging files.
fn staging_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("usage-copilot-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries(dir: &PathBuf) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn staging_on_disk_gives_the_same_database_as_in_memory() {
    let dir = staging_dir("disk");
    let mut files = varied_files();
    files.extend(parquet_files().into_iter().take(1).map(|(n, b)| (format!("z_{n}"), b)));
    let memory = chunked(&files, 4096);
    let disk = feed(&files, 4096, ImportOptions { staging: StagingStore::Directory(dir.clone()), ..ImportOptions::default() }).unwrap();
    assert!(disk.bytes == memory.bytes);
    assert_eq!(entries(&dir), Vec::<String>::new(), "the staging file is removed");
    std::fs::remove_dir(&dir).unwrap();
}

#[test]
fn a_cancelled_import_leaves_nothing_behind() {
    let dir = staging_dir("cancel");
    let disk = || StagingStore::Directory(dir.clone());
    let files = good_files();

    // Cancelled between chunks: the next call says so, and the staging file is gone.
    let cancel = CancelFlag::default();
    let mut importer = Importer::new(ImportOptions { staging: disk(), cancel: Some(cancel.clone()), on_progress: None }).unwrap();
    let id = importer.add_file(&files[0].0, None);
    importer.feed(id, &files[0].1[..5000]).unwrap();
    assert_eq!(entries(&dir).len(), 1, "the staging database is on disk while the import runs");
    cancel.cancel();
    assert!(matches!(importer.feed(id, &files[0].1[5000..]), Err(ImportError::Cancelled)));
    assert_eq!(entries(&dir), Vec::<String>::new());
    assert!(matches!(importer.finish(), Err(ImportError::Cancelled)));

    // Cancelled while finishing (from the progress callback, as a worker's message would).
    let cancel = CancelFlag::default();
    let flag = cancel.clone();
    let on_progress = Box::new(move |p: &Progress| {
        if p.phase == Phase::Billing {
            flag.cancel();
        }
    });
    let result = feed(&files, 4096, ImportOptions { staging: disk(), cancel: Some(cancel), on_progress: Some(on_progress) });
    assert!(matches!(result, Err(ImportError::Cancelled)), "{:?}", result.err());
    assert_eq!(entries(&dir), Vec::<String>::new());

    // A Parquet file fed in chunks is held beside the staging database; dropping the
    // importer (the caller stopped feeding) removes both.
    let mut importer = Importer::new(ImportOptions { staging: disk(), ..ImportOptions::default() }).unwrap();
    let (name, bytes) = parquet_files().remove(0);
    let id = importer.add_file(&name, Some(bytes.len() as u64));
    importer.feed(id, &bytes[..1000]).unwrap();
    assert_eq!(entries(&dir).len(), if cfg!(feature = "parquet") { 2 } else { 1 });
    drop(importer);
    assert_eq!(entries(&dir), Vec::<String>::new());
    std::fs::remove_dir(&dir).unwrap();
}

#[test]
fn progress_is_monotone_and_ends_at_the_total_bytes() {
    let files = gzipped(&good_files());
    let total: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let log = Arc::clone(&seen);
    let options =
        ImportOptions { on_progress: Some(Box::new(move |p: &Progress| log.lock().unwrap().push(p.clone()))), ..Default::default() };
    let mut importer = Importer::new(options).unwrap();
    let ids: Vec<FileId> = files.iter().map(|(n, b)| importer.add_file(n, Some(b.len() as u64))).collect();
    // Interleaved: a chunk of each file in turn.
    let mut offsets = vec![0; files.len()];
    while offsets.iter().zip(&files).any(|(o, (_, b))| *o < b.len()) {
        for (i, (_, bytes)) in files.iter().enumerate() {
            let end = (offsets[i] + 333).min(bytes.len());
            if offsets[i] < end {
                let p = importer.feed(ids[i], &bytes[offsets[i]..end]).unwrap();
                assert_eq!((p.total_bytes, p.phase), (total, Phase::Reading));
                offsets[i] = end;
            }
        }
    }
    for id in ids {
        importer.end_file(id).unwrap();
    }
    let imported = importer.finish().unwrap();
    assert_same_database(&import(&good_files()), &imported);
    let seen = seen.lock().unwrap();
    assert!(seen.windows(2).all(|w| w[0].bytes <= w[1].bytes && w[0].rows <= w[1].rows && w[0].phase <= w[1].phase), "not monotone");
    let last = seen.last().unwrap();
    assert_eq!((last.phase, last.bytes, last.total_bytes, last.files_done), (Phase::Done, total, total, 10));
    assert_eq!(last.rows, 161, "every data row of the ten fixtures");
    let phases: std::collections::BTreeSet<Phase> = seen.iter().map(|p| p.phase).collect();
    assert_eq!(
        phases.into_iter().collect::<Vec<_>>(),
        [Phase::Reading, Phase::Deduplicating, Phase::Billing, Phase::Mapping, Phase::Writing, Phase::Done]
    );
}

#[test]
fn calls_out_of_order_are_errors_not_panics() {
    let mut importer = Importer::new(ImportOptions::default()).unwrap();
    let id = importer.add_file("a.csv", None);
    importer.end_file(id).unwrap();
    assert!(matches!(importer.feed(id, b"x"), Err(ImportError::Call(_))));
    assert!(matches!(importer.feed(FileId(7), b"x"), Err(ImportError::Call(_))));
    assert!(matches!(importer.finish(), Err(ImportError::NothingRecognised(_))));
    // import_files is the same importer, fed whole files.
    assert!(import_files(&good_files()).unwrap().bytes == chunked(&good_files(), usize::MAX).bytes);
}
