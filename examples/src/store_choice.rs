//! The `--store` flag: which storage backend `capstan up` runs on.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use capstan_store::etcd::{EtcdOptions, EtcdStore};
use capstan_store::memory::MemoryStore;
use capstan_store::sqlite::{SqliteOptions, SqliteStore};
use capstan_store::{Storage, StoreError};

/// A parsed `--store` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// SQLite in the data directory (`capstan.db`).
    Sqlite,
    /// Memory only: everything is lost on exit.
    Memory,
    /// A real etcd cluster at these client URLs.
    Etcd(Vec<String>),
}

impl StoreChoice {
    /// Opens the chosen store, creating the data directory when needed.
    pub async fn open(&self, data_dir: &Path) -> Result<Arc<dyn Storage>, StoreError> {
        Ok(match self {
            StoreChoice::Memory => Arc::new(MemoryStore::new()),
            StoreChoice::Sqlite => {
                std::fs::create_dir_all(data_dir).map_err(|error| {
                    StoreError::backend(format!("cannot create {}", data_dir.display()), error)
                })?;
                Arc::new(
                    SqliteStore::open(data_dir.join("capstan.db"), SqliteOptions::default())
                        .await?,
                )
            }
            StoreChoice::Etcd(endpoints) => {
                Arc::new(EtcdStore::connect(endpoints, EtcdOptions::default()).await?)
            }
        })
    }
}

impl FromStr for StoreChoice {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "sqlite" => Ok(StoreChoice::Sqlite),
            "memory" => Ok(StoreChoice::Memory),
            _ => match value.strip_prefix("etcd=") {
                Some(urls) => {
                    let endpoints: Vec<String> =
                        urls.split(',').filter(|u| !u.is_empty()).map(str::to_owned).collect();
                    if endpoints.is_empty() {
                        return Err(
                            "etcd= needs at least one URL, e.g. etcd=http://127.0.0.1:2379".into(),
                        );
                    }
                    Ok(StoreChoice::Etcd(endpoints))
                }
                None => {
                    Err(format!("unknown store {value:?}: use sqlite, memory or etcd=URL[,URL…]"))
                }
            },
        }
    }
}

impl fmt::Display for StoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreChoice::Sqlite => f.write_str("sqlite"),
            StoreChoice::Memory => f.write_str("memory"),
            StoreChoice::Etcd(endpoints) => write!(f, "etcd={}", endpoints.join(",")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_store_form() {
        assert_eq!("sqlite".parse(), Ok(StoreChoice::Sqlite));
        assert_eq!("memory".parse(), Ok(StoreChoice::Memory));
        assert_eq!(
            "etcd=http://127.0.0.1:2379,http://127.0.0.1:2380".parse(),
            Ok(StoreChoice::Etcd(vec![
                "http://127.0.0.1:2379".into(),
                "http://127.0.0.1:2380".into()
            ]))
        );
        assert!("etcd=".parse::<StoreChoice>().unwrap_err().contains("at least one URL"));
        assert!("postgres".parse::<StoreChoice>().unwrap_err().contains("unknown store"));
    }
}
