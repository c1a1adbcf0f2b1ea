//! The native methods of `dev.hush.internal.NativeBridge`. Each one only
//! names its arguments and hands its body to [`edge::run`]; the bodies check
//! every argument, resolve the handle in the [`registry`], call the core, and
//! build Java values after the core's lock is released.
//!
//! `unsafe_code` is allowed here only for the unmangled symbol names the JVM
//! resolves (`#[jni_mangle]` expands to `#[unsafe(export_name)]`); the
//! bodies hold no `unsafe`.
#![allow(unsafe_code)]

use std::path::PathBuf;

use hush_core::anonymize::Environment;
use hush_core::ohttp::KeyConfigs;
use hush_core::schema::{Incognito, Schema};
use hush_core::tabs::TabId;
use hush_core::upload::{UploadResult, UploadTask};
use hush_core::{Config, Hush, RecordError};
use jni::jni_mangle;
use jni::objects::{JByteArray, JClass, JObject, JString};
use jni::refs::Reference as _;
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};

use crate::classes::{self, TASK_DONE, TASK_UPLOAD, TASK_WAIT};
use crate::convert::{index, non_negative, optional_i64};
use crate::edge::run;
use crate::error::{BridgeError, Result};
use crate::instance::{kind_code, recorded, Instance};
use crate::jstr::{self, MAX_NAME, MAX_SCHEMA, MAX_SETTING, MAX_URL};
use crate::registry;
use crate::transport;

/// A pinned key configuration is a few hundred bytes; refuse anything huge.
const MAX_KEY_CONFIG: usize = 64 * 1024;
/// A DAP task configuration: about 7 KB for the shipped schema.
const MAX_TASK_CONFIG: usize = 256 * 1024;
/// A collector's answer is a sealed status line and a few bytes.
const MAX_ANSWER: usize = 1024 * 1024;

// ----- lifecycle -----

#[allow(clippy::too_many_arguments)]
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn open<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    data_dir: JString<'l>,
    schema_json: JString<'l>,
    key_config: JByteArray<'l>,
    gateway_url: JString<'l>,
    relay_url: JString<'l>,
    task_config: JByteArray<'l>,
    direct_to_collector: jboolean,
    app_version: JString<'l>,
    android_api_level: jint,
    locale: JString<'l>,
    collection_enabled: jint,
    enhanced_incognito: jboolean,
) -> jlong {
    run(env, |env| {
        let dir = jstr::read_non_empty(env, &data_dir, MAX_SETTING, "data directory")?;
        let schema = jstr::read_optional(env, &schema_json, MAX_SCHEMA, "schema")?;
        let keys = read_bytes(env, &key_config, MAX_KEY_CONFIG, "key configuration")?;
        let gateway = jstr::read_non_empty(env, &gateway_url, MAX_SETTING, "gateway URL")?;
        let relay = jstr::read_optional(env, &relay_url, MAX_SETTING, "relay URL")?;
        let tasks = read_bytes(env, &task_config, MAX_TASK_CONFIG, "task configuration")?;
        let version = jstr::read_non_empty(env, &app_version, MAX_SETTING, "app version")?;
        let locale = jstr::read_non_empty(env, &locale, MAX_SETTING, "locale")?;
        let api = u32::try_from(android_api_level)
            .map_err(|_| BridgeError::bad_argument("Android API level must not be negative"))?;
        let collection = match collection_enabled {
            -1 => None,
            0 => Some(false),
            1 => Some(true),
            _ => {
                return Err(BridgeError::bad_argument(
                    "collection setting must be -1, 0 or 1",
                ))
            }
        };

        let keys = KeyConfigs::parse(&keys).map_err(|_| {
            BridgeError::bad_argument("key configuration is not valid application/ohttp-keys")
        })?;
        let endpoints = transport::endpoints(
            gateway.as_str(),
            relay.as_ref().map(|r| r.as_str()),
            direct_to_collector,
        )?;
        let environment =
            Environment::coarse(version.as_str(), api, locale.as_str()).map_err(|_| {
                BridgeError::bad_argument(
                    "app version must be major.minor[...] and locale a language tag",
                )
            })?;
        let schema = match schema {
            Some(text) => Schema::from_json(text.as_str())
                .map_err(|e| BridgeError::bad_argument(e.to_string()))?,
            None => Schema::default_browser(),
        };

        let dir = PathBuf::from(dir.as_str());
        std::fs::create_dir_all(&dir)
            .map_err(|e| BridgeError::hush(format!("data directory could not be created: {e}")))?;
        let dir = dir
            .canonicalize()
            .map_err(|e| BridgeError::hush(format!("data directory could not be resolved: {e}")))?;
        let mut config = Config::new(dir.clone(), keys, endpoints, tasks, environment);
        config.schema = schema;
        config.collection_enabled = collection;
        config.enhanced_incognito = enhanced_incognito;
        #[cfg(feature = "test-hooks")]
        {
            config.clock = crate::test_hooks::clock();
        }
        let handle = registry::insert(&dir, || {
            let hush = Hush::open(config)?;
            Ok(Instance::new(hush, dir.clone()))
        })?;
        log::info!("opened");
        Ok(handle)
    })
}

