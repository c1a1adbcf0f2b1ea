//! Classes and method ids the edge needs, looked up once in `JNI_OnLoad` on
//! the thread that loads the library. There `FindClass` uses the class loader
//! of `dev.hush.internal.NativeBridge`; on Android, a `FindClass` from the
//! library's background thread would only see the system class loader. No
//! other code looks a class up.
#![allow(unsafe_code)]

use std::sync::OnceLock;

use jni::ids::JMethodID;
use jni::objects::{JClass, JObject, JString};
use jni::refs::Global;
use jni::sys::{jint, jlong, jvalue};
use jni::{jni_sig, jni_str, Env};

use crate::error::{BridgeError, Kind};

pub struct Classes {
    illegal_argument: Global<JClass<'static>>,
    illegal_state: Global<JClass<'static>>,
    hush_exception: Global<JClass<'static>>,
    upload_task: Global<JClass<'static>>,
    /// `NativeUploadTask(int kind, long waitMs, String id, String url, String headers, byte[] body)`
    upload_task_ctor: JMethodID,
}

static CLASSES: OnceLock<Classes> = OnceLock::new();

/// Called from `JNI_OnLoad` only.
pub fn init(env: &mut Env) -> jni::errors::Result<()> {
    if CLASSES.get().is_some() {
        return Ok(());
    }
    let global = |env: &mut Env, name| -> jni::errors::Result<Global<JClass<'static>>> {
        let local = env.find_class(name)?;
        env.new_global_ref(&local)
    };
    let illegal_argument = global(env, jni_str!("java/lang/IllegalArgumentException"))?;
    let illegal_state = global(env, jni_str!("java/lang/IllegalStateException"))?;
    let hush_exception = global(env, jni_str!("dev/hush/HushException"))?;
    let upload_task = global(env, jni_str!("dev/hush/internal/NativeUploadTask"))?;
    let upload_task_ctor = env.get_method_id(
        &upload_task,
        jni_str!("<init>"),
        jni_sig!("(IJLjava/lang/String;Ljava/lang/String;Ljava/lang/String;[B)V"),
    )?;
    let _ = CLASSES.set(Classes {
        illegal_argument,
        illegal_state,
        hush_exception,
        upload_task,
        upload_task_ctor,
    });
    Ok(())
}

fn get() -> Option<&'static Classes> {
    CLASSES.get()
}

/// Throws the Java exception for `err`. Does nothing if one is pending.
pub fn throw(env: &mut Env, err: &BridgeError) {
    if env.exception_check() {
        return;
    }
    let Some(classes) = get() else {
        // Unreachable once JNI_OnLoad succeeded (it fails the load otherwise).
        let _ = env.throw(jni_str!("hush: native library not initialised"));
        return;
    };
    let class = match err.kind {
        Kind::BadArgument => &classes.illegal_argument,
        Kind::Misuse => &classes.illegal_state,
        Kind::Hush => &classes.hush_exception,
    };
    let message = jni::strings::JNIString::new(&*err.message);
    let raw = env.get_raw();
    // SAFETY: `raw` is the current thread's live JNIEnv (borrowed from `env`
    // for this call); no exception is pending (checked above); `class` is a
    // global reference to a Throwable subclass with a (String) constructor,
    // kept alive by the static cache; `message` is NUL-terminated modified
    // UTF-8 that outlives the call.
    let rc = unsafe { ((**raw).v1_1.ThrowNew)(raw, class.as_raw(), message.as_ptr()) };
    if rc != 0 {
        log::error!("could not throw a Java exception (rc {rc})");
    }
}

/// What `NativeUploadTask.kind` means; mirrored in Kotlin.
pub const TASK_DONE: jint = 0;
pub const TASK_WAIT: jint = 1;
pub const TASK_UPLOAD: jint = 2;

/// Builds a `dev.hush.internal.NativeUploadTask`.
pub fn new_upload_task<'local>(
    env: &mut Env<'local>,
    kind: jint,
    wait_ms: jlong,
    id: &JString,
    url: &JString,
    headers: &JString,
    body: &JObject,
) -> crate::error::Result<JObject<'local>> {
    let classes = get().ok_or_else(|| BridgeError::hush("native library not initialised"))?;
    let args = [
        jvalue { i: kind },
        jvalue { j: wait_ms },
        jvalue { l: id.as_raw() },
        jvalue { l: url.as_raw() },
        jvalue {
            l: headers.as_raw(),
        },
        jvalue { l: body.as_raw() },
    ];
    // SAFETY: the constructor id was looked up on this very class with the
    // signature (IJLjava/lang/String;Ljava/lang/String;Ljava/lang/String;[B)V,
    // and `args` has exactly those six types in that order (null objects are
    // allowed by the Kotlin constructor).
    let obj =
        unsafe { env.new_object_unchecked(&classes.upload_task, classes.upload_task_ctor, &args) }?;
    Ok(obj)
}
