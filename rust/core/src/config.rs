//! What an app gives [`Hush::open`](crate::Hush::open): where Hush keeps its
//! files, the schema, the pinned keys, endpoints and task configuration,
//! the user's choices as saved, and the clock and file system (real ones,
//! or test doubles).

use std::path::PathBuf;
use std::sync::Arc;

use crate::anonymize::Environment;
use crate::clock::{Clock, UtcDay};
use crate::ohttp::KeyConfigs;
use crate::schema::Schema;
use crate::seal::Endpoints;
use crate::store::outbox::OutboxLimits;
use crate::store::{Fs, RealFs};
use crate::upload::{UploadDelay, UploadPolicy};

pub struct Config {
    /// App-private directory Hush owns.
    pub data_dir: PathBuf,
    pub schema: Schema,
    /// Already coarse (P8): see [`Environment::coarse`].
    pub environment: Environment,
    /// The leader gateway's pinned `application/ohttp-keys`.
    pub keys: KeyConfigs,
    pub endpoints: Endpoints,
    /// The pinned DAP task configuration (JSON, [`TaskConfig`]): one task per
    /// metric of `schema`, checked against it when Hush opens.
    pub tasks: Vec<u8>,
    /// The user's choice as the app saved it (P3). `None`: not given yet, so
    /// nothing is recorded, and nothing from an earlier consented run is
    /// deleted either, until the app passes the choice.
    pub collection_enabled: Option<bool>,
    /// Enhanced incognito, default on (P2).
    pub enhanced_incognito: bool,
    pub limits: OutboxLimits,
    pub upload_delay: UploadDelay,
    pub upload_policy: UploadPolicy,
    pub clock: Arc<dyn Clock>,
    /// A clock reading before this day is not trusted (see `day_change`).
    pub clock_floor: UtcDay,
    pub fs: Arc<dyn Fs>,
}

impl Config {
    pub fn new(
        data_dir: PathBuf,
        keys: KeyConfigs,
        endpoints: Endpoints,
        tasks: Vec<u8>,
        environment: Environment,
    ) -> Self {
        Self {
            data_dir,
            schema: Schema::default_browser(),
            environment,
            keys,
            endpoints,
            tasks,
            collection_enabled: None,
            enhanced_incognito: true,
            limits: OutboxLimits::default(),
            upload_delay: UploadDelay::default(),
            upload_policy: UploadPolicy::default(),
            clock: Arc::new(crate::clock::SystemClock),
            clock_floor: crate::clock::EARLIEST_TRUE_DAY,
            fs: Arc::new(RealFs),
        }
    }
}