/// Frees the core. Checkpointing first is the Kotlin side's job (it does so
/// on its I/O thread); a second close is an `IllegalStateException`.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn close<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    run(env, |_env| {
        let instance = registry::remove(handle)?;
        drop(instance);
        log::info!("closed");
        Ok(())
    })
}

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn checkpoint<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    run(env, |_env| {
        // Seal and serialize under the core's lock; write and fsync after
        // releasing it, so the UI thread's recording calls never wait on disk.
        let write = registry::with(handle, |i| Ok(i.hush.prepare_checkpoint()?))?;
        if let Some(write) = write {
            write.commit().map_err(hush_core::StoreError::from)?;
        }
        Ok(())
    })
}

// ----- tabs and settings -----

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn open_tab<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    private: jboolean,
) -> jlong {
    run(env, |_env| {
        registry::with(handle, |i| Ok(i.hush.open_tab(private)?.to_raw() as jlong))
    })
}

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn close_tab<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong, tab: jlong) {
    run(env, |_env| {
        registry::with(handle, |i| {
            Ok(i.hush.close_tab(TabId::from_raw(tab as u64))?)
        })
    })
}

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn set_collection_enabled<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    enabled: jboolean,
) {
    run(env, |_env| {
        registry::with(handle, |i| Ok(i.hush.set_collection_enabled(enabled)?))
    })
}

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn set_enhanced_incognito<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    enabled: jboolean,
) {
    run(env, |_env| {
        registry::with(handle, |i| {
            i.hush.set_enhanced_incognito(enabled);
            Ok(())
        })
    })
}

// ----- recording (the UI thread's path: one lock, no allocation but the URL) -----

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn page_loaded<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    tab: jlong,
    url: JString<'l>,
    load_ms: jlong,
) {
    run(env, |env| {
        let load_ms = non_negative(load_ms, "load time")?;
        let tab = TabId::from_raw(tab as u64);
        if private_tab(handle, tab, &url)? {
            return Ok(());
        }
        let url = jstr::read_non_empty(env, &url, MAX_URL, "URL")?;
        registry::with(handle, |i| {
            recorded(i.hush.page_loaded(tab, url.as_bytes(), load_ms))
        })
    })
}

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn searched<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    tab: jlong,
    url: JString<'l>,
) {
    run(env, |env| {
        let tab = TabId::from_raw(tab as u64);
        if private_tab(handle, tab, &url)? {
            return Ok(());
        }
        let url = jstr::read_non_empty(env, &url, MAX_URL, "URL")?;
        registry::with(handle, |i| recorded(i.hush.searched(tab, url.as_bytes())))
    })
}

/// P1 at the edge: a private tab's URL is never copied into native memory.
/// A null URL is still the caller's bug, private tab or not; a closed tab is
/// an error before anything is read.
fn private_tab(handle: jlong, tab: TabId, url: &JString) -> Result<bool> {
    if url.is_null() {
        return Err(BridgeError::bad_argument("URL is null"));
    }
    registry::with(handle, |i| Ok(i.hush.is_private(tab)?))
}

