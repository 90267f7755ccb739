//! "did you mean" suggestions for unknown keywords.

use crate::schema::Schema;

/// Levenshtein distance over chars, two rows.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The nearest keyword of `schema` to `word`, when it is close: a case-only difference always
/// counts (`Interface` -> `interface`), otherwise the distance must be at most a third of the
/// word's length (at least 1).
pub fn nearest(word: &str, schema: &Schema) -> Option<&'static str> {
    if word.is_empty() {
        return None;
    }
    let lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'static str)> = None;
    for k in schema.keywords {
        if k.name.to_lowercase() == lower {
            return Some(k.name);
        }
        // Cheap length filter before the quadratic distance.
        if k.name.len().abs_diff(word.len()) > limit {
            continue;
        }
        let d = edit_distance(&lower, &k.name.to_lowercase());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k.name));
        }
    }
    best.map(|(_, n)| n)
}

/// The first table under `root` (breadth first, `root` included) that has `word` as a
/// keyword: for `router_id` at the top level, `global_defs`.
pub fn home_of(word: &str, root: &'static Schema) -> Option<&'static Schema> {
    let mut queue: Vec<&'static Schema> = vec![root];
    let mut i = 0;
    // Tables may share sub-tables; a visited list bounds the walk (there are few tables).
    while let Some(&schema) = queue.get(i) {
        i += 1;
        if schema.get(word).is_some() {
            return Some(schema);
        }
        for k in schema.keywords {
            if let crate::schema::Kind::Block(inner) = k.kind
                && !queue.iter().any(|q| std::ptr::eq(*q, inner))
            {
                queue.push(inner);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::leaf;

    static S: Schema = Schema {
        name: "t",
        keywords: &[
            leaf("interface"),
            leaf("virtual_router_id"),
            leaf("priority"),
            leaf("state"),
        ],
    };

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(nearest("Interface", &S), Some("interface"));
        assert_eq!(nearest("virtual_routr_id", &S), Some("virtual_router_id"));
        assert_eq!(nearest("priorty", &S), Some("priority"));
        assert_eq!(nearest("bogus", &S), None);
        assert_eq!(nearest("x", &S), None);
    }

    static INNER: Schema = Schema {
        name: "global_defs",
        keywords: &[leaf("router_id")],
    };
    static ROOT: Schema = Schema {
        name: "root",
        keywords: &[
            crate::schema::block("global_defs", &INNER),
            leaf("net_namespace"),
        ],
    };

    #[test]
    fn home_tables() {
        assert_eq!(
            home_of("router_id", &ROOT).map(|s| s.name),
            Some("global_defs")
        );
        assert_eq!(
            home_of("net_namespace", &ROOT).map(|s| s.name),
            Some("root")
        );
        assert!(home_of("bogus", &ROOT).is_none());
    }
}
