//! Test-only entry points, compiled only with the `test-hooks` feature that
//! scripts/test enables: the release library has none of these symbols
//! (scripts/bench checks). They let the JVM tests panic on purpose and move
//! the core's clock across midnight.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use hush_core::clock::{Clock, SystemClock};
use jni::jni_mangle;
use jni::objects::{JClass, JString};
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