/// Resolves a metric name once: `index | kind << 32`.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn metric<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    name: JString<'l>,
) -> jlong {
    run(env, |env| {
        let name = jstr::read_non_empty(env, &name, MAX_NAME, "metric name")?;
        registry::with(handle, |i| {
            let id = i.hush.metric(name.as_str())?;
            let def = i.hush.schema().get(id).ok_or(RecordError::UnknownMetric)?;
            let kind = kind_code(&def.kind);
            Ok((i64::from(kind) << 32) | id.index() as i64)
        })
    })
}

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn add<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    tab: jlong,
    metric: jint,
    n: jlong,
) {
    run(env, |_env| {
        let n = non_negative(n, "count")?;
        let metric = index(metric)?;
        registry::with(handle, |i| {
            let id = i.metric(metric)?;
            recorded(i.hush.add(TabId::from_raw(tab as u64), id, n))
        })
    })
}

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn add_label<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    tab: jlong,
    metric: jint,
    label: JString<'l>,
    n: jlong,
) {
    run(env, |env| {
        let label = jstr::read_non_empty(env, &label, MAX_NAME, "label")?;
        let n = non_negative(n, "count")?;
        let metric = index(metric)?;
        registry::with(handle, |i| {
            let id = i.metric(metric)?;
            recorded(
                i.hush
                    .add_label(TabId::from_raw(tab as u64), id, label.as_str(), n),
            )
        })
    })
}

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn set_boolean<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    tab: jlong,
    metric: jint,
    value: jboolean,
) {
    run(env, |_env| {
        let metric = index(metric)?;
        registry::with(handle, |i| {
            let id = i.metric(metric)?;
            recorded(i.hush.set_boolean(TabId::from_raw(tab as u64), id, value))
        })
    })
}

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn accumulate<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    tab: jlong,
    metric: jint,
    value: jlong,
) {
    run(env, |_env| {
        let value = non_negative(value, "sample")?;
        let metric = index(metric)?;
        registry::with(handle, |i| {
            let id = i.metric(metric)?;
            recorded(i.hush.accumulate(TabId::from_raw(tab as u64), id, value))
        })
    })
}

// ----- transparency (P13) -----

/// The open window's report as JSON (the core's `Report` shape).
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn pending_report<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) -> JString<'l> {
    run(env, |env| {
        let json = registry::with(handle, |i| Ok(i.hush.pending_report().to_json()))?;
        new_string(env, json)
    })
}

/// What became of sealed reports (P13), as JSON: hush-core's `SentRecord`s
/// (`day`, `outcome`, `reports`, `attempts`, `last_answer`), oldest first.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn sent_history<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) -> JString<'l> {
    run(env, |env| {
        let json = registry::with(handle, |i| {
            serde_json::to_vec(i.hush.sent_history())
                .map_err(|_| BridgeError::hush("history could not be encoded"))
        })?;
        new_string(env, json)
    })
}

/// Every sealed report waiting to be sent, in plain words (P13), as JSON:
/// hush-core's `transparency::PendingUpload`s (`day`, `metric`, `holds`,
/// `state` and its `attempts`, `not_before_ms`, `last_answer`), oldest first.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn pending_uploads<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) -> JString<'l> {
    run(env, |env| {
        let json = registry::with(handle, |i| {
            serde_json::to_vec(&i.hush.pending_uploads())
                .map_err(|_| BridgeError::hush("pending uploads could not be encoded"))
        })?;
        new_string(env, json)
    })
}

/// The schema as JSON: `[{"name", "type", "description", "incognito"}]`,
/// so Kotlin can describe a report in the schema's own words.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn schema_info<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) -> JString<'l> {
    run(env, |env| {
        let json = registry::with(handle, |i| {
            let metrics: Vec<_> = i
                .hush
                .schema()
                .metrics()
                .map(|(_, d)| {
                    serde_json::json!({
                        "name": d.name,
                        "type": d.kind.type_name(),
                        "description": d.description,
                        "incognito": if d.incognito == Incognito::Aggregate { "aggregate" } else { "never" },
                    })
                })
                .collect();
            Ok(serde_json::to_vec(&metrics).unwrap_or_default())
        })?;
        new_string(env, json)
    })
}

// ----- uploads: the core decides, Kotlin does HTTP -----

