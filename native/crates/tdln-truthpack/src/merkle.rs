//! The RFC 6962 Merkle tree: leaf and node hashes, the root, audit paths and their verification.

use sha2::{Digest, Sha256};

/// RFC 6962 leaf hash: SHA256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// RFC 6962 interior node hash: SHA256(0x01 || left || right).
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

fn split(n: usize) -> usize {
    // Largest power of two strictly smaller than n (n >= 2).
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// Merkle tree hash over already-hashed leaves (RFC 6962 §2.1). Empty tree = SHA256("").
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&merkle_root(&leaves[..k]), &merkle_root(&leaves[k..]))
        }
    }
}

/// Audit path for leaf `index` (RFC 6962 §2.1.1), leaf-to-root order.
pub fn audit_path(index: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let n = leaves.len();
    if n <= 1 || index >= n {
        return Vec::new();
    }
    let k = split(n);
    if index < k {
        let mut p = audit_path(index, &leaves[..k]);
        p.push(merkle_root(&leaves[k..]));
        p
    } else {
        let mut p = audit_path(index - k, &leaves[k..]);
        p.push(merkle_root(&leaves[..k]));
        p
    }
}

/// Verifies an inclusion proof (RFC 9162 §2.1.3.2 algorithm).
pub fn verify_path(
    index: usize,
    size: usize,
    leaf: &[u8; 32],
    path: &[[u8; 32]],
    root: &[u8; 32],
) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &r == root
}

/// Root and every leaf's audit path in one pass: O(n) hashes and O(n log n) path entries, where
/// [`audit_path`] once per leaf recomputes sibling subtrees (O(n²) hashes for the whole tree).
pub(crate) fn root_and_paths(leaves: &[[u8; 32]]) -> ([u8; 32], Vec<Vec<[u8; 32]>>) {
    match leaves.len() {
        0 => (merkle_root(&[]), Vec::new()),
        1 => (leaves[0], vec![Vec::new()]),
        n => {
            let k = split(n);
            let (left, mut left_paths) = root_and_paths(&leaves[..k]);
            let (right, mut right_paths) = root_and_paths(&leaves[k..]);
            left_paths.iter_mut().for_each(|p| p.push(right));
            right_paths.iter_mut().for_each(|p| p.push(left));
            left_paths.append(&mut right_paths);
            (node_hash(&left, &right), left_paths)
        }
    }
}
