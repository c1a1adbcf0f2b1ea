//! Test-only entry points, compiled only with the `test-hooks` feature that
//! scripts/test enables: the release library has none of these symbols
//! (scripts/bench checks). They let the JVM tests panic on purpose and move
//! the core's clock across midnight.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use hush_core::clock::{Clock, SystemClock};
use jni::jni_mangle;
use jni::objects::{JByteArray, JClass, JString};
use jni::sys::jlong;
use jni::EnvUnowned;

use crate::edge::run;
use crate::jstr;

/// Added to the system clock of every core opened from now on.
static OFFSET_MS: AtomicI64 = AtomicI64::new(0);

struct OffsetClock;

impl Clock for OffsetClock {
    fn now_ms(&self) -> i64 {
        SystemClock
            .now_ms()
            .saturating_add(OFFSET_MS.load(Ordering::SeqCst))
    }
}

pub fn clock() -> Arc<dyn Clock> {
    Arc::new(OffsetClock)
}

/// Panics with `message` inside the edge; the test checks it becomes an
/// exception that does not carry the message.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn test_panic<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, message: JString<'l>) {
    run(env, |env| -> crate::error::Result<()> {
        let message = jstr::read(env, &message, jstr::MAX_URL, "message")?;
        panic!("{}", message.as_str());
    })
}

/// Moves every open core's clock by `delta_ms`.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn test_advance_clock<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, delta_ms: jlong) {
    run(env, |_env| {
        OFFSET_MS.fetch_add(delta_ms, Ordering::SeqCst);
        Ok(())
    })
}

/// Panics inside `registry::with`, that is while the instance's lock is
/// held, as a bug in the core would: the edge turns the panic into an
/// exception and the lock is left poisoned. The test checks what the next
/// calls on that instance, and on others, do.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn test_panic_holding_lock<'l>(env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    run(env, |_env| {
        crate::registry::with(handle, |_instance| -> crate::error::Result<()> {
            panic!("deliberate panic while the instance is locked");
        })
    })
}

/// A DAP task configuration for `schema_json` (null: the shipped schema)
/// whose aggregator keys are random: nobody can open what is sealed to it.
/// For tests that never upload to real aggregators.
#[jni_mangle("dev.hush.internal.NativeBridge")]
pub fn test_task_config<'l>(
    env: EnvUnowned<'l>,
    _class: JClass<'l>,
    schema_json: JString<'l>,
) -> JByteArray<'l> {
    run(env, |env| {
        let text = jstr::read_optional(env, &schema_json, 1 << 20, "schema")?;
        let schema = match text {
            Some(t) => hush_core::schema::Schema::from_json(t.as_str())
                .map_err(|e| crate::error::BridgeError::bad_argument(e.to_string()))?,
            None => hush_core::schema::Schema::default_browser(),
        };
        let plan = hush_core::dap::Plan::new(&schema, hush_core::anonymize::Anonymizer::shipped())
            .map_err(|e| crate::error::BridgeError::bad_argument(e.to_string()))?;
        let mut keys = [[0u8; 32]; 2];
        for k in &mut keys {
            hush_core::random::fill(k);
        }
        let config = hush_core::dap::TaskConfig::for_plan_x25519(
            &plan,
            "https://leader.invalid/",
            "https://helper.invalid/",
            &keys[0],
            &keys[1],
            86_400,
            100,
        )
        .map_err(|e| crate::error::BridgeError::hush(e.to_string()))?;
        env.byte_array_from_slice(config.to_json().as_bytes())
            .map_err(crate::error::BridgeError::from)
    })
}
