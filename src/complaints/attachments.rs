//! Photo attachments through one [`AttachmentStore`]: a local directory by default; an
//! S3-compatible store implements the same two calls (put/get by key), so handlers never
//! know where bytes live.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = std::io::Result<T>> + Send + 'a>>;

pub trait AttachmentStore: Send + Sync {
    /// Stores `bytes` under `key` (a relative path like `complaints/12/1.jpg`); returns the key.
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BoxFut<'a, ()>;
    fn get<'a>(&'a self, key: &'a str) -> BoxFut<'a, Vec<u8>>;
    /// Removes a stored object (used to undo a put whose database write failed).
    fn delete<'a>(&'a self, key: &'a str) -> BoxFut<'a, ()>;
}

/// Files under a directory (`SIGAP_ATTACHMENTS_DIR`, default `var/attachments`).
pub struct LocalDir {
    pub root: PathBuf,
}

impl LocalDir {
    fn path(&self, key: &str) -> std::io::Result<PathBuf> {
        // Keys are made by us, but never let one escape the root.
        if key.split('/').any(|p| p.is_empty() || p == ".." || p == ".") {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("bad attachment key {key:?}")));
        }
        Ok(self.root.join(key))
    }
}

impl AttachmentStore for LocalDir {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BoxFut<'a, ()> {
        Box::pin(async move {
            let p = self.path(key)?;
            if let Some(d) = p.parent() {
                tokio::fs::create_dir_all(d).await?;
            }
            // Write then rename, so a reader never sees half a photo.
            let tmp = p.with_extension("part");
            tokio::fs::write(&tmp, bytes).await?;
            tokio::fs::rename(&tmp, &p).await
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFut<'a, Vec<u8>> {
        Box::pin(async move { tokio::fs::read(self.path(key)?).await })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFut<'a, ()> {
        Box::pin(async move { tokio::fs::remove_file(self.path(key)?).await })
    }
}

/// The configured store (local directory; see module docs for S3).
pub fn configured() -> LocalDir {
    LocalDir { root: std::env::var("SIGAP_ATTACHMENTS_DIR").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("var/attachments")) }
}

/// Accepted photo types, recognised by their magic bytes (the Content-Type header alone is not trusted).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else {
        None
    }
}

/// Most photos one complaint may carry.
pub const MAX_PHOTOS: i64 = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_recognised_by_content_not_by_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(("image/jpeg", "jpg")));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(("image/png", "png")));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(("image/webp", "webp")));
        assert_eq!(sniff(b"<html>"), None);
        assert!(LocalDir { root: "/tmp".into() }.path("../etc/passwd").is_err());
    }
}
