//! Keyword tables. keepalived looks every line of a keyword block up in that block's table
//! (`install_keyword` in lib/parser.c); alived does the same with static [`Schema`]s, so the
//! block walker in [`crate::tree`] knows which keywords open which kind of block.

/// What a keyword is.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A keyword line with arguments and no block.
    Leaf,
    /// A keyword block: each line inside is looked up in the given table.
    Block(&'static Schema),
    /// A value block (`virtual_ipaddress`, `unicast_peer`, `track_script`, `group`...):
    /// each line inside is kept raw, as keepalived's `alloc_value_block()` does.
    Values,
}

/// One keyword of a table.
#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    pub name: &'static str,
    pub kind: Kind,
}

/// A keyword table: the top level, `global_defs`, `vrrp_instance`, a checker block...
#[derive(Debug)]
pub struct Schema {
    /// Name used in messages, e.g. `vrrp_instance`.
    pub name: &'static str,
    pub keywords: &'static [Keyword],
}

impl Schema {
    pub fn get(&self, name: &str) -> Option<&Keyword> {
        self.keywords.iter().find(|k| k.name == name)
    }
}

/// Shorthand constructors, so tables read as data.
pub const fn leaf(name: &'static str) -> Keyword {
    Keyword {
        name,
        kind: Kind::Leaf,
    }
}
pub const fn block(name: &'static str, schema: &'static Schema) -> Keyword {
    Keyword {
        name,
        kind: Kind::Block(schema),
    }
}
pub const fn values(name: &'static str) -> Keyword {
    Keyword {
        name,
        kind: Kind::Values,
    }
}
