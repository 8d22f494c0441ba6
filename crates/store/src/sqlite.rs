//! The sqlite implementation of [`Store`](crate::Store).

use std::sync::Arc;

use haven_domain::clock::Clock;

use crate::error::{StoreError, StoreResult};
use crate::Store;

pub async fn open(_url: &str, _clock: Arc<dyn Clock>) -> StoreResult<Arc<dyn Store>> {
    Err(StoreError::Unsupported("not yet".into()))
}