#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn next_upload<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) -> JObject<'l> {
    run(env, |env| {
        let task = registry::with(handle, |i| Ok(i.hush.next_upload()?))?;
        let null = JString::null();
        match task {
            UploadTask::Done => {
                classes::new_upload_task(env, TASK_DONE, -1, &null, &null, &null, &JObject::null())
            }
            UploadTask::Wait(ms) => {
                let ms = i64::try_from(ms).unwrap_or(i64::MAX);
                classes::new_upload_task(env, TASK_WAIT, ms, &null, &null, &null, &JObject::null())
            }
            UploadTask::Upload(request) => {
                let id = JString::from_str(env, &request.id)?;
                let url = JString::from_str(env, &request.url)?;
                let headers: String = request
                    .headers
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}\n"))
                    .collect();
                let headers = JString::from_str(env, headers)?;
                let body = env.byte_array_from_slice(&request.body)?;
                classes::new_upload_task(env, TASK_UPLOAD, 0, &id, &url, &headers, &body)
            }
        }
    })
}

/// `status < 0`: no HTTP answer (transport error). `retry_after_ms < 0`: none.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn upload_finished<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    id: JString<'l>,
    status: jint,
    body: JByteArray<'l>,
    retry_after_ms: jlong,
) {
    run(env, |env| {
        let id = jstr::read_non_empty(env, &id, MAX_NAME, "upload id")?;
        let result = if status < 0 {
            UploadResult::TransportError
        } else {
            let status = u16::try_from(status)
                .ok()
                .filter(|s| (100..=999).contains(s))
                .ok_or_else(|| BridgeError::bad_argument("HTTP status must be 100-999"))?;
            let body = if body.is_null() {
                Vec::new()
            } else {
                read_bytes(env, &body, MAX_ANSWER, "response body")?
            };
            UploadResult::Http {
                status,
                body,
                retry_after_ms: optional_i64(retry_after_ms),
            }
        };
        let write = registry::with(handle, |i| {
            i.hush.upload_finished(id.as_str(), result)?;
            Ok(i.hush.prepare_checkpoint()?)
        })?;
        // Persist the retry state after releasing the core's lock.
        if let Some(write) = write {
            write.commit().map_err(hush_core::StoreError::from)?;
        }
        Ok(())
    })
}

// ----- helpers -----

fn read_bytes(env: &Env, array: &JByteArray, max: usize, what: &'static str) -> Result<Vec<u8>> {
    if array.is_null() {
        return Err(BridgeError::bad_argument(format!("{what} is null")));
    }
    let len = array.len(env)?;
    if len > max {
        return Err(BridgeError::bad_argument(format!(
            "{what} is larger than {max} bytes"
        )));
    }
    Ok(env.convert_byte_array(array)?)
}

fn new_string<'l>(env: &mut Env<'l>, utf8_json: Vec<u8>) -> Result<JString<'l>> {
    let text =
        String::from_utf8(utf8_json).map_err(|_| BridgeError::hush("report is not UTF-8"))?;
    Ok(JString::from_str(env, text)?)
}

// ----- library load -----

/// Runs on the thread that calls `System.loadLibrary`: logging, the panic
/// hook, and every class the edge will need (see [`classes`]). A failure
/// fails the load (`UnsatisfiedLinkError`) instead of a later crash.
#[allow(non_snake_case)]
#[unsafe(no_mangle)]
pub extern "system" fn JNI_OnLoad(
    vm: *mut jni::sys::JavaVM,
    _reserved: *mut std::ffi::c_void,
) -> jint {
    let loaded = std::panic::catch_unwind(|| {
        crate::logging::init();
        if vm.is_null() {
            return false;
        }
        // SAFETY: the JVM passes JNI_OnLoad its own, live JavaVM pointer,
        // and every JVM we load into supports JNI >= 1.6.
        let vm = unsafe { jni::vm::JavaVM::from_raw(vm) };
        // The loading thread is attached already; this only borrows its env.
        vm.attach_current_thread(classes::init)
            .map_err(|e| log::error!("JNI_OnLoad: class lookup failed: {e}"))
            .is_ok()
    });
    match loaded {
        Ok(true) => jni::sys::JNI_VERSION_1_6,
        _ => jni::sys::JNI_ERR,
    }
}
