//! Where recording files live: an object store (`object_store`): a local directory by default,
//! or an S3-compatible bucket that every replica shares.
//!
//! Keys under the store's root:
//! - `uploads/<upload id>/<offset, 16 digits>`: one chunk of an upload, as it arrived;
//! - `recordings/<tempConferenceId>/<upload id>.<format>`: a complete recording.
//!
//! A chunk is written whole before the database counts it, so a crash between the two leaves an
//! object that the retried chunk overwrites; a recording is put together from the chunks with a
//! multipart upload, which only becomes visible when it completes.

use crate::config::Config;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use std::ops::Range;
use std::sync::Arc;

/// The prefix of locations that name a file huiyi keeps: `huiyi:<key>`.
pub const KEPT: &str = "huiyi:";

#[derive(Clone)]
pub struct Files {
    /// `Err` with why, when the configured store could not be opened: every use fails with it.
    store: Result<Arc<dyn ObjectStore>, Arc<str>>,
    root: Path,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.store {
            Ok(s) => write!(f, "Files({s}, {})", self.root),
            Err(e) => write!(f, "Files(unusable: {e})"),
        }
    }
}

/// An object's bytes, or the part of them a range asked for.
pub struct Fetched {
    pub size: u64,
    pub range: Range<u64>,
    pub body: BoxStream<'static, object_store::Result<Bytes>>,
}

impl Files {
    /// The store the configuration names: `recordings_url` (s3://bucket/prefix, with the AWS_*
    /// variables) or else the directory `recordings_dir`, created if missing.
    pub fn from_config(c: &Config) -> anyhow::Result<Self> {
        if let Some(url) = c.recordings_url.as_deref().filter(|u| !u.trim().is_empty()) {
            let parsed = url::Url::parse(url.trim()).map_err(|e| {
                anyhow::anyhow!("recordings_url {url:?} is not a URL ({e}); use s3://bucket/prefix")
            })?;
            if parsed.scheme() != "s3" {
                anyhow::bail!("recordings_url must be s3://bucket/prefix, not {url:?}");
            }
            let store = object_store::aws::AmazonS3Builder::from_env()
                .with_url(url.trim())
                .build()
                .map_err(|e| anyhow::anyhow!("recordings_url {url:?}: {e}"))?;
            let root = Path::from(parsed.path().trim_matches('/'));
            return Ok(Files {
                store: Ok(Arc::new(store)),
                root,
            });
        }
        std::fs::create_dir_all(&c.recordings_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create recordings_dir {}: {e}",
                c.recordings_dir.display()
            )
        })?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&c.recordings_dir)
            .map_err(|e| anyhow::anyhow!("recordings_dir {}: {e}", c.recordings_dir.display()))?;
        Ok(Files {
            store: Ok(Arc::new(store)),
            root: Path::default(),
        })
    }

    /// A store that could not be opened: every use fails, saying why.
    pub fn unusable(why: &str) -> Self {
        Files {
            store: Err(why.into()),
            root: Path::default(),
        }
    }

    fn store(&self) -> object_store::Result<&Arc<dyn ObjectStore>> {
        self.store
            .as_ref()
            .map_err(|why| object_store::Error::Generic {
                store: "recordings",
                source: why.to_string().into(),
            })
    }

    fn path(&self, key: &str) -> Path {
        key.split('/')
            .filter(|p| !p.is_empty())
            .fold(self.root.clone(), |p, part| p.join(part))
    }

    pub fn chunk_key(upload_id: &str, offset: i64) -> String {
        format!("uploads/{upload_id}/{offset:016}")
    }

    pub fn recording_key(temp_conference_id: &str, upload_id: &str, format: &str) -> String {
        format!("recordings/{temp_conference_id}/{upload_id}.{format}")
    }

    pub async fn put(&self, key: &str, bytes: Bytes) -> object_store::Result<()> {
        self.store()?
            .put(&self.path(key), PutPayload::from_bytes(bytes))
            .await
            .map(|_| ())
    }

    /// Puts the chunks (keys in order) together as `dest`, and answers its size and SHA-256.
    pub async fn assemble(&self, chunks: &[String], dest: &str) -> anyhow::Result<(u64, String)> {
        let upload = self.store()?.put_multipart(&self.path(dest)).await?;
        let mut writer = WriteMultipart::new(upload);
        let mut hash = Sha256::new();
        let mut size = 0u64;
        for key in chunks {
            let got = self.store()?.get(&self.path(key)).await;
            let mut stream = match got {
                Ok(g) => g.into_stream(),
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(e.into());
                }
            };
            while let Some(part) = stream.next().await {
                let part = match part {
                    Ok(p) => p,
                    Err(e) => {
                        let _ = writer.abort().await;
                        return Err(e.into());
                    }
                };
                hash.update(&part);
                size += part.len() as u64;
                writer.wait_for_capacity(4).await?;
                writer.put(part);
            }
        }
        writer.finish().await?;
        Ok((size, hex::encode(hash.finalize())))
    }

    /// The object's size, or `None` when it is not there.
    pub async fn size(&self, key: &str) -> object_store::Result<Option<u64>> {
        match self.store()?.head(&self.path(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The object's bytes in `range` (all of them when `None`), or `None` when it is not there.
    pub async fn fetch(
        &self,
        key: &str,
        size: u64,
        range: Option<Range<u64>>,
    ) -> object_store::Result<Option<Fetched>> {
        let options = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..GetOptions::default()
        };
        match self.store()?.get_opts(&self.path(key), options).await {
            Ok(got) => Ok(Some(Fetched {
                size,
                range: got.range.clone(),
                body: got.into_stream(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes the object; one that is not there is deleted already.
    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.store()?.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
