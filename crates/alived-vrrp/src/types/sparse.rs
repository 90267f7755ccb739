//! [`Sparse`]: a value stored behind a pointer only when it differs from a static default.
//!
//! Why it exists: a process runs up to a thousand VRRP instances, and each carries groups of
//! settings that nearly every configuration leaves at keepalived's defaults (the GARP rates of
//! the state machine's configuration, the driver's rarely used per-instance settings). Inline,
//! they cost their full size in every instance (64 and some 330 bytes); as a `Sparse` they cost
//! one pointer, null while the value is the default, so a plain instance allocates nothing for
//! them. Reads see the value (or the default); the first write through [`DerefMut`] allocates.
//!
//! [`DerefMut`]: std::ops::DerefMut

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A type with one static default value that [`Sparse`] reads as while nothing is stored.
pub trait SparseDefault: Clone + PartialEq + 'static {
    /// The default value, living for the whole program (usually a `static`).
    fn sparse_default() -> &'static Self;
}

/// A `T` boxed only when it differs from [`SparseDefault::sparse_default`]: one pointer in the
/// containing struct, null while the value is the default. Compares, prints and dereferences
/// as the `T` it holds, however it is stored.
#[derive(Clone)]
pub struct Sparse<T: SparseDefault>(Option<Box<T>>);

impl<T: SparseDefault> Sparse<T> {
    /// Stores `value`, or nothing if it is the default.
    pub fn new(value: T) -> Sparse<T> {
        if value == *T::sparse_default() {
            Sparse(None)
        } else {
            Sparse(Some(Box::new(value)))
        }
    }

    /// Replaces the value; frees the box if `value` is the default.
    pub fn set(&mut self, value: T) {
        *self = Sparse::new(value);
    }

    /// Whether a box is held. A write through [`DerefMut`] allocates one even when it leaves
    /// the default value; [`Sparse::set`] and [`Sparse::new`] never keep one for the default.
    pub fn is_stored(&self) -> bool {
        self.0.is_some()
    }
}

impl<T: SparseDefault> Default for Sparse<T> {
    fn default() -> Sparse<T> {
        Sparse(None)
    }
}

impl<T: SparseDefault> From<T> for Sparse<T> {
    fn from(value: T) -> Sparse<T> {
        Sparse::new(value)
    }
}

impl<T: SparseDefault> Deref for Sparse<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_deref().unwrap_or_else(|| T::sparse_default())
    }
}

impl<T: SparseDefault> DerefMut for Sparse<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0
            .get_or_insert_with(|| Box::new(T::sparse_default().clone()))
    }
}

impl<T: SparseDefault> PartialEq for Sparse<T> {
    fn eq(&self, other: &Sparse<T>) -> bool {
        **self == **other
    }
}

impl<T: SparseDefault + Eq> Eq for Sparse<T> {}

impl<T: SparseDefault> PartialEq<T> for Sparse<T> {
    fn eq(&self, other: &T) -> bool {
        **self == *other
    }
}

impl<T: SparseDefault + fmt::Debug> fmt::Debug for Sparse<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
// The field writes after `Sparse::default()` go through `DerefMut`: they are what is tested.
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Settings {
        repeat: u32,
        name: String,
    }

    static DEFAULT_SETTINGS: Settings = Settings {
        repeat: 5,
        name: String::new(),
    };

    impl SparseDefault for Settings {
        fn sparse_default() -> &'static Settings {
            &DEFAULT_SETTINGS
        }
    }

    fn other() -> Settings {
        Settings {
            repeat: 2,
            name: "x".to_owned(),
        }
    }

    #[test]
    fn the_default_holds_no_box_and_reads_as_the_default() {
        let s = Sparse::<Settings>::default();
        assert!(!s.is_stored());
        assert_eq!(*s, DEFAULT_SETTINGS);
        let s = Sparse::new(DEFAULT_SETTINGS.clone());
        assert!(!s.is_stored());
        assert_eq!(s.repeat, 5);
        assert!(!Sparse::from(DEFAULT_SETTINGS.clone()).is_stored());
        assert_eq!(size_of::<Sparse<Settings>>(), size_of::<usize>());
    }

    #[test]
    fn a_value_other_than_the_default_is_boxed() {
        let s = Sparse::new(other());
        assert!(s.is_stored());
        assert_eq!(*s, other());
        let mut s = Sparse::<Settings>::default();
        s.set(other());
        assert!(s.is_stored());
        assert_eq!(s.name, "x");
    }

    #[test]
    fn a_write_through_deref_mut_boxes_a_copy_of_the_default() {
        let mut s = Sparse::<Settings>::default();
        s.repeat = 7;
        assert!(s.is_stored());
        assert_eq!(s.repeat, 7);
        assert_eq!(s.name, "", "the rest keeps the default");
        // The static default itself is untouched.
        assert_eq!(DEFAULT_SETTINGS.repeat, 5);
        assert!(!Sparse::<Settings>::default().is_stored());
    }

    #[test]
    fn setting_back_to_the_default_frees_the_box() {
        let mut s = Sparse::new(other());
        s.set(DEFAULT_SETTINGS.clone());
        assert!(!s.is_stored());
        assert_eq!(*s, DEFAULT_SETTINGS);
        // A field written back to its default keeps the box, and still equals the default.
        let mut s = Sparse::<Settings>::default();
        s.repeat = 2;
        s.repeat = 5;
        assert!(s.is_stored());
        assert_eq!(s, Sparse::default());
    }

    #[test]
    fn equality_is_by_value_however_stored() {
        let mut stored_default = Sparse::<Settings>::default();
        stored_default.repeat = 5;
        assert!(stored_default.is_stored());
        assert_eq!(stored_default, Sparse::default());
        assert_eq!(Sparse::default(), stored_default);
        assert_eq!(Sparse::<Settings>::default(), DEFAULT_SETTINGS);
        assert_eq!(Sparse::new(other()), other());
        assert_eq!(Sparse::new(other()), Sparse::new(other()));
        assert_ne!(Sparse::new(other()), Sparse::default());
        assert_ne!(Sparse::<Settings>::default(), other());
    }

    #[test]
    fn debug_prints_the_value_not_the_storage() {
        let plain = format!("{:?}", Sparse::<Settings>::default());
        assert_eq!(plain, format!("{DEFAULT_SETTINGS:?}"));
        assert_eq!(
            format!("{:?}", Sparse::new(other())),
            r#"Settings { repeat: 2, name: "x" }"#
        );
        assert!(!plain.contains("Some") && !plain.contains("None"));
    }
}
