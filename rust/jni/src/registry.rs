//! Open cores, by opaque handle. Java holds a `long` made of a tag, a slot
//! index and the slot's generation; every call checks all three, so a closed,
//! stale or forged handle is an `IllegalStateException`, never a pointer
//! dereference. Each slot is its own mutex around the core (the core is
//! `&mut self`), so one lock is taken per call.
//!
//! The table starts all zero (no close yet, no instance: a null box), so it
//! lives in `.bss` and costs the library nothing on disk; each slot is a
//! few words, the instance itself is boxed when it is opened.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::error::{BridgeError, Result};
use crate::instance::Instance;

/// Open instances at once. An app has one; tests open a few.
const SLOTS: usize = 64;
/// High 16 bits of every handle, so small or random longs never validate.
const TAG: u64 = 0x4855 << 48;
const INDEX_BITS: u32 = 8;

struct Slot {
    /// Closes so far, wrapping back to 0 after `u32::MAX - 1`; the handles'
    /// generation is one more, so a handle is never 0.
    closes: u32,
    instance: Option<Box<Instance>>,
}

impl Slot {
    fn generation(&self) -> u32 {
        self.closes + 1
    }
}

static TABLE: [Mutex<Slot>; SLOTS] = [const {
    Mutex::new(Slot {
        closes: 0,
        instance: None,
    })
}; SLOTS];

/// Serialises open/close and holds the data directories in use: two cores on
/// one directory would overwrite each other's files.
static OPEN_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn encode(index: usize, generation: u32) -> i64 {
    (TAG | (u64::from(generation) << INDEX_BITS) | index as u64) as i64
}

fn decode(handle: i64) -> Result<(usize, u32)> {
    let raw = handle as u64;
    let index = (raw & ((1 << INDEX_BITS) - 1)) as usize;
    let generation = ((raw >> INDEX_BITS) & u64::from(u32::MAX)) as u32;
    let tag_ok = raw & (0xffff << 48) == TAG && (raw >> (INDEX_BITS + 32)) & 0xff == 0;
    if !tag_ok || index >= SLOTS || generation == 0 {
        return Err(closed());
    }
    Ok((index, generation))
}

fn closed() -> BridgeError {
    BridgeError::misuse("Hush instance is closed or unknown")
}

/// Opens a core with `open` and files it under a new handle. `data_dir`
/// must be the canonical path of the directory `open` uses.
pub fn insert(data_dir: &Path, open: impl FnOnce() -> Result<Instance>) -> Result<i64> {
    let mut dirs = OPEN_DIRS.lock().unwrap_or_else(PoisonError::into_inner);
    if dirs.iter().any(|d| d == data_dir) {
        return Err(BridgeError::misuse(
            "a Hush instance is already open on this data directory",
        ));
    }
    let instance = open()?;
    for (index, slot) in TABLE.iter().enumerate() {
        let mut slot = lock_any(slot);
        if slot.instance.is_none() {
            slot.instance = Some(Box::new(instance));
            dirs.push(data_dir.to_path_buf());
            return Ok(encode(index, slot.generation()));
        }
    }
    Err(BridgeError::misuse("too many open Hush instances"))
}

/// Runs `f` on the instance behind `handle`, under its lock.
#[inline]
pub fn with<T>(handle: i64, f: impl FnOnce(&mut Instance) -> Result<T>) -> Result<T> {
    let (index, generation) = decode(handle)?;
    let mut slot = match TABLE[index].lock() {
        Ok(slot) => slot,
        Err(poisoned) => {
            let slot = poisoned.into_inner();
            if slot.generation() == generation && slot.instance.is_some() {
                // A panic left the core half-way through a change: fail
                // closed rather than record from an inconsistent state.
                return Err(BridgeError::misuse(
                    "Hush instance stopped after an internal error; close it and start again",
                ));
            }
            slot
        }
    };
    if slot.generation() != generation {
        return Err(closed());
    }
    match slot.instance.as_mut() {
        Some(instance) => f(instance),
        None => Err(closed()),
    }
}

/// Takes the instance out and retires the handle. The caller drops it
/// (outside every lock).
pub fn remove(handle: i64) -> Result<Instance> {
    let (index, generation) = decode(handle)?;
    let mut dirs = OPEN_DIRS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut slot = lock_any(&TABLE[index]);
    if slot.generation() != generation || slot.instance.is_none() {
        return Err(closed());
    }
    let instance = *slot.instance.take().ok_or_else(closed)?;
    slot.closes = if slot.closes == u32::MAX - 1 {
        0
    } else {
        slot.closes + 1
    };
    TABLE[index].clear_poison();
    dirs.retain(|d| d != &instance.data_dir);
    Ok(instance)
}

/// Locks a slot for open/close, which reset its state either way.
fn lock_any(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_round_trip_and_forged_ones_fail() {
        for (index, generation) in [(0, 1), (63, 7), (5, u32::MAX)] {
            let h = encode(index, generation);
            assert!(h > 0);
            assert_eq!(decode(h).unwrap(), (index, generation));
        }
        for forged in [0, 1, -1, i64::MAX, 42 << 32, encode(0, 1) ^ (1 << 60)] {
            assert!(decode(forged).is_err(), "{forged:#x}");
        }
        // Index beyond the table, and generation 0, never validate.
        assert!(decode((TAG | (1 << INDEX_BITS) | 200) as i64).is_err());
        assert!(decode(TAG as i64).is_err());
    }

    #[test]
    fn generations_run_1_to_max_then_wrap_to_1() {
        let mut slot = Slot {
            closes: 0,
            instance: None,
        };
        assert_eq!(slot.generation(), 1);
        slot.closes = u32::MAX - 1;
        assert_eq!(slot.generation(), u32::MAX);
        // What `remove` does on a close.
        slot.closes = if slot.closes == u32::MAX - 1 {
            0
        } else {
            slot.closes + 1
        };
        assert_eq!(slot.generation(), 1);
    }

    #[test]
    fn the_table_is_small() {
        // A slot is a lock, a counter and a pointer; the instance is boxed.
        assert!(
            std::mem::size_of::<Mutex<Slot>>() <= 24,
            "{}",
            std::mem::size_of::<Mutex<Slot>>()
        );
    }

    #[test]
    fn unknown_handles_are_misuse_errors() {
        let err = with(encode(3, 999), |_| Ok(())).unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Misuse);
        assert!(remove(encode(3, 999)).is_err());
    }
}
