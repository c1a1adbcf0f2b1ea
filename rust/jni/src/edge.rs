//! The one safe wrapper every native method goes through (the pattern of
//! libsignal's `run_ffi_safe`, on jni 0.22's `EnvUnowned::with_env` +
//! `ErrorPolicy`): the body runs inside `catch_unwind`; an `Err` becomes the
//! mapped Java exception, a panic becomes a `HushException` with a fixed
//! message, and the method returns a default value the Kotlin side never sees
//! (the exception is pending).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use jni::errors::ErrorPolicy;
use jni::{Env, EnvUnowned};

use crate::classes;
use crate::error::BridgeError;

/// Runs a native method body at the FFI edge.
#[inline(always)]
pub fn run<'local, T: Default>(
    mut env: EnvUnowned<'local>,
    body: impl FnOnce(&mut Env<'local>) -> Result<T, BridgeError>,
) -> T {
    env.with_env(body).resolve::<ThrowJava>()
}

/// Errors and panics become Java exceptions (see the module docs).
pub struct ThrowJava;

impl<T: Default> ErrorPolicy<T, BridgeError> for ThrowJava {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut (),
        err: BridgeError,
    ) -> jni::errors::Result<T> {
        classes::throw(env, &err);
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut (),
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        // The payload may hold anything the panicking code formatted, so it is
        // neither logged nor shown (P11); the panic hook logged the location.
        drop_quietly(payload);
        classes::throw(
            env,
            &BridgeError::hush("internal error in Hush native code (a bug; see the log for where)"),
        );
        Ok(T::default())
    }
}

/// Dropping a payload can itself panic; never let that unwind into the JVM.
fn drop_quietly(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
        std::mem::forget(again);
    }
}
