//! An in-memory [`Fs`] for fuzz targets and tests: a whole open → checkpoint
//! → reopen cycle without touching the disk, with the error cases of a real
//! file system that Hush must survive (a directory where a file should be,
//! a missing parent). Not used in production.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::fs::Fs;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    File(Vec<u8>),
    Dir,
}

/// Files and directories by absolute path. Cloning is not offered: share
/// one through an `Arc` the way the core does.
#[derive(Debug, Default)]
pub struct MemFs {
    nodes: Mutex<BTreeMap<PathBuf, Node>>,
}

fn error(kind: io::ErrorKind, what: &str) -> io::Error {
    io::Error::new(kind, what.to_owned())
}

impl MemFs {
    pub fn new() -> Self {
        Self::default()
    }

    fn nodes(&self) -> std::sync::MutexGuard<'_, BTreeMap<PathBuf, Node>> {
        // A panic in a test holding the lock leaves the map consistent.
        self.nodes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every file and its bytes.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        self.nodes()
            .iter()
            .filter_map(|(p, n)| match n {
                Node::File(b) => Some((p.clone(), b.clone())),
                Node::Dir => None,
            })
            .collect()
    }

    /// Whether `path` is a directory.
    pub fn is_dir(&self, path: &Path) -> bool {
        self.nodes().get(path) == Some(&Node::Dir)
    }
}

/// A path's parent must be a directory (the root always is).
fn check_parent(nodes: &BTreeMap<PathBuf, Node>, path: &Path) -> io::Result<()> {
    match path.parent() {
        None => Ok(()),
        Some(p) if p.as_os_str().is_empty() || p == Path::new("/") => Ok(()),
        Some(p) => match nodes.get(p) {
            Some(Node::Dir) => Ok(()),
            Some(Node::File(_)) => Err(error(io::ErrorKind::NotADirectory, "parent is a file")),
            None => Err(error(io::ErrorKind::NotFound, "no parent directory")),
        },
    }
}

fn under(path: &Path, root: &Path) -> bool {
    path != root && path.starts_with(root)
}

impl Fs for MemFs {
    fn write_synced(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut nodes = self.nodes();
        check_parent(&nodes, path)?;
        if nodes.get(path) == Some(&Node::Dir) {
            return Err(error(io::ErrorKind::IsADirectory, "is a directory"));
        }
        nodes.insert(path.to_owned(), Node::File(bytes.to_vec()));
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut nodes = self.nodes();
        let node = nodes
            .get(from)
            .cloned()
            .ok_or_else(|| error(io::ErrorKind::NotFound, "no such file"))?;
        check_parent(&nodes, to)?;
        if from == to {
            return Ok(());
        }
        match (&node, nodes.get(to)) {
            (Node::File(_), Some(Node::Dir)) => {
                return Err(error(io::ErrorKind::IsADirectory, "target is a directory"))
            }
            (Node::Dir, Some(Node::File(_))) => {
                return Err(error(io::ErrorKind::NotADirectory, "target is a file"))
            }
            (Node::Dir, Some(Node::Dir)) if nodes.keys().any(|p| under(p, to)) => {
                return Err(error(io::ErrorKind::DirectoryNotEmpty, "target not empty"))
            }
            (Node::Dir, _) if under(to, from) => {
                return Err(error(io::ErrorKind::InvalidInput, "into itself"))
            }
            _ => {}
        }
        let moved: Vec<(PathBuf, Node)> = nodes
            .iter()
            .filter(|(p, _)| under(p, from))
            .map(|(p, n)| (p.clone(), n.clone()))
            .collect();
        nodes.remove(from);
        nodes.insert(to.to_owned(), node);
        for (p, n) in moved {
            nodes.remove(&p);
            let rest = p.strip_prefix(from).expect("under `from`");
            nodes.insert(to.join(rest), n);
        }
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        match self.nodes().get(dir) {
            Some(Node::Dir) => Ok(()),
            Some(Node::File(_)) => Err(error(io::ErrorKind::NotADirectory, "not a directory")),
            None => Err(error(io::ErrorKind::NotFound, "no such directory")),
        }
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.nodes().get(path) {
            Some(Node::File(b)) => Ok(b.clone()),
            Some(Node::Dir) => Err(error(io::ErrorKind::IsADirectory, "is a directory")),
            None => Err(error(io::ErrorKind::NotFound, "no such file")),
        }
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut nodes = self.nodes();
        match nodes.get(path) {
            Some(Node::Dir) => Err(error(io::ErrorKind::IsADirectory, "is a directory")),
            Some(Node::File(_)) => {
                nodes.remove(path);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn remove_tree(&self, path: &Path) -> io::Result<()> {
        self.nodes().retain(|p, _| !p.starts_with(path));
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let nodes = self.nodes();
        match nodes.get(dir) {
            None => Ok(Vec::new()),
            Some(Node::File(_)) => Err(error(io::ErrorKind::NotADirectory, "not a directory")),
            // BTreeMap order: sorted, like RealFs.
            Some(Node::Dir) => Ok(nodes
                .keys()
                .filter(|p| p.parent() == Some(dir))
                .cloned()
                .collect()),
        }
    }

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut nodes = self.nodes();
        let mut missing = Vec::new();
        for a in dir.ancestors() {
            if a.as_os_str().is_empty() || a == Path::new("/") {
                break;
            }
            match nodes.get(a) {
                Some(Node::Dir) => break,
                Some(Node::File(_)) => {
                    return Err(error(io::ErrorKind::NotADirectory, "a file is in the way"))
                }
                None => missing.push(a.to_owned()),
            }
        }
        for a in missing {
            nodes.insert(a, Node::Dir);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::fs::write_atomic;

    #[test]
    fn behaves_like_a_file_system() {
        let fs = MemFs::new();
        let dir = Path::new("/data/hush");
        let state = dir.join("state");
        assert_eq!(
            fs.write_synced(&state, b"x").unwrap_err().kind(),
            io::ErrorKind::NotFound,
            "no parent yet"
        );
        fs.create_dir_all(dir).unwrap();
        write_atomic(&fs, &state, b"one").unwrap();
        assert_eq!(fs.read(&state).unwrap(), b"one");
        assert_eq!(fs.list(dir).unwrap(), vec![state.clone()]);
        assert!(fs.list(Path::new("/nowhere")).unwrap().is_empty());

        fs.create_dir_all(&dir.join("pending/sub")).unwrap();
        fs.write_synced(&dir.join("pending/a"), b"a").unwrap();
        assert_eq!(
            fs.read(&dir.join("pending")).unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
        assert_eq!(
            fs.remove(&dir.join("pending")).unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
        assert_eq!(
            fs.rename(&state, &dir.join("pending")).unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
        fs.rename(&dir.join("pending"), &dir.join("moved")).unwrap();
        assert_eq!(fs.read(&dir.join("moved/a")).unwrap(), b"a");
        assert!(fs.is_dir(&dir.join("moved/sub")));
        fs.remove_tree(&dir.join("moved")).unwrap();
        assert_eq!(fs.files().into_keys().collect::<Vec<_>>(), vec![state]);
        fs.remove(&dir.join("absent")).unwrap();
    }
}
