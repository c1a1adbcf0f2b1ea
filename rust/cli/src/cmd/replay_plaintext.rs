//! `hush replay --plaintext-for-tests DIR`: the core seals as always (it has
//! no plaintext mode); this test aid plays the collector with its own key and
//! writes what the collector would read into DIR.

use std::path::{Path, PathBuf};

use hush_core::report::Report;
use hush_core::store::RealFs;
use hush_core::Hush;

use crate::gateway::{self, Gateway};

/// DIR/keys/ohttp-keys, generating the key directory on first use.
pub fn ensure_keys(dir: &Path) -> Result<PathBuf, String> {
    let keys_dir = dir.join("keys");
    if !keys_dir.join(gateway::SECRET_FILE).exists() {
        gateway::generate(&keys_dir, None).map_err(|e| e.to_string())?;
    }
    Ok(keys_dir.join(gateway::KEYS_FILE))
}

/// Opens every pending report and writes it to DIR/<day>-<report id>.json.
pub fn open_pending(hush: &Hush, data_dir: &Path, dir: &Path) -> Result<Vec<Report>, String> {
    let gw = Gateway::load(&dir.join("keys")).map_err(|e| e.to_string())?;
    let mut reports = Vec::new();
    for meta in hush.outbox().entries() {
        let body = hush
            .outbox()
            .read(&RealFs, &meta.id)
            .map_err(|e| format!("{}: {e}", data_dir.display()))?;
        let (_opener, request) =
            hush_core::seal::split_pending(&body).ok_or("a pending file is too short")?;
        let (bhttp, _) = gw.open_request(request).map_err(|e| e.to_string())?;
        let message = gateway::decode_request(&bhttp).map_err(|e| e.to_string())?;
        let report =
            Report::from_json(message.content()).map_err(|e| format!("not a report: {e}"))?;
        let path = dir.join(format!("{}-{}.json", report.day, report.report_id));
        std::fs::write(
            &path,
            serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        reports.push(report);
    }
    Ok(reports)
}
