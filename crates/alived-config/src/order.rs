//! Diagnostics in reading order. The preprocessor and the walker run interleaved (each line
//! goes to the walker as soon as it is made), and each keys the diagnostics it adds: the
//! preprocessor with the number of lines emitted before the physical line it was reading, the
//! walker with the index of the line it was reading. Sorting by (key, stage) afterwards puts
//! them in reading order; on the same line the preprocessor's come first (it saw the line
//! first), as keepalived prints them.

use crate::diag::Diagnostics;

/// Which stage added a diagnostic (sorts in this order for equal keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    Pre = 0,
    Tree = 1,
}

/// The key of every diagnostic added since `base`.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    base: usize,
    keys: Vec<(usize, Stage)>,
}

impl Keys {
    pub fn new(diags: &Diagnostics) -> Self {
        Keys {
            base: diags.items.len(),
            keys: Vec::new(),
        }
    }

    /// Give every diagnostic not keyed yet the key `key` from `stage`.
    pub fn mark(&mut self, diags: &Diagnostics, key: usize, stage: Stage) {
        while self.base + self.keys.len() < diags.items.len() {
            self.keys.push((key, stage));
        }
    }

    /// Sort the keyed diagnostics (stable: equal keys keep their order).
    pub fn sort(self, diags: &mut Diagnostics) {
        if self.base + self.keys.len() != diags.items.len() {
            // Cannot happen (every diagnostic is keyed); never lose one over ordering.
            return;
        }
        let tail = diags.items.split_off(self.base);
        let mut keyed: Vec<_> = self.keys.into_iter().zip(tail).collect();
        keyed.sort_by_key(|(k, _)| *k);
        diags.items.extend(keyed.into_iter().map(|(_, d)| d));
    }
}
