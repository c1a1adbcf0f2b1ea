//! Tabs and the incognito gate (DESIGN.md P1, P2).
//!
//! Every recording call names a [`TabId`]. The gate resolves it into a
//! [`Gate`]: a [`NormalTab`] (may record anything the schema allows) or a
//! [`PrivateTab`] (may record nothing that carries browsing data, and only
//! `aggregate` counters when Enhanced incognito is off). None of the proofs
//! can be built outside this module, and the window records only against one:
//! a [`NormalTab`], or a [`CountPermit`] that is a normal tab or a private
//! tab's [`AggregateOnly`] permit. A closed or unknown handle is an error,
//! never a normal record.

use crate::schema::Incognito;

/// Opaque handle of an open tab. The low 32 bits are a slot, the high 32 bits
/// the slot's generation, so a handle of a closed tab never aliases a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TabId(u64);

impl TabId {
    /// The value handed across the JNI edge as a Java `long`.
    pub fn to_raw(self) -> u64 {
        self.0
    }
    /// Any value is accepted; an invalid one fails at the gate.
    pub fn from_raw(raw: u64) -> Self {
        Self(raw)
    }
    fn slot(self) -> usize {
        (self.0 & 0xffff_ffff) as usize
    }
    fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone, Copy)]
pub enum TabError {
    #[error("unknown or closed tab")]
    UnknownTab,
    #[error("too many open tabs (limit {0})")]
    TooManyTabs(usize),
}

/// Proof that a call came through an open normal tab.
#[derive(Debug)]
pub struct NormalTab(());

/// Proof that a call came through an open private tab. It has no way to
/// record browsing data; see [`PrivateTab::aggregate_counter`].
#[derive(Debug)]
pub struct PrivateTab(());

/// Permission for a private tab to bump one `aggregate` counter, only granted
/// while Enhanced incognito is off.
#[derive(Debug)]
pub struct AggregateOnly(());

impl PrivateTab {
    /// `None` while Enhanced incognito is on (then a private tab records
    /// nothing) and for every metric the schema does not mark `aggregate`.
    pub fn aggregate_counter(
        &self,
        enhanced_incognito: bool,
        class: Incognito,
    ) -> Option<AggregateOnly> {
        (!enhanced_incognito && class == Incognito::Aggregate).then_some(AggregateOnly(()))
    }
}

/// What a counter needs to move: proof of a normal tab, or a private tab's
/// permit for one `aggregate` counter. The window's counter methods take it,
/// so no code path can count without passing the gate first.
#[derive(Debug)]
pub enum CountPermit {
    Normal(NormalTab),
    Aggregate(AggregateOnly),
}

#[derive(Debug)]
pub enum Gate {
    Normal(NormalTab),
    Private(PrivateTab),
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    generation: u32,
    state: SlotState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    Free,
    Normal,
    Private,
}

/// The open tabs. Slots are reused; generations make stale handles fail.
#[derive(Debug)]
pub struct Tabs {
    slots: Vec<Slot>,
    free: Vec<u32>,
    open: usize,
    limit: usize,
}

/// A browser with more tabs than this is misusing the API (a leak of handles).
pub const DEFAULT_TAB_LIMIT: usize = 4096;

impl Default for Tabs {
    fn default() -> Self {
        Self::with_limit(DEFAULT_TAB_LIMIT)
    }
}

impl Tabs {
    pub fn with_limit(limit: usize) -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            open: 0,
            limit,
        }
    }

    pub fn open(&mut self, private: bool) -> Result<TabId, TabError> {
        if self.open >= self.limit {
            return Err(TabError::TooManyTabs(self.limit));
        }
        let state = if private {
            SlotState::Private
        } else {
            SlotState::Normal
        };
        let slot = match self.free.pop() {
            Some(i) => i as usize,
            None => {
                self.slots.push(Slot {
                    generation: 1,
                    state: SlotState::Free,
                });
                self.slots.len() - 1
            }
        };
        self.slots[slot].state = state;
        self.open += 1;
        let generation = self.slots[slot].generation;
        Ok(TabId((u64::from(generation) << 32) | slot as u64))
    }

    pub fn close(&mut self, tab: TabId) -> Result<(), TabError> {
        let slot = self.live_slot(tab)?;
        let s = &mut self.slots[slot];
        s.state = SlotState::Free;
        // Generation 0 is never handed out, so a zeroed long is never a tab.
        s.generation = s.generation.checked_add(1).unwrap_or(1);
        self.free.push(slot as u32);
        self.open -= 1;
        Ok(())
    }

    /// The gate. Constant time, no allocation.
    #[inline]
    pub fn resolve(&self, tab: TabId) -> Result<Gate, TabError> {
        let slot = self.live_slot(tab)?;
        Ok(match self.slots[slot].state {
            SlotState::Private => Gate::Private(PrivateTab(())),
            _ => Gate::Normal(NormalTab(())),
        })
    }

    #[inline]
    fn live_slot(&self, tab: TabId) -> Result<usize, TabError> {
        match self.slots.get(tab.slot()) {
            Some(s) if s.generation == tab.generation() && s.state != SlotState::Free => {
                Ok(tab.slot())
            }
            _ => Err(TabError::UnknownTab),
        }
    }

    pub fn open_count(&self) -> usize {
        self.open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_resolves_open_tabs_by_mode() {
        let mut tabs = Tabs::default();
        let n = tabs.open(false).unwrap();
        let p = tabs.open(true).unwrap();
        assert!(matches!(tabs.resolve(n), Ok(Gate::Normal(_))));
        assert!(matches!(tabs.resolve(p), Ok(Gate::Private(_))));
    }

    #[test]
    fn closed_unknown_and_stale_handles_are_errors() {
        let mut tabs = Tabs::default();
        let p = tabs.open(true).unwrap();
        tabs.close(p).unwrap();
        assert_eq!(tabs.resolve(p).unwrap_err(), TabError::UnknownTab);
        assert_eq!(tabs.close(p).unwrap_err(), TabError::UnknownTab);
        // The slot is reused by a normal tab; the old private handle must not
        // resolve to it (that would turn a private call into a normal record).
        let n = tabs.open(false).unwrap();
        assert_eq!(n.slot(), p.slot());
        assert_eq!(tabs.resolve(p).unwrap_err(), TabError::UnknownTab);
        for raw in [0, u64::MAX, 1, 1 << 32 | 99] {
            assert_eq!(
                tabs.resolve(TabId::from_raw(raw)).unwrap_err(),
                TabError::UnknownTab
            );
        }
    }

    #[test]
    fn aggregate_permission_only_with_enhanced_incognito_off() {
        let mut tabs = Tabs::default();
        let p = tabs.open(true).unwrap();
        let Ok(Gate::Private(private)) = tabs.resolve(p) else {
            panic!("private")
        };
        assert!(private
            .aggregate_counter(true, Incognito::Aggregate)
            .is_none());
        assert!(private.aggregate_counter(true, Incognito::Never).is_none());
        assert!(private.aggregate_counter(false, Incognito::Never).is_none());
        assert!(private
            .aggregate_counter(false, Incognito::Aggregate)
            .is_some());
    }

    #[test]
    fn tab_limit_is_enforced_and_freed_on_close() {
        let mut tabs = Tabs::with_limit(2);
        let a = tabs.open(false).unwrap();
        tabs.open(true).unwrap();
        assert_eq!(tabs.open(false).unwrap_err(), TabError::TooManyTabs(2));
        tabs.close(a).unwrap();
        assert!(tabs.open(false).is_ok());
        assert_eq!(tabs.open_count(), 2);
    }
}
